// Mirrors AVM br/public:avm/ptn/authorization/resource-role-assignment (0.1.2): AzureML Data
// Scientist and Reader for the app's identity on an existing Azure ML workspace. Deployed with the
// workspace's resource group as scope, which may differ from the app's.
import { roles } from 'roles.bicep'

@description('Name of the existing Azure ML workspace (in this module\'s resource group).')
param workspaceName string

@description('Object (principal) id of the app\'s managed identity.')
param principalId string

resource workspace 'Microsoft.MachineLearningServices/workspaces@2024-10-01' existing = {
  name: workspaceName
}

// AzureML Data Scientist on this workspace only: the narrowest built-in role that submits and
// manages experiment runs (snapshot, start, cancel, status) and cannot change the workspace, its
// compute or its access, as Contributor could. Optional (main.bicep azureMlRoleAssignment): the
// deployer needs Owner, User Access Administrator or RBAC Administrator on the workspace.
resource dataScientist 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(workspace.id, principalId, roles.azureMlDataScientist)
  scope: workspace
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.azureMlDataScientist)
  }
}

// Reader on this workspace only: the app reads the workspace through ARM to learn its
// Execution Service endpoint (properties.discoveryUrl: the region's host, or the private-link
// host), as the Azure ML SDK does. Data Scientist's workspaces/*/read does not cover the
// workspace's own read; Reader adds metadata reads only, no data and no secrets (listKeys is an
// action, not a read).
resource reader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(workspace.id, principalId, roles.reader)
  scope: workspace
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.reader)
  }
}
