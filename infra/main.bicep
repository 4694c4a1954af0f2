// Execution Gateway on Azure Functions Flex Consumption, keyless end to end.
// Subscription scope (as the azd TypeScript quickstart): creates the resource group, then wires
// small local modules. Plain resource declarations only: each module names the AVM registry
// module it mirrors (the public Bicep registry is not reachable from CI here).
targetScope = 'subscription'

// --- azd ---
@minLength(1)
@maxLength(64)
@description('azd environment name; seeds the resource token and the azd-env-name tag.')
param environmentName string

@minLength(1)
@description('Region for every resource (a region that offers Flex Consumption).')
@metadata({ azd: { type: 'location' } })
param location string

@description('Object id of the deploying user; when set it gets the storage and telemetry roles for local runs.')
param principalId string = ''

@description('Principal type of principalId: azd passes AZURE_PRINCIPAL_TYPE (ServicePrincipal when a CI service principal deploys); empty counts as User.')
@allowed(['User', 'ServicePrincipal', 'Group', ''])
param principalType string = 'User'

// --- names (empty: abbreviation + resource token) ---
@description('Resource group name.')
param resourceGroupName string = ''
@description('Function App name.')
param functionAppName string = ''
@description('Storage account name.')
param storageAccountName string = ''
@description('User-assigned managed identity name.')
param identityName string = ''
@description('Application Insights name.')
param applicationInsightsName string = ''
@description('Log Analytics workspace name.')
param logAnalyticsName string = ''
@description('Virtual network name (vnetEnabled only).')
param vnetName string = ''

// --- plan ---
@minValue(40)
@maxValue(1000)
@description('Flex Consumption: largest instance count.')
param maximumInstanceCount int = 100

@allowed([512, 2048, 4096])
@description('Flex Consumption: memory per instance (MB).')
param instanceMemoryMB int = 2048

@minValue(1)
@maxValue(1000)
@description('Flex Consumption: HTTP invocations per instance at once (Flex default for 2,048 MB: 16).')
param httpPerInstanceConcurrency int = 16

@description('Integrate the app with a new VNet and reach storage only through private endpoints.')
param vnetEnabled bool = false

@description('UPLOAD_SLOTS: auto = on without the VNet, off with it (callers outside the VNet cannot reach a private account: they send zips inline, up to FUNCTIONS_REQUEST_BODY_SIZE_LIMIT less 1 MiB). on with the VNet: callers are in the VNet or a peered one and resolve the privatelink blob zone (docs/deployment.md).')
@allowed(['auto', 'on', 'off'])
param uploadSlots string = 'auto'

@description('vnetEnabled + azureMlWorkspaceId: a private endpoint to the (private-link) Azure ML workspace in the VNet, with its privatelink DNS zones.')
param azureMlPrivateEndpoint bool = false

@description('azureMlPrivateEndpoint: request the connection for the workspace admin to approve instead of approving it in this deployment.')
param azureMlPrivateEndpointManualApproval bool = false

// --- storage ---
@description('Staging container for project zips (STAGING_CONTAINER).')
param stagingContainerName string = 'staging'
@minValue(1)
@description('Lifecycle rule: delete blobs in the staging container this many days after last modification.')
param stagingRetentionDays int = 7
@description('Cancellation queue name; "<name>-poison" is created beside it.')
param cancellationsQueueName string = 'cancellations'
@description('Cancellation table name.')
param cancellationsTableName string = 'cancellations'

// --- Azure ML ---
@description('Full resource id of the Azure ML workspace the app calls; empty: no Azure ML role is assigned.')
param azureMlWorkspaceId string = ''
@description('Assign AzureML Data Scientist and Reader to the app identity on azureMlWorkspaceId in this deployment (the deployer needs Owner, User Access Administrator or RBAC Administrator there). false: the workspace admin runs the az role assignment create lines in infra/README.md.')
param azureMlRoleAssignment bool = true
@description('AZUREML_ENDPOINT: one Execution Service origin for every workspace (an override); empty: the app discovers each workspace\'s own endpoint through ARM (private-link and other regions included).')
param azureMlEndpoint string = ''
@minValue(1)
@maxValue(86400)
@description('AZUREML_DISCOVERY_TTL_SECONDS')
param azureMlDiscoveryTtlSeconds int = 3600
@description('AZUREML_WORKSPACES; empty + azureMlWorkspaceId: that workspace as subscriptionId/resourceGroup/name.')
param azureMlWorkspaces string = ''
@description('AZUREML_SCOPE (Entra scope of the Azure ML token).')
param azureMlScope string = '${environment().resourceManager}.default'

