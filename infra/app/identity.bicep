// Mirrors AVM br/public:avm/res/managed-identity/user-assigned-identity (0.4.1).
// The ONE user-assigned managed identity the Function App uses for storage, telemetry,
// Key Vault references and Azure ML.

@description('Name of the user-assigned managed identity.')
param name string

@description('Azure region.')
param location string

@description('Tags applied to the identity.')
param tags object = {}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output name string = identity.name
output clientId string = identity.properties.clientId
output principalId string = identity.properties.principalId
