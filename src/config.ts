/**
 * @module
 * All settings, read once from the environment through one zod schema. A bad or missing
 * setting stops start-up with a message naming every offending variable. Each setting
 * carries its description and default here; the README table and
 * `local.settings.sample.json` are kept in step with this schema by a test.
 */
import { z } from 'zod';
import { ConfigError, type FieldError } from './problems/errors.js';

const MiB = 1024 * 1024;

/**
 * The request body limit this project sets for the Functions host (infra/, the sample
 * settings, npm start): what the host can afford to read whole for each of the HTTP requests
 * a 2,048 MB Flex instance runs at once (README, "Request size").
 */
export const REQUEST_BODY_LIMIT = 5 * MiB;

/** Multipart framing and run definition around an inline project zip. */
const MULTIPART_ALLOWANCE = MiB;

/**
 * The largest project zip a startrun request may carry inline; larger ones go through an
 * upload slot.
 */
export function inlineZipLimit(
  settings: Pick<Settings, 'MAX_PROJECT_ZIP_BYTES' | 'FUNCTIONS_REQUEST_BODY_SIZE_LIMIT'>,
): number {
  return Math.min(
    settings.MAX_PROJECT_ZIP_BYTES,
    settings.FUNCTIONS_REQUEST_BODY_SIZE_LIMIT - MULTIPART_ALLOWANCE,
  );
}

/** Room for the JSON-RPC request around an MCP inline zip's base64. */
const MCP_ENVELOPE_ALLOWANCE = 64 * 1024;

/**
 * The largest project zip an MCP tool call may carry inline: `MCP_MAX_INLINE_ZIP_BYTES`, or
 * less when its base64 and the request around it would not fit `MAX_JSON_BODY_BYTES` (the cap
 * `/mcp` reads its request under), so the two caps always agree.
 */
export function mcpInlineZipLimit(
  settings: Pick<Settings, 'MCP_MAX_INLINE_ZIP_BYTES' | 'MAX_JSON_BODY_BYTES'>,
): number {
  const fits = Math.floor(((settings.MAX_JSON_BODY_BYTES - MCP_ENVELOPE_ALLOWANCE) / 4) * 3);
  return Math.max(0, Math.min(settings.MCP_MAX_INLINE_ZIP_BYTES, fits));
}

/** The total time for one upstream call: `UPSTREAM_DEADLINE_MS`, and never less than one silence. */
export function upstreamDeadline(
  settings: Pick<Settings, 'UPSTREAM_DEADLINE_MS' | 'UPSTREAM_TIMEOUT_MS'>,
): number {
  return Math.max(settings.UPSTREAM_DEADLINE_MS, settings.UPSTREAM_TIMEOUT_MS);
}

/** Plain decimal digits only: `0x10` or `1e3` are not what anyone means by a port or a size. */
const intSetting = (min: number, max: number, fallback: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().min(min).max(max))
    .default(fallback);

const optionalText = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

const httpUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
  .transform((v) => v.replace(/\/+$/, ''));

/** Comma-separated allow-list; `*` allows everything. */
const allowList = z
  .string()
  .trim()
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
  );

/** Comma-separated http(s) origins, each as browsers send it (`https://app.example.com`). */
const originList = allowList.pipe(
  z.array(
    z
      .string()
      .refine((v) => originOf(v) !== undefined, {
        error: 'must be http(s) origins (scheme://host[:port], no path); * is not accepted',
      })
      .transform((v) => originOf(v) as string),
  ),
);

/** `v`'s origin as a browser serializes it, when `v` is an http(s) origin and nothing more. */
function originOf(v: string): string | undefined {
  if (!URL.canParse(v)) return undefined;
  const url = new URL(v);
  const bare = url.pathname === '/' && !url.search && !url.hash && !url.username && !url.password;
  return /^https?:$/.test(url.protocol) && bare ? url.origin : undefined;
}