// --- Flyte ---
@description('FLYTE_ENDPOINT; empty leaves Flyte unconfigured.')
param flyteEndpoint string = ''
@allowed(['none', 'api-key', 'client-credentials', 'managed-identity'])
@description('FLYTE_AUTH')
param flyteAuth string = 'none'
@description('FLYTE_TOKEN_URL (client-credentials).')
param flyteTokenUrl string = ''
@description('FLYTE_CLIENT_ID (client-credentials).')
param flyteClientId string = ''
@description('FLYTE_SCOPE (client-credentials or managed-identity).')
param flyteScope string = ''
@description('FLYTE_PROJECTS: comma-separated projects, * for all.')
param flyteProjects string = ''
@description('FLYTE_DOMAINS: domains the gateway may touch (* all).')
param flyteDomains string = '*'
@description('FLYTE_ORGS: orgs a request may name besides the empty one.')
param flyteOrgs string = ''
@description('FLYTE_SERVICE_ACCOUNTS: service accounts a request may run as.')
param flyteServiceAccounts string = ''
@description('FLYTE_IAM_ROLES: IAM roles a request may run as.')
param flyteIamRoles string = ''
@description('AUTH_MODE: key (function keys only) or entra (also an Entra ID caller with the operation app role).')
@allowed(['key', 'entra'])
param authMode string = 'key'
@description('ENTRA_TENANT_ID (AUTH_MODE=entra)')
param entraTenantId string = ''
@description('ENTRA_AUDIENCES: the API app registration client id and/or App ID URI (AUTH_MODE=entra).')
param entraAudiences string = ''
@description('ENTRA_ISSUER (AUTH_MODE=entra; default the tenant v2.0 issuer)')
param entraIssuer string = ''
@description('ENTRA_JWKS_URI (AUTH_MODE=entra; default the tenant keys)')
param entraJwksUri string = ''
@description('FUNCTION_KEYS: required, or off (only with AUTH_MODE=entra: keyed routes anonymous, the Entra caller the only check).')
@allowed(['required', 'off'])
param functionKeys string = 'required'
@description('AUTH_MODE=entra: put App Service Authentication (Easy Auth) in front to validate tokens; the app then reads its principal.')
param easyAuthEnabled bool = false
@description('Easy Auth: client id of the API app registration (the one declaring the app roles).')
param easyAuthClientId string = ''
@description('Easy Auth: client ids of the applications allowed to call (empty: any the tenant issues tokens to).')
param easyAuthAllowedApplications array = []
@description('ALLOWED_ORIGINS: browser origins that may send state-changing requests.')
param allowedOrigins string = ''
@description('DROP_IN_ROUTES: also serve each operation on its upstream\'s own path (README, "Drop-in upstream paths").')
param dropInRoutes bool = false
@description('FLYTE_MAX_LIST_LIMIT')
param flyteMaxListLimit int = 1000
@description('Key Vault secret URI for FLYTE_API_KEY (set as a Key Vault reference); empty omits it.')
param flyteApiKeySecretUri string = ''
@description('Key Vault secret URI for FLYTE_CLIENT_SECRET (set as a Key Vault reference); empty omits it.')
param flyteClientSecretSecretUri string = ''

// --- gateway limits (defaults = src/config.ts defaults) ---
@description('STAGING_RETAIN')
param stagingRetain bool = false
@description('MAX_PROJECT_ZIP_BYTES')
param maxProjectZipBytes int = 314572800
@description('FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: request bytes the host reads whole, per request (README, "Request size").')
param requestBodyLimitBytes int = 5242880
@description('MAX_JSON_BODY_BYTES')
param maxJsonBodyBytes int = 4194304
@description('MCP_MAX_INLINE_ZIP_BYTES')
param mcpMaxInlineZipBytes int = 2097152
@description('MCP_MAX_ANSWER_BYTES')
param mcpMaxAnswerBytes int = 4194304
@description('MAX_JSON_DEPTH')
param maxJsonDepth int = 128
@description('UPLOAD_SLOT_MINUTES')
param uploadSlotMinutes int = 60
@description('UPSTREAM_TIMEOUT_MS')
param upstreamTimeoutMs int = 30000
@description('UPSTREAM_DEADLINE_MS')
param upstreamDeadlineMs int = 60000
@description('UPSTREAM_MAX_RETRIES')
param upstreamMaxRetries int = 2
@description('UPSTREAM_MAX_RETRY_AFTER_MS')
param upstreamMaxRetryAfterMs int = 10000
@description('UPSTREAM_CONNECTIONS')
param upstreamConnections int = 64
@description('CANCEL_CONCURRENCY')
param cancelConcurrency int = 16
@description('CANCEL_MAX_ATTEMPTS')
param cancelMaxAttempts int = 5
@description('CANCEL_MAX_RETRY_AFTER_S')
param cancelMaxRetryAfterS int = 900
@description('MAX_BATCH_TARGETS')
param maxBatchTargets int = 10000

