/**
 * @module
 * What every operation needs at run time: the parsed settings and one upstream client per
 * configured upstream, each made on first use. One runtime per process (`getRuntime`),
 * built from `process.env`; tests build their own with `createRuntime`.
 */
import { CancellationQueue } from './cancellations/queue.js';
import { CancellationStore } from './cancellations/store.js';
import { loadSettings, type Settings } from './config.js';
import { UpstreamNotConfiguredError } from './problems/errors.js';
import { ZipStaging } from './staging/zip-staging.js';
import { QUEUE_STORAGE_NAME, STORAGE_NAME, storageConfigured, tableClient } from './storage/clients.js';
import { clientCredentials, managedIdentity, staticBearer } from './upstream/credentials.js';
import { type CredentialProvider, UpstreamClient } from './upstream/http-client.js';
import type { RetryPolicy } from './upstream/retry-policy.js';

export const FLYTE_NAME = 'Flyte Admin';
export const AZUREML_NAME = 'Azure ML';

export interface Runtime {
  readonly settings: Settings;
  /** The Flyte Admin client; throws `UpstreamNotConfiguredError` without FLYTE_ENDPOINT. */
  flyte(): UpstreamClient;
  /** The Azure ML Execution Service client; throws without AZUREML_ENDPOINT. */
  azureml(): UpstreamClient;
  /** Project zip staging in the app's Blob Storage; throws without storage settings. */
  staging(): ZipStaging;
  /** The batch-cancellation queue and table in the app's storage; throws without storage settings. */
  cancellations(): Cancellations;
  /** Throws `UpstreamNotConfiguredError` when the capability's upstream has no settings. */
  assertConfigured(capability: 'flyte' | 'azureml'): void;
  close(): Promise<void>;
}

/**
 * @example
 * const runtime = createRuntime(loadSettings({ FLYTE_ENDPOINT: emulator.url, FLYTE_PROJECTS: '*' }));
 */
export function createRuntime(settings: Settings): Runtime {
  let flyte: UpstreamClient | undefined;
  let azureml: UpstreamClient | undefined;
  let staging: ZipStaging | undefined;
  let cancellations: Cancellations | undefined;
  const retry: RetryPolicy = {
    maxRetries: settings.UPSTREAM_MAX_RETRIES,
    baseDelayMs: 100,
    maxDelayMs: 2_000,
    maxRetryAfterMs: settings.UPSTREAM_MAX_RETRY_AFTER_MS,
  };
  return {
    settings,
    flyte() {
      const endpoint = settings.FLYTE_ENDPOINT;
      if (!endpoint) throw new UpstreamNotConfiguredError(FLYTE_NAME, 'FLYTE_ENDPOINT');
      flyte ??= new UpstreamClient({
        name: FLYTE_NAME,
        baseUrl: endpoint,
        timeoutMs: settings.UPSTREAM_TIMEOUT_MS,
        connections: settings.UPSTREAM_CONNECTIONS,
        retry,
        credential: flyteCredential(settings),
      });
      return flyte;
    },
    azureml() {
      const endpoint = settings.AZUREML_ENDPOINT;
      if (!endpoint) throw new UpstreamNotConfiguredError(AZUREML_NAME, 'AZUREML_ENDPOINT');
      azureml ??= new UpstreamClient({
        name: AZUREML_NAME,
        baseUrl: endpoint,
        timeoutMs: settings.UPSTREAM_TIMEOUT_MS,
        connections: settings.UPSTREAM_CONNECTIONS,
        retry,
        credential:
          settings.AZUREML_AUTH === 'managed-identity'
            ? managedIdentity({
                upstreamName: AZUREML_NAME,
                scope: settings.AZUREML_SCOPE,
                clientId: settings.AZURE_CLIENT_ID,
              })
            : undefined,
      });
      return azureml;
    },
    staging() {
      if (!storageConfigured(settings))
        throw new UpstreamNotConfiguredError(STORAGE_NAME, 'AzureWebJobsStorage');
      staging ??= new ZipStaging(settings);
      return staging;
    },
    cancellations() {
      const s = settings;
      const configured =
        s.AzureWebJobsStorage ||
        s.AzureWebJobsStorage__accountName ||
        (s.AzureWebJobsStorage__queueServiceUri && s.AzureWebJobsStorage__tableServiceUri);
      if (!configured) throw new UpstreamNotConfiguredError(QUEUE_STORAGE_NAME, 'AzureWebJobsStorage');
      cancellations ??= {
        store: new CancellationStore(tableClient(s, s.CANCEL_TABLE)),
        queue: new CancellationQueue(s),
      };
      return cancellations;
    },
    assertConfigured(capability) {
      if (capability === 'flyte' && !settings.FLYTE_ENDPOINT) {
        throw new UpstreamNotConfiguredError(FLYTE_NAME, 'FLYTE_ENDPOINT');
      }
      if (capability === 'azureml' && !settings.AZUREML_ENDPOINT) {
        throw new UpstreamNotConfiguredError(AZUREML_NAME, 'AZUREML_ENDPOINT');
      }
    },
    async close() {
      await Promise.all([flyte?.close(), azureml?.close()]);
      flyte = undefined;
      azureml = undefined;
    },
  };
}

function flyteCredential(s: Settings): CredentialProvider | undefined {
  switch (s.FLYTE_AUTH) {
    case 'none':
      return undefined;
    case 'api-key':
      return staticBearer(s.FLYTE_API_KEY ?? '');
    case 'client-credentials':
      return clientCredentials({
        upstreamName: FLYTE_NAME,
        tokenUrl: s.FLYTE_TOKEN_URL ?? '',
        clientId: s.FLYTE_CLIENT_ID ?? '',
        clientSecret: s.FLYTE_CLIENT_SECRET ?? '',
        scope: s.FLYTE_SCOPE,
        timeoutMs: Math.min(s.UPSTREAM_TIMEOUT_MS, 10_000),
      });
    case 'managed-identity':
      return managedIdentity({
        upstreamName: FLYTE_NAME,
        scope: s.FLYTE_SCOPE ?? '',
        clientId: s.AZURE_CLIENT_ID,
      });
  }
}

export interface Cancellations {
  store: CancellationStore;
  queue: CancellationQueue;
}

let current: Runtime | undefined;

/** The process's runtime, from `process.env` on first use. Throws `ConfigError` on bad settings. */
export function getRuntime(): Runtime {
  current ??= createRuntime(loadSettings());
  return current;
}