/** The settings schema: name → rule, description and default. */
export const settingsSchema = z.object({
  FLYTE_ENDPOINT: httpUrl
    .optional()
    .describe(
      'Base URL of Flyte Admin (e.g. https://flyte.example.com). Unset: Flyte operations answer 503.',
    ),
  FLYTE_AUTH: z
    .enum(['none', 'api-key', 'client-credentials', 'managed-identity'])
    .default('none')
    .describe('How the gateway authenticates to Flyte Admin.'),
  FLYTE_API_KEY: optionalText.describe('Bearer token sent to Flyte when FLYTE_AUTH=api-key. Secret.'),
  FLYTE_TOKEN_URL: httpUrl.optional().describe('OAuth2 token endpoint for FLYTE_AUTH=client-credentials.'),
  FLYTE_CLIENT_ID: optionalText.describe('OAuth2 client id for FLYTE_AUTH=client-credentials.'),
  FLYTE_CLIENT_SECRET: optionalText.describe(
    'OAuth2 client secret for FLYTE_AUTH=client-credentials. Secret.',
  ),
  FLYTE_SCOPE: optionalText.describe(
    'Token scope: OAuth2 scope for client-credentials, Entra scope (e.g. api://flyte/.default) for managed-identity.',
  ),
  FLYTE_PROJECTS: allowList
    .default([])
    .describe(
      'Comma-separated Flyte projects the gateway may touch; * allows all. Required with FLYTE_ENDPOINT.',
    ),
  FLYTE_DOMAINS: allowList
    .default(['*'])
    .describe(
      'Comma-separated Flyte domains the gateway may touch in its projects (paths, ids, launch plan, referenced executions); * (the default) allows all.',
    ),
  FLYTE_ORGS: allowList
    .default([])
    .describe(
      'Comma-separated Flyte orgs a request may name (ids, launch plan, referenced executions); * allows all. Empty: only the empty (default) org.',
    ),
  FLYTE_SERVICE_ACCOUNTS: allowList
    .default([])
    .describe(
      'Comma-separated Kubernetes service accounts a create may run as (spec.security_context.run_as.k8s_service_account, spec.auth_role.kubernetes_service_account); * allows all. Empty: none, the project default applies.',
    ),
  FLYTE_IAM_ROLES: allowList
    .default([])
    .describe(
      'Comma-separated IAM roles a create may run as (spec.security_context.run_as.iam_role, spec.auth_role.assumable_iam_role, the iam.amazonaws.com/role pod annotation); * allows all. Empty: none, the project default applies.',
    ),
  FLYTE_MAX_LIST_LIMIT: intSetting(1, 10_000, 1000).describe('Largest `limit` accepted on list executions.'),
  AZUREML_ENDPOINT: httpUrl
    .optional()
    .describe(
      "Override: one Azure ML data-plane origin for every workspace (e.g. https://westeurope.api.azureml.ms), no discovery. Unset: each workspace's endpoint is discovered through ARM (AZUREML_WORKSPACES required; without it Azure ML operations answer 503).",
    ),
  AZUREML_AUTH: z
    .enum(['none', 'managed-identity'])
    .default('managed-identity')
    .describe(
      'How the gateway authenticates to Azure ML: managed-identity (Entra token) or none (emulator).',
    ),
  AZUREML_SCOPE: z
    .string()
    .trim()
    .min(1)
    .default('https://management.azure.com/.default')
    .describe(
      "Entra scope of the Azure ML token (the ARM audience the Execution Service accepts); left at this default it follows AZURE_CLOUD (the cloud's ARM audience).",
    ),
  AZUREML_WORKSPACES: allowList
    .default([])
    .describe(
      "Comma-separated subscriptionId/resourceGroup/workspace entries the gateway may use; * allows all. Required with AZUREML_ENDPOINT; without it, each workspace's endpoint is discovered.",
    ),
  AZUREML_DISCOVERY_TTL_SECONDS: intSetting(1, 86_400, 3600).describe(
    "How long a workspace's discovered Execution Service endpoint is reused before it is looked up again (without AZUREML_ENDPOINT). A failed lookup is kept at most 5 s.",
  ),
  AZURE_CLOUD: z
    .enum(['AzureCloud', 'AzureChinaCloud', 'AzureUSGovernment'])
    .default('AzureCloud')
    .describe(
      'The Azure cloud: its ARM endpoint and audience, the default AZUREML_SCOPE, and the Azure ML host names a discovered endpoint must have (*.api.azureml.ms, *.experiments.azureml.net; China *.ml.azure.cn; US Gov *.ml.azure.us).',
    ),
  AZURE_RESOURCE_MANAGER_ENDPOINT: httpUrl
    .refine(
      (v) => v.startsWith('https:') || /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(\/|$)/.test(v),
      {
        error: 'must be https (http only on a loopback host: the emulator)',
      },
    )
    .optional()
    .describe(
      "ARM endpoint of the workspace lookups that discover each workspace's endpoint; default the AZURE_CLOUD's (https://management.azure.com). A loopback URL (the emulator) also lets discovery name loopback hosts.",
    ),
  MAX_PROJECT_ZIP_BYTES: intSetting(1024, 64 * 1024 * MiB, 300 * MiB).describe(
    'Cap on a project zip staged through an upload slot (413 above it).',
  ),
  FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: intSetting(2 * MiB, 2048 * MiB, REQUEST_BODY_LIMIT).describe(
    "The Functions host's cap on a request body, which it reads whole before the app runs when it has a Content-Length (over the cap: the host's bare 500). Zips sent inline to startrun may take it less 1 MiB (413 naming the upload-slot route above that).",
  ),
  STAGING_CONTAINER: z
    .string()
    .trim()
    .regex(/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/, 'must be a valid blob container name')
    .default('staging')
    .describe('Blob container (in the app storage account) where project zips are staged.'),
  STAGING_RETAIN: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true')
    .describe('Keep staged zips after a successful startrun (true) or delete them (false).'),
  UPLOAD_SLOT_MINUTES: intSetting(1, 7 * 24 * 60, 60).describe(
    'Lifetime of an upload slot SAS URL, in minutes.',
  ),
  UPLOAD_SLOTS: z
    .enum(['on', 'off'])
    .default('on')
    .describe(
      'on: POST /v1/uploads hands out SAS URLs of the app storage account. off: it answers 503 naming the inline limit, for a storage account callers cannot reach (private endpoints only, VNET_ENABLED); zips then go inline to startrun.',
    ),
  MCP_MAX_INLINE_ZIP_BYTES: intSetting(1024, 64 * MiB, 2 * MiB).describe(
    'Largest project zip an MCP client may send inline (projectZipBase64, decoded); larger ones use an upload slot. Lowered to what fits MAX_JSON_BODY_BYTES as base64.',
  ),
  MCP_MAX_ANSWER_BYTES: intSetting(64 * 1024, 64 * MiB, 4 * MiB).describe(
    'Largest upstream answer an MCP tool returns; beyond it the tool answers an error naming the REST route to use instead.',
  ),
  AzureWebJobsStorage__blobServiceUri: httpUrl
    .optional()
    .describe('Identity-based storage: Blob endpoint of the app storage account (used for staging).'),
  AzureWebJobsStorage__queueServiceUri: httpUrl
    .optional()
    .describe('Identity-based storage: Queue endpoint of the app storage account (batch cancellations).'),
  AzureWebJobsStorage__tableServiceUri: httpUrl
    .optional()
    .describe('Identity-based storage: Table endpoint of the app storage account (cancellation reports).'),
  AzureWebJobsStorage__accountName: optionalText.describe(
    'Identity-based storage: account name (https://<name>.blob.core.windows.net) when no blobServiceUri is set.',
  ),
  AZURE_CLIENT_ID: optionalText.describe('Client id of the user-assigned managed identity, if one is used.'),
  AzureWebJobsStorage: optionalText.describe(
    'Storage connection for the Functions host (Azurite locally). Identity-based in Azure (AzureWebJobsStorage__*).',
  ),
  AUTH_MODE: z
    .enum(['key', 'entra'])
    .default('key')
    .describe(
      'Who may call: key (function keys only, as the host checks them) or entra (every keyed route also needs an Entra ID caller with the app role the operation declares).',
    ),
  ENTRA_TENANT_ID: optionalText.describe('AUTH_MODE=entra: the tenant whose tokens are accepted.'),
  ENTRA_AUDIENCES: allowList
    .default([])
    .describe("AUTH_MODE=entra: the app registration's client id and/or App ID URI (comma-separated)."),
  ENTRA_ISSUER: httpUrl
    .optional()
    .describe('AUTH_MODE=entra: token issuer; default https://login.microsoftonline.com/<tenant>/v2.0.'),
  ENTRA_JWKS_URI: httpUrl
    .optional()
    .describe(
      "AUTH_MODE=entra: the issuer's signing keys; default https://login.microsoftonline.com/<tenant>/discovery/v2.0/keys.",
    ),
  FUNCTION_KEYS: z
    .enum(['required', 'off'])
    .default('required')
    .describe(
      'required: the Functions host checks a function key on every keyed route. off (only with AUTH_MODE=entra): those routes are registered anonymous and the Entra ID caller is the only check.',
    ),
  WEBSITE_AUTH_ENABLED: z
    .stringbool()
    .default(false)
    .describe(
      'Set by the platform when App Service Authentication (Easy Auth) is on: then its x-ms-client-principal is trusted, and never otherwise.',
    ),
  ALLOWED_ORIGINS: originList
    .default([])
    .describe(
      "Comma-separated origins (https://app.example.com) whose browser pages may send state-changing requests; others get 403 cross-site-request. The gateway's own origin is always allowed; empty by default.",
    ),
  DROP_IN_ROUTES: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true')
    .describe(
      'true: every operation is also served on its upstream\'s own path (/execution/v1.0/subscriptions/..., /api/v1/executions...), same validation, guards and auth, so a client of the upstream\'s API can be pointed at the gateway by its base URL. Off by default (README, "Drop-in upstream paths").',
    ),
  MAX_JSON_BODY_BYTES: intSetting(1024, 64 * MiB, 4 * MiB).describe(
    'Cap on JSON request bodies, counted while they stream in (413 above it).',
  ),
  MAX_JSON_DEPTH: intSetting(8, 1000, 128).describe(
    'Deepest nesting of objects and arrays in a JSON body or MCP arguments (400 above it).',
  ),
  UPSTREAM_TIMEOUT_MS: intSetting(100, 230_000, 30_000).describe(
    'Longest an upstream may stay silent: for its first answer byte, and between bytes (504 when it passes).',
  ),
  UPSTREAM_DEADLINE_MS: intSetting(1000, 230_000, 60_000).describe(
    'Total time for one upstream call, retries included, from connecting to the end of its answer (504 when it passes); never less than UPSTREAM_TIMEOUT_MS; the time spent sending a streamed project zip does not count.',
  ),
  UPSTREAM_MAX_RETRIES: intSetting(0, 10, 2).describe(
    'Retries after the first attempt, for idempotent operations and Retry-After answers.',
  ),
  UPSTREAM_MAX_RETRY_AFTER_MS: intSetting(0, 120_000, 10_000).describe(
    'Longest upstream Retry-After the gateway waits out itself; longer ones go back to the caller as 429.',
  ),
  UPSTREAM_CONNECTIONS: intSetting(1, 1024, 64).describe('Keep-alive connections per upstream origin.'),
  CANCEL_QUEUE: z
    .string()
    .trim()
    // Storage queue names; 56 at most so that "<name>-poison" is one too.
    .regex(/^[a-z0-9](?!.*--)[a-z0-9-]{1,54}[a-z0-9]$/, 'must be a valid queue name of at most 56 characters')
    .default('cancellations')
    .describe(
      'Storage queue of batch cancellations (the queue trigger reads it; "<name>-poison" beside it).',
    ),
  CANCEL_TABLE: z
    .string()
    .trim()
    .regex(/^[A-Za-z][A-Za-z0-9]{2,62}$/, 'must be a valid table name')
    .default('cancellations')
    .describe('Storage table where every batch cancellation target and its outcome is recorded.'),
  CANCEL_CONCURRENCY: intSetting(1, 256, 16).describe(
    'Upstream cancel calls in flight per queue message (see host.json queues.batchSize).',
  ),
  CANCEL_MAX_ATTEMPTS: intSetting(1, 20, 5).describe(
    'Upstream calls per batch target before a transient failure (429, 5xx, timeout) counts as failed.',
  ),
  CANCEL_MAX_RETRY_AFTER_S: intSetting(1, 86_400, 900).describe(
    "Longest upstream Retry-After a batch target waits for; a longer one, or one past its message's time to live, ends the target failed with the reason.",
  ),
  MAX_BATCH_TARGETS: intSetting(1, 100_000, 10_000).describe(
    'Most targets accepted in one POST /v1/cancellations batch.',
  ),
  LOG_LEVEL: z
    .enum(['debug', 'info', 'warn', 'error'])
    .default('info')
    .describe('Least severe log entry written (to the console or invocation log, and to telemetry).'),
  APPLICATIONINSIGHTS_CONNECTION_STRING: optionalText.describe(
    'Application Insights connection string: traces, metrics and logs exported to it (docs/telemetry.md). Unset with OTEL_EXPORTER_OTLP_ENDPOINT unset too: telemetry off.',
  ),
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: optionalText.describe(
    'Authorization=AAD (with ClientId=<id> for a user-assigned identity): telemetry to Application Insights with an Entra token from the Azure credential (infra/ sets it; the component has local auth off).',
  ),
  OTEL_EXPORTER_OTLP_ENDPOINT: httpUrl
    .optional()
    .describe(
      'OTLP/HTTP collector base URL (e.g. http://127.0.0.1:4318): traces, metrics and logs go to /v1/traces, /v1/metrics, /v1/logs.',
    ),
  OTEL_SERVICE_NAME: z
    .string()
    .trim()
    .min(1)
    .default('execution-gateway')
    .describe('service.name of all telemetry (the cloud role name in Application Insights).'),
  OTEL_TRACES_SAMPLER: z
    .enum([
      'microsoft.rate_limited',
      'microsoft.fixed_percentage',
      'always_on',
      'always_off',
      'traceidratio',
      'parentbased_always_on',
      'parentbased_always_off',
      'parentbased_traceidratio',
    ])
    .default('microsoft.rate_limited')
    .describe(
      "Which requests' traces are recorded: the Azure Monitor distro's samplers (microsoft.rate_limited, its default, and microsoft.fixed_percentage) or the OpenTelemetry SDKs' own.",
    ),
  OTEL_TRACES_SAMPLER_ARG: z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?$/, 'must be a number from 0')
    .transform(Number)
    .optional()
    .describe(
      'Traces per second for microsoft.rate_limited (default 5); the ratio (0 to 1, default 1) for microsoft.fixed_percentage and the traceidratio samplers.',
    ),
  TELEMETRY_CONSOLE: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true')
    .describe(
      'true: also print every span, metric and log record to the console, for debugging (turns telemetry on).',
    ),
});

