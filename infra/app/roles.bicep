// Built-in Azure role definition ids used by this deployment: the ONE place they are defined.
// Imported where needed (`import { roles } from 'roles.bicep'`); test/infra reads this file to
// check that every role assignment in the compiled template uses one of these ids.
//
// Not here on purpose: Storage Blob Delegator (db58b8e5-...). It grants only
// Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action, which Storage
// Blob Data Owner already includes; Microsoft's Get User Delegation Key reference needs the
// Delegator only beside a data role scoped to a container. Ours is on the account.

@export()
@description('Built-in role definition GUIDs, keyed by a camelCase form of the role name.')
var roles = {
  // Storage Blob Data Owner — host storage: keys/locks blobs, deployment package, staging zips
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  // Storage Queue Data Contributor — queue trigger, poison moves and producers (cancellations)
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  // Storage Table Data Contributor — host diagnostic events and the cancellations table
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  // Monitoring Metrics Publisher — Entra-authenticated telemetry to Application Insights
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
  // AzureML Data Scientist — experiment runs on the Azure ML workspace (no workspace management)
  azureMlDataScientist: 'f6c7c914-8db3-469d-8ca1-694a8f32e121'
  // (AzureML Data Scientist grants workspaces/*/read, which does not match workspaces/read.)
  // Reader — on the Azure ML workspace only: its ARM GET, which gives its endpoint (discoveryUrl)
  reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7'
}