var abbrs = loadJsonContent('abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var appName = !empty(functionAppName) ? functionAppName : '${abbrs.webSitesFunctions}api-${resourceToken}'
var deploymentContainerName = 'app-package-${take(appName, 32)}-${take(resourceToken, 7)}'
var storageName = !empty(storageAccountName) ? storageAccountName : '${abbrs.storageStorageAccounts}${resourceToken}'
var insightsName = !empty(applicationInsightsName) ? applicationInsightsName : '${abbrs.insightsComponents}${resourceToken}'
var networkName = !empty(vnetName) ? vnetName : '${abbrs.networkVirtualNetworks}${resourceToken}'

// /subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces/{name}
var mlIdParts = split(azureMlWorkspaceId, '/')
var mlEnabled = !empty(azureMlWorkspaceId)
var mlWorkspaceEntry = mlEnabled ? '${mlIdParts[2]}/${mlIdParts[4]}/${mlIdParts[8]}' : ''
var mlRoleAssigned = mlEnabled && azureMlRoleAssignment
// azd passes AZURE_PRINCIPAL_TYPE as it found the deployer; empty (outside azd) counts as User.
var deployerPrincipalType = principalType == 'ServicePrincipal'
  ? 'ServicePrincipal'
  : (principalType == 'Group' ? 'Group' : 'User')
var uploadSlotsSetting = uploadSlots == 'off' || (uploadSlots == 'auto' && vnetEnabled) ? 'off' : 'on'

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: !empty(resourceGroupName) ? resourceGroupName : '${abbrs.resourcesResourceGroups}${environmentName}'
  location: location
  tags: tags
}

module identity 'app/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: !empty(identityName) ? identityName : '${abbrs.managedIdentityUserAssignedIdentities}api-${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'core/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: !empty(logAnalyticsName) ? logAnalyticsName : '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    applicationInsightsName: insightsName
    location: location
    tags: tags
  }
}

module storage 'core/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: storageName
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
    stagingContainerName: stagingContainerName
    stagingRetentionDays: stagingRetentionDays
    cancellationsQueueName: cancellationsQueueName
    cancellationsTableName: cancellationsTableName
    vnetEnabled: vnetEnabled
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsId
  }
}

module vnet 'core/vnet.bicep' = if (vnetEnabled) {
  name: 'vnet'
  scope: rg
  params: {
    name: networkName
    location: location
    tags: tags
  }
}

module storagePrivateEndpoints 'core/storage-private-endpoints.bicep' = if (vnetEnabled) {
  name: 'storage-private-endpoints'
  scope: rg
  params: {
    storageAccountName: storageName
    vnetName: networkName
    subnetId: vnet.?outputs.privateEndpointsSubnetId ?? ''
    location: location
    tags: tags
  }
  dependsOn: [storage]
}

module azureMlPrivateEndpointModule 'core/azureml-private-endpoint.bicep' = if (vnetEnabled && mlEnabled && azureMlPrivateEndpoint) {
  name: 'azureml-private-endpoint'
  scope: rg
  params: {
    workspaceId: azureMlWorkspaceId
    vnetName: networkName
    subnetId: vnet.?outputs.privateEndpointsSubnetId ?? ''
    location: location
    tags: tags
    manualApproval: azureMlPrivateEndpointManualApproval
  }
}

module appRoles 'app/rbac.bicep' = {
  name: 'app-roles'
  scope: rg
  params: {
    storageAccountName: storageName
    applicationInsightsName: insightsName
    principalId: identity.outputs.principalId
    principalType: 'ServicePrincipal'
  }
  dependsOn: [storage, monitoring]
}

module userRoles 'app/rbac.bicep' = if (!empty(principalId)) {
  name: 'user-roles'
  scope: rg
  params: {
    storageAccountName: storageName
    applicationInsightsName: insightsName
    principalId: principalId
    principalType: deployerPrincipalType
  }
  dependsOn: [storage, monitoring]
}