export type Settings = z.infer<typeof settingsSchema>;

/** Samplers whose OTEL_TRACES_SAMPLER_ARG is a ratio (the rate-limited one takes traces per second). */
const RATIO_SAMPLERS = new Set(['microsoft.fixed_percentage', 'traceidratio', 'parentbased_traceidratio']);

/**
 * Cross-field rules, checked on the raw values so that they are reported even when another
 * setting fails its type: the start-up error names every missing variable at once.
 */
function crossFieldErrors(raw: Record<string, string>): FieldError[] {
  const errors: FieldError[] = unresolvedKeyVaultReferences(raw);
  const need = (name: keyof Settings, why: string) => {
    if (raw[name] === undefined) errors.push({ path: name, message: `required ${why}` });
  };
  const auth = raw.FLYTE_AUTH?.trim();
  if (auth === 'api-key') need('FLYTE_API_KEY', 'when FLYTE_AUTH=api-key');
  if (auth === 'client-credentials') {
    need('FLYTE_TOKEN_URL', 'when FLYTE_AUTH=client-credentials');
    need('FLYTE_CLIENT_ID', 'when FLYTE_AUTH=client-credentials');
    need('FLYTE_CLIENT_SECRET', 'when FLYTE_AUTH=client-credentials');
  }
  if (auth === 'managed-identity') need('FLYTE_SCOPE', 'when FLYTE_AUTH=managed-identity');
  if (raw.AUTH_MODE?.trim() === 'entra') {
    need('ENTRA_TENANT_ID', 'when AUTH_MODE=entra');
    need('ENTRA_AUDIENCES', 'when AUTH_MODE=entra');
  } else if (raw.FUNCTION_KEYS?.trim() === 'off') {
    errors.push({
      path: 'FUNCTION_KEYS',
      message: 'may be off only with AUTH_MODE=entra (with neither, anyone could call every operation)',
    });
  }
  const sampler = raw.OTEL_TRACES_SAMPLER?.trim() ?? '';
  const samplerArg = Number(raw.OTEL_TRACES_SAMPLER_ARG);
  if (RATIO_SAMPLERS.has(sampler) && samplerArg > 1) {
    errors.push({
      path: 'OTEL_TRACES_SAMPLER_ARG',
      message: `must be a ratio from 0 to 1 with OTEL_TRACES_SAMPLER=${sampler}`,
    });
  }
  const projects = (raw.FLYTE_PROJECTS ?? '').split(',').filter((p) => p.trim() !== '');
  if (raw.FLYTE_ENDPOINT !== undefined && projects.length === 0) {
    errors.push({
      path: 'FLYTE_PROJECTS',
      message: 'required when FLYTE_ENDPOINT is set (comma-separated projects, or * for all)',
    });
  }
  const workspaces = (raw.AZUREML_WORKSPACES ?? '').split(',').filter((w) => w.trim() !== '');
  if (raw.AZUREML_ENDPOINT !== undefined && workspaces.length === 0) {
    errors.push({
      path: 'AZUREML_WORKSPACES',
      message:
        'required when AZUREML_ENDPOINT is set (subscriptionId/resourceGroup/workspace entries, or * for all)',
    });
  }
  for (const entry of workspaces) {
    if (entry.trim() !== '*' && entry.trim().split('/').length !== 3) {
      errors.push({
        path: 'AZUREML_WORKSPACES',
        message: `entry "${entry.trim()}" is not subscriptionId/resourceGroup/workspace`,
      });
    }
  }
  return errors;
}

