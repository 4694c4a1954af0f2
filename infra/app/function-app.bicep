// Mirrors AVM br/public:avm/res/web/serverfarm (0.1.1) and br/public:avm/res/web/site (0.15.1):
// a Flex Consumption (FC1, Linux) plan and a Node 22 Function App running as the one
// user-assigned identity, with identity-based host storage and no keys in its settings.

@description('Function App name (also the default host name prefix).')
param name string

@description('Flex Consumption plan name.')
param planName string

@description('Azure region.')
param location string

@description('Tags applied to the plan; the site also gets azd-service-name.')
param tags object = {}

@description('azd service name (azure.yaml services key) tagged on the site.')
param serviceName string = 'api'

@description('Resource id of the user-assigned managed identity.')
param identityId string

@description('Client id of the user-assigned managed identity.')
param identityClientId string

@description('App storage account (host storage, deployment package, staging).')
param storageAccountName string

@description('Blob container for the deployment package.')
param deploymentContainerName string

@description('Application Insights component name (same resource group).')
param applicationInsightsName string

@description('Log Analytics workspace receiving the app\'s platform logs and metrics (diagnostic settings).')
param logAnalyticsWorkspaceId string

@description('Largest number of instances the app scales out to.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int

@description('Memory per instance in MB.')
@allowed([512, 2048, 4096])
param instanceMemoryMB int

@description('HTTP invocations one instance runs at once; with the request limit it bounds what the host buffers.')
@minValue(1)
@maxValue(1000)
param httpPerInstanceConcurrency int

@description('Subnet (delegated to Microsoft.App/environments) for VNet integration; empty for none.')
param virtualNetworkSubnetId string = ''

// --- Gateway settings (src/config.ts settingsSchema), all plain, non-secret values ---
@description('FLYTE_ENDPOINT; empty leaves Flyte unconfigured (its operations answer 503).')
param flyteEndpoint string

@description('FLYTE_AUTH')
@allowed(['none', 'api-key', 'client-credentials', 'managed-identity'])
param flyteAuth string

@description('FLYTE_TOKEN_URL')
param flyteTokenUrl string

@description('FLYTE_CLIENT_ID')
param flyteClientId string

@description('FLYTE_SCOPE')
param flyteScope string

@description('FLYTE_PROJECTS')
param flyteProjects string

@description('FLYTE_DOMAINS')
param flyteDomains string

@description('FLYTE_ORGS')
param flyteOrgs string

@description('FLYTE_SERVICE_ACCOUNTS')
param flyteServiceAccounts string

@description('FLYTE_IAM_ROLES')
param flyteIamRoles string

@description('AUTH_MODE')
@allowed(['key', 'entra'])
param authMode string

@description('ENTRA_TENANT_ID')
param entraTenantId string

@description('ENTRA_AUDIENCES')
param entraAudiences string

@description('ENTRA_ISSUER')
param entraIssuer string

@description('ENTRA_JWKS_URI')
param entraJwksUri string

@description('FUNCTION_KEYS')
@allowed(['required', 'off'])
param functionKeys string

@description('App Service Authentication in front (only with AUTH_MODE=entra).')
param easyAuthEnabled bool

@description('Easy Auth: client id of the API app registration.')
param easyAuthClientId string

@description('Easy Auth: client ids allowed to call (empty: any).')
param easyAuthAllowedApplications array

@description('ALLOWED_ORIGINS')
param allowedOrigins string

@description('DROP_IN_ROUTES')
param dropInRoutes bool

@description('FLYTE_MAX_LIST_LIMIT')
param flyteMaxListLimit int

@description('Key Vault secret URI holding FLYTE_API_KEY; empty omits the setting.')
param flyteApiKeySecretUri string

@description('Key Vault secret URI holding FLYTE_CLIENT_SECRET; empty omits the setting.')
param flyteClientSecretSecretUri string

@description('AZUREML_ENDPOINT: an override; empty lets the app discover each workspace\'s endpoint.')
param azureMlEndpoint string

@description('AZUREML_DISCOVERY_TTL_SECONDS')
param azureMlDiscoveryTtlSeconds int

@description('AZUREML_SCOPE')
param azureMlScope string

@description('AZUREML_WORKSPACES')
param azureMlWorkspaces string

@description('STAGING_CONTAINER')
param stagingContainerName string

@description('STAGING_RETAIN')
param stagingRetain bool

@description('MAX_PROJECT_ZIP_BYTES')
param maxProjectZipBytes int

@description('FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: the host reads a body with a Content-Length whole before the app runs.')
param requestBodyLimitBytes int

@description('MAX_JSON_BODY_BYTES')
param maxJsonBodyBytes int

@description('MCP_MAX_INLINE_ZIP_BYTES')
param mcpMaxInlineZipBytes int

@description('MCP_MAX_ANSWER_BYTES')
param mcpMaxAnswerBytes int

@description('MAX_JSON_DEPTH')
param maxJsonDepth int

@description('UPLOAD_SLOT_MINUTES')
param uploadSlotMinutes int

@description('UPLOAD_SLOTS: on only where callers can reach the storage account (main.bicep decides).')
@allowed(['on', 'off'])
param uploadSlots string

@description('UPSTREAM_TIMEOUT_MS')
param upstreamTimeoutMs int

@description('UPSTREAM_DEADLINE_MS')
param upstreamDeadlineMs int

@description('UPSTREAM_MAX_RETRIES')
param upstreamMaxRetries int

@description('UPSTREAM_MAX_RETRY_AFTER_MS')
param upstreamMaxRetryAfterMs int

@description('UPSTREAM_CONNECTIONS')
param upstreamConnections int

@description('CANCEL_QUEUE: the queue the cancellation trigger reads (created by core/storage.bicep).')
param cancelQueueName string

@description('CANCEL_TABLE: the table of batch cancellation outcomes (created by core/storage.bicep).')
param cancelTableName string

@description('CANCEL_CONCURRENCY')
param cancelConcurrency int

@description('CANCEL_MAX_ATTEMPTS')
param cancelMaxAttempts int

@description('CANCEL_MAX_RETRY_AFTER_S')
param cancelMaxRetryAfterS int

@description('MAX_BATCH_TARGETS')
param maxBatchTargets int

var storageSuffix = environment().suffixes.storage

// Every key is either a host/identity setting or a key of settingsSchema (test/infra checks
// both directions). Never FUNCTIONS_WORKER_RUNTIME / FUNCTIONS_EXTENSION_VERSION /
// WEBSITE_RUN_FROM_PACKAGE on Flex: runtime and package live in functionAppConfig.
var appSettings = {
  // Host storage, identity-based (no AzureWebJobsStorage connection string).
  AzureWebJobsStorage__accountName: storageAccountName
  AzureWebJobsStorage__blobServiceUri: 'https://${storageAccountName}.blob.${storageSuffix}'
  AzureWebJobsStorage__queueServiceUri: 'https://${storageAccountName}.queue.${storageSuffix}'
  AzureWebJobsStorage__tableServiceUri: 'https://${storageAccountName}.table.${storageSuffix}'
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  // @azure/identity (DefaultAzureCredential / ManagedIdentityCredential) picks this identity.
  AZURE_CLIENT_ID: identityClientId
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  // The host reads each request body whole first: its cap bounds that memory per request
  // (README, "Request size"); larger zips go through upload slots.
  FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: string(requestBodyLimitBytes)
  // The host (Kestrel) takes request headers up to 32 KiB, the worker's Node server only 16 KiB:
  // a request in between never reached the function and hung until the function timeout.
  languageWorkers__node__arguments: '--max-http-header-size=32768'
  FLYTE_ENDPOINT: flyteEndpoint
  FLYTE_AUTH: flyteAuth
  FLYTE_TOKEN_URL: flyteTokenUrl
  FLYTE_CLIENT_ID: flyteClientId
  FLYTE_SCOPE: flyteScope
  FLYTE_PROJECTS: flyteProjects
  FLYTE_DOMAINS: flyteDomains
  FLYTE_ORGS: flyteOrgs
  FLYTE_SERVICE_ACCOUNTS: flyteServiceAccounts
  FLYTE_IAM_ROLES: flyteIamRoles
  AUTH_MODE: authMode
  ENTRA_TENANT_ID: entraTenantId
  ENTRA_AUDIENCES: entraAudiences
  ENTRA_ISSUER: entraIssuer
  ENTRA_JWKS_URI: entraJwksUri
  FUNCTION_KEYS: functionKeys
  ALLOWED_ORIGINS: allowedOrigins
  DROP_IN_ROUTES: dropInRoutes ? 'true' : 'false'
  FLYTE_MAX_LIST_LIMIT: string(flyteMaxListLimit)
  AZUREML_ENDPOINT: azureMlEndpoint
  AZUREML_AUTH: 'managed-identity'
  AZUREML_SCOPE: azureMlScope
  AZUREML_WORKSPACES: azureMlWorkspaces
  AZUREML_DISCOVERY_TTL_SECONDS: string(azureMlDiscoveryTtlSeconds)
  // The cloud this is deployed in: its ARM endpoint (workspace discovery) and Azure ML host names.
  AZURE_CLOUD: environment().name
  AZURE_RESOURCE_MANAGER_ENDPOINT: environment().resourceManager
  STAGING_CONTAINER: stagingContainerName
  STAGING_RETAIN: stagingRetain ? 'true' : 'false'
  MAX_PROJECT_ZIP_BYTES: string(maxProjectZipBytes)
  MAX_JSON_BODY_BYTES: string(maxJsonBodyBytes)
  MCP_MAX_INLINE_ZIP_BYTES: string(mcpMaxInlineZipBytes)
  MCP_MAX_ANSWER_BYTES: string(mcpMaxAnswerBytes)
  MAX_JSON_DEPTH: string(maxJsonDepth)
  UPLOAD_SLOT_MINUTES: string(uploadSlotMinutes)
  UPLOAD_SLOTS: uploadSlots
  UPSTREAM_TIMEOUT_MS: string(upstreamTimeoutMs)
  UPSTREAM_DEADLINE_MS: string(upstreamDeadlineMs)
  UPSTREAM_MAX_RETRIES: string(upstreamMaxRetries)
  UPSTREAM_MAX_RETRY_AFTER_MS: string(upstreamMaxRetryAfterMs)
  UPSTREAM_CONNECTIONS: string(upstreamConnections)
  CANCEL_QUEUE: cancelQueueName
  CANCEL_TABLE: cancelTableName
  CANCEL_CONCURRENCY: string(cancelConcurrency)
  CANCEL_MAX_ATTEMPTS: string(cancelMaxAttempts)
  CANCEL_MAX_RETRY_AFTER_S: string(cancelMaxRetryAfterS)
  MAX_BATCH_TARGETS: string(maxBatchTargets)
  // Telemetry (docs/telemetry.md): to Application Insights (connection string below, Entra auth
  // above), no OTLP collector, every trace recorded; LOG_LEVEL info.
  LOG_LEVEL: 'info'
  OTEL_EXPORTER_OTLP_ENDPOINT: ''
  OTEL_SERVICE_NAME: 'execution-gateway'
  OTEL_TRACES_SAMPLER: 'microsoft.rate_limited'
  OTEL_TRACES_SAMPLER_ARG: '5'
  TELEMETRY_CONSOLE: 'false'
}

// Secrets only as Key Vault references, resolved by the platform with the user-assigned
// identity (keyVaultReferenceIdentity); the identity needs "Key Vault Secrets User" on the vault.
var flyteApiKeySetting = empty(flyteApiKeySecretUri)
  ? {}
  : { FLYTE_API_KEY: '@Microsoft.KeyVault(SecretUri=${flyteApiKeySecretUri})' }
var flyteClientSecretSetting = empty(flyteClientSecretSecretUri)
  ? {}
  : { FLYTE_CLIENT_SECRET: '@Microsoft.KeyVault(SecretUri=${flyteClientSecretSecretUri})' }

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': serviceName })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identityId
    virtualNetworkSubnetId: empty(virtualNetworkSubnetId) ? null : virtualNetworkSubnetId
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      runtime: {
        name: 'node'
        version: '22'
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
        triggers: {
          http: {
            perInstanceConcurrency: httpPerInstanceConcurrency
          }
        }
      }
    }
  }
}

