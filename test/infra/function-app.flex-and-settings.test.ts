/**
 * The Function App as compiled: Flex Consumption (FC1, Linux) running Node 22 with the one
 * user-assigned identity, HTTPS/TLS 1.2 only, basic publishing off, and app settings that cover
 * the config schema (src/config.ts) both ways, identity-based storage, secrets only as Key
 * Vault references and none of the settings Flex rejects.
 */
import { describe, expect, it } from 'vitest';
import { settingsSchema } from '../../src/config.js';
import {
  Expr,
  evaluate,
  evaluateOne,
  requireTemplate,
  resourcesOfType,
  type Scope,
  scopeNamed,
  skipInfra,
  type Value,
} from './arm-template.js';

/** Schema keys that are deliberately not plain app settings in Azure. */
const NOT_PLAIN_IN_AZURE = {
  // Connection-string form; Azure uses identity-based AzureWebJobsStorage__* instead.
  AzureWebJobsStorage: 'never',
  // Secrets: only as Key Vault references, and only when a secret URI parameter is given.
  FLYTE_API_KEY: 'key-vault-reference',
  FLYTE_CLIENT_SECRET: 'key-vault-reference',
  // Set by the platform itself when App Service Authentication is on; never by the app's settings.
  WEBSITE_AUTH_ENABLED: 'platform',
} as const;

/** Host, identity and platform settings the app may carry besides the schema's keys. */
const HOST_SETTINGS = [
  'AzureWebJobsStorage__credential',
  'AzureWebJobsStorage__clientId',
  'APPLICATIONINSIGHTS_CONNECTION_STRING',
  'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
  'languageWorkers__node__arguments',
  // Easy Auth's tenant restriction (only with it on).
  'WEBSITE_AUTH_AAD_ALLOWED_TENANTS',
];

/** Settings that must not be set on Flex Consumption (runtime lives in functionAppConfig). */
const NOT_ON_FLEX = [
  'FUNCTIONS_WORKER_RUNTIME',
  'FUNCTIONS_EXTENSION_VERSION',
  'WEBSITE_RUN_FROM_PACKAGE',
  'WEBSITE_CONTENTSHARE',
  'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING',
  'SCM_DO_BUILD_DURING_DEPLOYMENT',
  'ENABLE_ORYX_BUILD',
  'WEBSITE_NODE_DEFAULT_VERSION',
];

function only<T>(list: T[], what: string): T {
  expect(list, what).toHaveLength(1);
  return list[0] as T;
}

/** Every possible app-settings object (one per combination of optional secrets), with its scope. */
function appSettings(): { scope: Scope; variants: Record<string, Value>[] } {
  const { scope, resource } = only(
    resourcesOfType('Microsoft.Web/sites/config').filter((r) =>
      String(r.resource.name).includes("'appsettings'"),
    ),
    'one appsettings config',
  );
  const variants = evaluate(resource.properties, scope);
  for (const v of variants)
    expect(v instanceof Expr || typeof v !== 'object', 'statically known keys').toBe(false);
  return { scope, variants: variants as Record<string, Value>[] };
}

function appSettingVariants(): Record<string, Value>[] {
  return appSettings().variants;
}

/** A setting's value as text: evaluated where knowable, else the (partial) expression. */
function valueText(v: Value, scope: Scope): string {
  const value = evaluateOne(v, scope);
  return value instanceof Expr ? value.text : String(value);
}

