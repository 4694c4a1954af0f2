// Mirrors AVM br/public:avm/ptn/authorization/resource-role-assignment (0.1.2): data-plane roles
// on the app storage account and Monitoring Metrics Publisher on Application Insights for one
// principal (the app's managed identity, or the deploying user for local runs). Least
// privilege, role by role: each assignment says why it is needed and why a narrower role is not
// enough. No control-plane role (Contributor, Storage Account Contributor) anywhere: none lists keys.
import { roles } from 'roles.bicep'

@description('Storage account the principal gets data roles on.')
param storageAccountName string

@description('Application Insights component the principal may publish telemetry to.')
param applicationInsightsName string

@description('Object (principal) id receiving the roles.')
param principalId string

@description('ServicePrincipal for a managed identity or CI principal, User for a person, Group for a group.')
@allowed(['ServicePrincipal', 'User', 'Group'])
param principalType string

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

// Blob Data Owner, not Contributor: the Functions host's identity-based AzureWebJobsStorage
// (keys, singleton locks as blob leases) and the Flex deployment container are documented with
// Owner; it also carries generateUserDelegationKey, which signs upload-slot SAS URLs (so no
// Storage Blob Delegator). The app stages, reads and deletes project zips in `staging`.
resource blobDataOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, principalId, roles.storageBlobDataOwner)
  scope: storage
  properties: {
    principalId: principalId
    principalType: principalType
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
  }
}

// Queue Data Contributor, not Reader + Message Processor: the app also sends (POST
// /v1/cancellations enqueues) and the host moves failed messages to "<queue>-poison".
resource queueDataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, principalId, roles.storageQueueDataContributor)
  scope: storage
  properties: {
    principalId: principalId
    principalType: principalType
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataContributor)
  }
}

// Table Data Contributor (the only table data role that writes): the cancellations table records
// every batch target and its outcome; the host writes its diagnostic events to tables.
resource tableDataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, principalId, roles.storageTableDataContributor)
  scope: storage
  properties: {
    principalId: principalId
    principalType: principalType
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
  }
}

// Monitoring Metrics Publisher on the one component: Application Insights has local (key)
// authentication off, so telemetry is accepted only with an Entra token carrying this role.
resource metricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, principalId, roles.monitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    principalId: principalId
    principalType: principalType
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
  }
}
