// Mirrors AVM br/public:avm/ptn/authorization/resource-role-assignment (0.1.2): AzureML Data
// Scientist for the app's identity on an existing Azure ML workspace. Deployed with the
// workspace's resource group as scope, which may differ from the app's.
import { roles } from 'roles.bicep'

@description('Name of the existing Azure ML workspace (in this module\'s resource group).')
param workspaceName string

@description('Object (principal) id of the app\'s managed identity.')
param principalId string

resource workspace 'Microsoft.MachineLearningServices/workspaces@2024-10-01' existing = {
  name: workspaceName
}

resource dataScientist 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(workspace.id, principalId, roles.azureMlDataScientist)
  scope: workspace
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.azureMlDataScientist)
  }
}

@description('Region of the workspace: gives the default data-plane origin https://<region>.api.azureml.ms.')
output location string = workspace.location