/**
 * App Service leaves a Key Vault reference it could not resolve as the literal
 * `@Microsoft.KeyVault(...)` text: used as a secret it would fail every upstream call later, so
 * it stops start-up here, naming the setting (never its value).
 * @see https://learn.microsoft.com/azure/app-service/app-service-key-vault-references
 */
function unresolvedKeyVaultReferences(raw: Record<string, string>): FieldError[] {
  return Object.entries(raw)
    .filter(([, value]) => /^\s*@Microsoft\.KeyVault\(/i.test(value))
    .map(([name]) => ({
      path: name,
      message:
        'is a Key Vault reference the platform did not resolve (check the secret URI, that the app identity has Key Vault Secrets User on the vault, and that the vault is reachable)',
    }));
}

/**
 * Parses settings from an environment. Throws `ConfigError` naming every bad variable.
 * @example
 * const settings = loadSettings({ FLYTE_ENDPOINT: 'http://127.0.0.1:8089', FLYTE_PROJECTS: 'flytesnacks' });
 */
export function loadSettings(env: Record<string, string | undefined> = process.env): Settings {
  // Only the schema's own keys, so unrelated variables never reach an error message; an
  // empty value counts as unset (local.settings.sample.json lists every key, most empty).
  const picked: Record<string, string> = {};
  for (const key of Object.keys(settingsSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value.trim() !== '') picked[key] = value;
  }
  const parsed = settingsSchema.safeParse(picked);
  const errors = [
    ...(parsed.success
      ? []
      : parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }))),
    ...crossFieldErrors(picked),
  ];
  if (!parsed.success || errors.length > 0) throw new ConfigError(errors);
  return parsed.data;
}
