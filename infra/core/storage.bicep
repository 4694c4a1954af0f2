// Mirrors AVM br/public:avm/res/storage/storage-account (0.25.0): keyless account (shared keys
// off), the Flex deployment container, the staging container with a lifecycle rule, the
// cancellations queue (+ poison) and table.

@description('Storage account name (3-24 lowercase letters and digits).')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region.')
param location string

@description('Tags applied to the account.')
param tags object = {}

@description('Blob container holding the Flex Consumption deployment package.')
param deploymentContainerName string

@description('Blob container for staged project zips (the app setting STAGING_CONTAINER).')
param stagingContainerName string

@description('Delete staged blobs this many days after their last modification.')
@minValue(1)
param stagingRetentionDays int

@description('Queue for cancellation requests; the host adds the "-poison" suffix for poison messages.')
param cancellationsQueueName string

@description('Table recording cancellation outcomes.')
param cancellationsTableName string

@description('Log Analytics workspace receiving the account\'s resource logs and transaction metrics.')
param logAnalyticsWorkspaceId string

@description('When true: public network access off and network ACLs deny; reach it through private endpoints.')
param vnetEnabled bool

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    allowCrossTenantReplication: false
    defaultToOAuthAuthentication: true
    dnsEndpointType: 'Standard'
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: vnetEnabled ? 'Disabled' : 'Enabled'
    networkAcls: vnetEnabled
      ? { defaultAction: 'Deny', bypass: 'None' }
      : { defaultAction: 'Allow', bypass: 'AzureServices' }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: { publicAccess: 'None' }
}

resource stagingContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: stagingContainerName
  properties: { publicAccess: 'None' }
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource cancellationsQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = {
  parent: queueService
  name: cancellationsQueueName
}

resource cancellationsPoisonQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = {
  parent: queueService
  name: '${cancellationsQueueName}-poison'
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource cancellationsTable 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = {
  parent: tableService
  name: cancellationsTableName
}

// Staged zips are normally deleted by the app (STAGING_RETAIN=false); this catches the rest.
resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2023-05-01' = {
  parent: storage
  name: 'default'
  properties: {
    policy: {
      rules: [
        {
          name: 'delete-old-staging-blobs'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: ['blockBlob']
              prefixMatch: ['${stagingContainer.name}/']
            }
            actions: {
              baseBlob: {
                delete: { daysAfterModificationGreaterThan: stagingRetentionDays }
              }
              // An upload slot's holder may snapshot their blob (its SAS has write).
              snapshot: {
                delete: { daysAfterCreationGreaterThan: stagingRetentionDays }
              }
            }
          }
        }
      ]
    }
  }
}

// Resource logs (StorageRead/Write/Delete: who touched which blob, queue message or entity, with
// which identity) and transaction metrics, per service, to Log Analytics; account-level metrics too.
resource accountDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: storage
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    metrics: [{ category: 'Transaction', enabled: true }]
  }
}

resource blobDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: blobService
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: [{ categoryGroup: 'allLogs', enabled: true }]
    metrics: [{ category: 'Transaction', enabled: true }]
  }
}

resource queueDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: queueService
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: [{ categoryGroup: 'allLogs', enabled: true }]
    metrics: [{ category: 'Transaction', enabled: true }]
  }
}

resource tableDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: tableService
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: [{ categoryGroup: 'allLogs', enabled: true }]
    metrics: [{ category: 'Transaction', enabled: true }]
  }
}

output id string = storage.id
output name string = storage.name
output primaryBlobEndpoint string = storage.properties.primaryEndpoints.blob
output deploymentContainerName string = deploymentContainer.name
output cancellationsQueueName string = cancellationsQueue.name
output cancellationsPoisonQueueName string = cancellationsPoisonQueue.name
output cancellationsTableName string = cancellationsTable.name
