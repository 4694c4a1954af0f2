// Mirrors AVM br/public:avm/res/network/private-endpoint (0.11.0) and
// br/public:avm/res/network/private-dns-zone (0.7.1): a private endpoint in the app's VNet to an
// existing private-link Azure ML workspace (group "amlworkspace"), with the two privatelink DNS
// zones the workspace's hosts resolve through, linked to the VNet. The app's outbound traffic
// runs through the VNet (Flex Consumption VNet integration), so its calls to
// <workspace-id>.workspace.<region>.api.azureml.ms reach the endpoint.
// The connection is approved automatically only when the deployer may approve connections on the
// workspace (Microsoft.MachineLearningServices/workspaces/privateEndpointConnectionsApproval/action);
// else set manualApproval and have the workspace admin approve it (infra/README.md).

@description('Full resource id of the Azure ML workspace.')
param workspaceId string

@description('Name of the virtual network the DNS zones are linked to.')
param vnetName string

@description('Subnet for the private endpoint.')
param subnetId string

@description('Azure region of the VNet.')
param location string

@description('Tags applied to the endpoint and zones.')
param tags object = {}

@description('Request the connection for manual approval by the workspace admin instead of approving it now.')
param manualApproval bool = false

// Azure public cloud zone names (Microsoft's "Azure Private Endpoint DNS configuration" table);
// sovereign clouds use other suffixes, see infra/README.md.
var zoneNames = ['privatelink.api.azureml.ms', 'privatelink.notebooks.azure.net']
var endpointName = 'pe-${last(split(workspaceId, '/'))}-amlworkspace'
var connection = [
  {
    name: endpointName
    properties: {
      privateLinkServiceId: workspaceId
      groupIds: ['amlworkspace']
    }
  }
]

resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' existing = {
  name: vnetName
}

resource zones 'Microsoft.Network/privateDnsZones@2020-06-01' = [
  for zone in zoneNames: {
    name: zone
    location: 'global'
    tags: tags
  }
]

resource zoneLinks 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2020-06-01' = [
  for (zone, i) in zoneNames: {
    parent: zones[i]
    name: '${vnetName}-link'
    location: 'global'
    tags: tags
    properties: {
      registrationEnabled: false
      virtualNetwork: { id: vnet.id }
    }
  }
]

resource endpoint 'Microsoft.Network/privateEndpoints@2024-05-01' = {
  name: endpointName
  location: location
  tags: tags
  properties: {
    subnet: { id: subnetId }
    privateLinkServiceConnections: manualApproval ? [] : connection
    manualPrivateLinkServiceConnections: manualApproval ? connection : []
  }
}

resource zoneGroup 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2024-05-01' = {
  parent: endpoint
  name: 'default'
  properties: {
    privateDnsZoneConfigs: [
      for (zone, i) in zoneNames: {
        name: replace(zone, '.', '-')
        properties: { privateDnsZoneId: zones[i].id }
      }
    ]
  }
}