resource settings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'appsettings'
  properties: union(
    appSettings,
    { APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString },
    flyteApiKeySetting,
    flyteClientSecretSetting,
    easyAuth ? { WEBSITE_AUTH_AAD_ALLOWED_TENANTS: entraTenantId } : {}
  )
}

// App Service Authentication validates Entra tokens in the host, before the app (which then
// trusts only its x-ms-client-principal: the platform sets WEBSITE_AUTH_ENABLED). Only under
// AUTH_MODE=entra, where the app checks each operation's role and refuses a request without a
// principal. Unauthenticated requests are let through to the app (AllowAnonymous) so that the
// health probe, the docs and the protected-resource metadata stay open and a 401 carries the
// app's `WWW-Authenticate: Bearer resource_metadata=...`, which MCP clients sign in from.
var easyAuth = easyAuthEnabled && authMode == 'entra'
var issuer = empty(entraIssuer) ? '${environment().authentication.loginEndpoint}${entraTenantId}/v2.0' : entraIssuer

resource authSettings 'Microsoft.Web/sites/config@2024-04-01' = if (easyAuth) {
  parent: site
  name: 'authsettingsV2'
  properties: {
    platform: { enabled: true }
    globalValidation: {
      requireAuthentication: false
      unauthenticatedClientAction: 'AllowAnonymous'
    }
    httpSettings: { requireHttps: true }
    login: { tokenStore: { enabled: false } }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: easyAuthClientId
          openIdIssuer: issuer
        }
        validation: {
          allowedAudiences: split(entraAudiences, ',')
          defaultAuthorizationPolicy: {
            allowedApplications: easyAuthAllowedApplications
          }
        }
      }
    }
  }
}

// Platform logs (FunctionAppLogs: host and function executions) and metrics to Log Analytics,
// beside the app's own telemetry in Application Insights (which is workspace-based on the same one).
resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: site
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: [{ category: 'FunctionAppLogs', enabled: true }]
    metrics: [{ category: 'AllMetrics', enabled: true }]
  }
}

// Basic (user/password) publishing off for FTP and SCM: deploy with Entra (azd, az).
resource ftpCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  properties: { allow: false }
}

resource scmCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: { allow: false }
}

output name string = site.name
output id string = site.id
output defaultHostName string = site.properties.defaultHostName