module azureMlRoles 'app/azureml-rbac.bicep' = if (mlRoleAssigned) {
  name: 'azureml-roles'
  scope: resourceGroup(mlEnabled ? mlIdParts[2] : subscription().subscriptionId, mlEnabled ? mlIdParts[4] : rg.name)
  params: {
    workspaceName: mlRoleAssigned ? mlIdParts[8] : ''
    principalId: identity.outputs.principalId
  }
}

module api 'app/function-app.bicep' = {
  name: 'api'
  scope: rg
  params: {
    name: appName
    planName: '${abbrs.webServerFarms}${resourceToken}'
    location: location
    tags: tags
    serviceName: 'api'
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storageName
    deploymentContainerName: deploymentContainerName
    applicationInsightsName: insightsName
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsId
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    httpPerInstanceConcurrency: httpPerInstanceConcurrency
    virtualNetworkSubnetId: vnet.?outputs.appSubnetId ?? ''
    flyteEndpoint: flyteEndpoint
    flyteAuth: flyteAuth
    flyteTokenUrl: flyteTokenUrl
    flyteClientId: flyteClientId
    flyteScope: flyteScope
    flyteProjects: flyteProjects
    flyteDomains: flyteDomains
    flyteOrgs: flyteOrgs
    flyteServiceAccounts: flyteServiceAccounts
    flyteIamRoles: flyteIamRoles
    authMode: authMode
    entraTenantId: entraTenantId
    entraAudiences: entraAudiences
    entraIssuer: entraIssuer
    entraJwksUri: entraJwksUri
    functionKeys: functionKeys
    easyAuthEnabled: easyAuthEnabled
    easyAuthClientId: easyAuthClientId
    easyAuthAllowedApplications: easyAuthAllowedApplications
    allowedOrigins: allowedOrigins
    dropInRoutes: dropInRoutes
    flyteMaxListLimit: flyteMaxListLimit
    flyteApiKeySecretUri: flyteApiKeySecretUri
    flyteClientSecretSecretUri: flyteClientSecretSecretUri
    azureMlEndpoint: azureMlEndpoint
    azureMlDiscoveryTtlSeconds: azureMlDiscoveryTtlSeconds
    azureMlScope: azureMlScope
    azureMlWorkspaces: !empty(azureMlWorkspaces) ? azureMlWorkspaces : mlWorkspaceEntry
    stagingContainerName: stagingContainerName
    stagingRetain: stagingRetain
    maxProjectZipBytes: maxProjectZipBytes
    requestBodyLimitBytes: requestBodyLimitBytes
    maxJsonBodyBytes: maxJsonBodyBytes
    mcpMaxInlineZipBytes: mcpMaxInlineZipBytes
    mcpMaxAnswerBytes: mcpMaxAnswerBytes
    maxJsonDepth: maxJsonDepth
    uploadSlotMinutes: uploadSlotMinutes
    uploadSlots: uploadSlotsSetting
    upstreamTimeoutMs: upstreamTimeoutMs
    upstreamDeadlineMs: upstreamDeadlineMs
    upstreamMaxRetries: upstreamMaxRetries
    upstreamMaxRetryAfterMs: upstreamMaxRetryAfterMs
    upstreamConnections: upstreamConnections
    cancelQueueName: storage.outputs.cancellationsQueueName
    cancelTableName: storage.outputs.cancellationsTableName
    cancelConcurrency: cancelConcurrency
    cancelMaxAttempts: cancelMaxAttempts
    cancelMaxRetryAfterS: cancelMaxRetryAfterS
    maxBatchTargets: maxBatchTargets
  }
  // Roles first: the host starts with the identity and fails until it can reach storage.
  dependsOn: [appRoles, storagePrivateEndpoints, azureMlPrivateEndpointModule]
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output SERVICE_API_NAME string = api.outputs.name
output AZURE_FUNCTION_NAME string = api.outputs.name
output AZURE_FUNCTION_URL string = 'https://${api.outputs.defaultHostName}'
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_USER_ASSIGNED_IDENTITY_CLIENT_ID string = identity.outputs.clientId
// For the workspace admin's manual role assignment (azureMlRoleAssignment=false; infra/README.md).
output AZURE_USER_ASSIGNED_IDENTITY_PRINCIPAL_ID string = identity.outputs.principalId
output UPLOAD_SLOTS string = uploadSlotsSetting
output STAGING_CONTAINER string = stagingContainerName