describe.skipIf(skipInfra)('infra: Function App on Flex Consumption', () => {
  it('runs on an FC1 Linux (reserved) Flex Consumption plan', () => {
    const { resource } = only(resourcesOfType('Microsoft.Web/serverfarms'), 'one plan');
    expect(resource.sku).toEqual({ name: 'FC1', tier: 'FlexConsumption' });
    expect(resource.properties.reserved).toBe(true);
  });

  it('is a Linux function app on Node 22 with parameter-driven scale, HTTPS and TLS 1.2 only', () => {
    const { resource, scope } = only(resourcesOfType('Microsoft.Web/sites'), 'one site');
    const p = resource.properties;
    expect(resource.kind).toBe('functionapp,linux');
    expect(p.httpsOnly).toBe(true);
    expect(p.siteConfig.minTlsVersion).toBe('1.2');
    expect(p.siteConfig.ftpsState).toBe('Disabled');
    expect(p.functionAppConfig.runtime).toEqual({ name: 'node', version: '22' });
    expect(p.functionAppConfig.scaleAndConcurrency).toEqual({
      maximumInstanceCount: "[parameters('maximumInstanceCount')]",
      instanceMemoryMB: "[parameters('instanceMemoryMB')]",
      triggers: { http: { perInstanceConcurrency: "[parameters('httpPerInstanceConcurrency')]" } },
    });
    expect(p.functionAppConfig.deployment.storage.type).toBe('blobContainer');
    expect(p.functionAppConfig.deployment.storage.authentication.type).toBe('UserAssignedIdentity');
    expect(resource.identity.type).toBe('UserAssigned');
    expect(
      evaluate(resource.tags, scope).map((t: Value) => (t as Record<string, Value>)['azd-service-name']),
    ).toEqual(['api']);
  });

  it('sizes the request limit so that every concurrent HTTP request may carry a body that big', () => {
    const main = requireTemplate() as { parameters: Record<string, { defaultValue?: number }> };
    const defaultOf = (name: string) => Number(main.parameters[name]?.defaultValue);
    const MiB = 1024 * 1024;
    // Measured under the real host (docs/functions-host.md, 5.4; test/realhost/bodies.test.ts):
    // a body with a Content-Length costs the host up to 14x its size when it looks like JSON
    // (about 4x binary, 6-7x multipart), adding up over concurrent requests; the app's staging
    // buffers take about 20 MiB per upload; the idle host and worker about 250 MB, plus 300 MB
    // of headroom.
    const HOST_READ_FACTOR = 14;
    const APP_PER_REQUEST_MB = 20;
    const RESERVED_MB = 550;
    const perRequestMB = (defaultOf('requestBodyLimitBytes') / MiB) * HOST_READ_FACTOR + APP_PER_REQUEST_MB;
    expect(defaultOf('httpPerInstanceConcurrency') * perRequestMB + RESERVED_MB).toBeLessThanOrEqual(
      defaultOf('instanceMemoryMB'),
    );
    expect(defaultOf('requestBodyLimitBytes')).toBe(
      settingsSchema.shape.FUNCTIONS_REQUEST_BODY_SIZE_LIMIT.parse(undefined),
    );
  });

  it('App Service Authentication only with AUTH_MODE=entra: validates tokens, lets the app answer the rest', () => {
    // Act
    const { resource } = only(
      resourcesOfType('Microsoft.Web/sites/config').filter((r) =>
        String(r.resource.name).includes('authsettingsV2'),
      ),
      'one authsettingsV2',
    );
    // Assess: deployed only when asked for and under AUTH_MODE=entra (the app then checks roles)
    expect(resource.condition).toBe("[variables('easyAuth')]");
    const p = resource.properties;
    expect(p.platform).toEqual({ enabled: true });
    // The app answers 401 with the MCP resource metadata, and keeps health and docs open.
    expect(p.globalValidation).toEqual({
      requireAuthentication: false,
      unauthenticatedClientAction: 'AllowAnonymous',
    });
    expect(p.identityProviders.azureActiveDirectory.registration.clientId).toBe(
      "[parameters('easyAuthClientId')]",
    );
    expect(p.identityProviders.azureActiveDirectory.validation).toEqual({
      allowedAudiences: "[split(parameters('entraAudiences'), ',')]",
      defaultAuthorizationPolicy: { allowedApplications: "[parameters('easyAuthAllowedApplications')]" },
    });
  });

  it('turns basic (user/password) publishing off for FTP and SCM', () => {
    const policies = resourcesOfType('Microsoft.Web/sites/basicPublishingCredentialsPolicies');
    expect(policies.map((p) => String(p.resource.name).match(/'(ftp|scm)'/)?.[1]).sort()).toEqual([
      'ftp',
      'scm',
    ]);
    for (const { resource } of policies) expect(resource.properties.allow).toBe(false);
  });

  it('app settings cover every schema key that belongs in Azure, and nothing unknown', () => {
    // Prepare
    const schemaKeys = Object.keys(settingsSchema.shape);
    const allowed = new Set([...schemaKeys, ...HOST_SETTINGS]);
    // Act
    const variants = appSettingVariants();
    const always = Object.keys(variants[0] ?? {}).filter((k) => variants.every((v) => k in v));
    const sometimes = [...new Set(variants.flatMap((v) => Object.keys(v)))].filter(
      (k) => !always.includes(k),
    );
    // Assess
    const required = schemaKeys.filter((k) => !(k in NOT_PLAIN_IN_AZURE));
    expect(required.filter((k) => !always.includes(k))).toEqual([]);
    expect([...always, ...sometimes].filter((k) => !allowed.has(k))).toEqual([]);
    expect(sometimes.sort()).toEqual([
      'FLYTE_API_KEY',
      'FLYTE_CLIENT_SECRET',
      'WEBSITE_AUTH_AAD_ALLOWED_TENANTS',
    ]);
    expect(always).not.toContain('AzureWebJobsStorage');
    for (const k of NOT_ON_FLEX) expect(always).not.toContain(k);
  });

  it('main.bicep defaults equal the schema defaults for settings passed straight through', () => {
    // Prepare: setting -> function-app parameter -> main.bicep parameter -> its default.
    const main = requireTemplate() as { parameters: Record<string, { defaultValue?: unknown }> };
    const api = scopeNamed('api');
    const settings = api.template.variables.appSettings as Record<string, string>;
    const compared: string[] = [];
    for (const [key, rule] of Object.entries(settingsSchema.shape)) {
      const schemaDefault = (
        rule as { safeParse: (v: undefined) => { success: boolean; data?: unknown } }
      ).safeParse(undefined);
      const inner = /^\[(?:string\()?parameters\('(\w+)'\)\)?\]$/.exec(settings[key] ?? '')?.[1];
      const outer = /^\[parameters\('(\w+)'\)\]$/.exec(api.passed[inner ?? '']?.value ?? '')?.[1];
      const mainDefault = main.parameters[outer ?? '']?.defaultValue;
      if (!schemaDefault.success || schemaDefault.data === undefined || mainDefault === undefined) continue;
      if (typeof schemaDefault.data === 'object' || String(mainDefault).startsWith('[')) continue;
      // Assess
      expect(String(mainDefault), key).toBe(String(schemaDefault.data));
      compared.push(key);
    }
    expect(compared).toEqual(
      expect.arrayContaining([
        'MAX_PROJECT_ZIP_BYTES',
        'FUNCTIONS_REQUEST_BODY_SIZE_LIMIT',
        'UPSTREAM_TIMEOUT_MS',
        'FLYTE_AUTH',
        'STAGING_CONTAINER',
      ]),
    );
  });

  it('secrets are only Key Vault references; storage and telemetry use the managed identity', () => {
    const { scope, variants } = appSettings();
    const text = (v: Value) => valueText(v, scope);
    for (const settings of variants) {
      for (const key of ['FLYTE_API_KEY', 'FLYTE_CLIENT_SECRET']) {
        if (key in settings) expect(text(settings[key])).toMatch(/^@Microsoft\.KeyVault\(SecretUri=.+\)$/);
      }
      expect(settings.AzureWebJobsStorage__credential).toBe('managedidentity');
      expect(settings.AZUREML_AUTH).toBe('managed-identity');
      expect(text(settings.APPLICATIONINSIGHTS_AUTHENTICATION_STRING)).toMatch(
        /^ClientId=.+;Authorization=AAD$/,
      );
      // One identity for everything: the same client id everywhere.
      const clientIds = new Set(
        [settings.AzureWebJobsStorage__clientId, settings.AZURE_CLIENT_ID].map((v) => text(v)),
      );
      expect(clientIds.size).toBe(1);
    }
  });

  it('STAGING_CONTAINER, the staging container and its lifecycle rule come from one parameter', () => {
    const main = requireTemplate() as { parameters: Record<string, { defaultValue?: unknown }> };
    const storage = scopeNamed('storage');
    const api = scopeNamed('api');
    expect(storage.passed.stagingContainerName).toEqual({ value: "[parameters('stagingContainerName')]" });
    expect(api.passed.stagingContainerName).toEqual({ value: "[parameters('stagingContainerName')]" });
    expect(main.parameters.stagingContainerName?.defaultValue).toBe(
      settingsSchema.shape.STAGING_CONTAINER.parse(undefined),
    );
    expect(main.parameters.stagingRetentionDays?.defaultValue).toBe(7);
    const { resource } = only(
      resourcesOfType('Microsoft.Storage/storageAccounts/managementPolicies'),
      'one policy',
    );
    const rule = resource.properties.policy.rules[0].definition;
    expect(rule.filters.prefixMatch).toEqual(["[format('{0}/', parameters('stagingContainerName'))]"]);
    expect(rule.actions.baseBlob.delete.daysAfterModificationGreaterThan).toBe(
      "[parameters('stagingRetentionDays')]",
    );
    // A slot's holder can snapshot their blob: the rule removes snapshots too.
    expect(rule.actions.snapshot.delete.daysAfterCreationGreaterThan).toBe(
      "[parameters('stagingRetentionDays')]",
    );
  });

  it('creates the cancellations queue, its poison queue and table', () => {
    const queues = resourcesOfType('Microsoft.Storage/storageAccounts/queueServices/queues');
    expect(queues.map((q) => q.resource.name)).toEqual([
      "[format('{0}/{1}/{2}', parameters('name'), 'default', parameters('cancellationsQueueName'))]",
      "[format('{0}/{1}/{2}', parameters('name'), 'default', format('{0}-poison', parameters('cancellationsQueueName')))]",
    ]);
    expect(resourcesOfType('Microsoft.Storage/storageAccounts/tableServices/tables')).toHaveLength(1);
  });

  it('the optional VNet delegates the app subnet to Microsoft.App/environments', () => {
    const { resource } = only(resourcesOfType('Microsoft.Network/virtualNetworks'), 'one vnet');
    const delegations = resource.properties.subnets.flatMap(
      (s: { properties: { delegations?: { properties: { serviceName: string } }[] } }) =>
        s.properties.delegations ?? [],
    );
    expect(delegations.map((d: { properties: { serviceName: string } }) => d.properties.serviceName)).toEqual(
      ['Microsoft.App/environments'],
    );
    expect(scopeNamed('storage-private-endpoints').template.variables.services).toEqual([
      'blob',
      'queue',
      'table',
    ]);
  });
});
