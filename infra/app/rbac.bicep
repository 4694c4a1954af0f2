// Mirrors AVM br/public:avm/ptn/authorization/resource-role-assignment (0.1.2): data-plane roles
// on the app storage account and Monitoring Metrics Publisher on Application Insights for one
// principal (the app's managed identity, or the deploying user for local runs).
import { roles } from 'roles.bicep'

@description('Storage account the principal gets data roles on.')
param storageAccountName string

@description('Application Insights component the principal may publish telemetry to.')
param applicationInsightsName string

@description('Object (principal) id receiving the roles.')
param principalId string

@description('ServicePrincipal for a managed identity, User for a person.')
@allowed(['ServicePrincipal', 'User', 'Group'])
param principalType string

var storageRoleIds = [
  roles.storageBlobDataOwner
  roles.storageQueueDataContributor
  roles.storageTableDataContributor
  roles.storageBlobDelegator
]

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource storageRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in storageRoleIds: {
    name: guid(storage.id, principalId, roleId)
    scope: storage
    properties: {
      principalId: principalId
      principalType: principalType
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
    }
  }
]

resource metricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, principalId, roles.monitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    principalId: principalId
    principalType: principalType
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
  }
}
