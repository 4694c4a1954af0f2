/**
 * @module
 * The app's service container: the parsed settings and, each made on first use, one upstream
 * client per configured upstream, project zip staging, and the batch-cancellation queue and
 * table. One per process (`getServices`), built from `process.env`; tests build their own with
 * `createServices`. Operations never see it whole: it satisfies the narrow interfaces each
 * layer declares (`OperationServices`, `CancellationServices`).
 */

import { armScopeOf, azuremlScopeOf, WorkspaceRoutedClient } from './azureml/endpoint-client.js';
import type { CancellationServices, Cancellations } from './cancellations/processor.js';
import { CancellationQueue } from './cancellations/queue.js';
import { CancellationStore } from './cancellations/store.js';
import type { Capability } from './catalog/operation.js';
import { loadSettings, type Settings } from './config.js';
import { UpstreamNotConfiguredError } from './problems/errors.js';
import { ZipStaging } from './staging/zip-staging.js';
import { QUEUE_STORAGE_NAME, STORAGE_NAME, storageConfigured, tableClient } from './storage/clients.js';
import { clientCredentials, managedIdentity, staticBearer } from './upstream/credentials.js';
import { type CredentialProvider, UpstreamClient } from './upstream/http-client.js';
import type { RetryPolicy } from './upstream/retry-policy.js';

const UPSTREAM_NAMES: Record<Capability, string> = { flyte: 'Flyte Admin', azureml: 'Azure ML' };

export interface Services extends CancellationServices {
  close(): Promise<void>;
}

/**
 * @example
 * const services = createServices(loadSettings({ FLYTE_ENDPOINT: emulator.url, FLYTE_PROJECTS: '*' }));
 */
export function createServices(settings: Settings): Services {
  const clients = new Map<Capability, UpstreamClient>();
  let staging: ZipStaging | undefined;
  let cancellations: Cancellations | undefined;
  const retry: RetryPolicy = {
    maxRetries: settings.UPSTREAM_MAX_RETRIES,
    baseDelayMs: 100,
    maxDelayMs: 2_000,
    maxRetryAfterMs: settings.UPSTREAM_MAX_RETRY_AFTER_MS,
  };
  const client = (capability: Capability, baseUrl: string, credential: CredentialProvider | undefined) =>
    new UpstreamClient({
      name: UPSTREAM_NAMES[capability],
      baseUrl,
      timeoutMs: settings.UPSTREAM_TIMEOUT_MS,
      connections: settings.UPSTREAM_CONNECTIONS,
      retry,
      credential,
    });
  return {
    settings,
    upstream(capability) {
      const existing = clients.get(capability);
      if (existing) return existing;
      if (capability === 'azureml' && !settings.AZUREML_ENDPOINT && settings.AZUREML_WORKSPACES.length > 0) {
        // No fixed endpoint: each workspace's is discovered through ARM (src/azureml/endpoint-client.ts).
        const routed = workspaceRoutedAzureMl(settings, retry);
        clients.set(capability, routed);
        return routed;
      }
      const endpoint = capability === 'flyte' ? settings.FLYTE_ENDPOINT : settings.AZUREML_ENDPOINT;
      if (!endpoint) {
        const setting =
          capability === 'flyte' ? 'FLYTE_ENDPOINT' : 'AZUREML_WORKSPACES (or AZUREML_ENDPOINT)';
        throw new UpstreamNotConfiguredError(UPSTREAM_NAMES[capability], setting);
      }
      const made = client(
        capability,
        endpoint,
        capability === 'flyte' ? flyteCredential(settings) : azuremlCredential(settings),
      );
      clients.set(capability, made);
      return made;
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
    async close() {
      const open = [...clients.values()];
      clients.clear();
      await Promise.all(open.map((c) => c.close()));
    },
  };
}

/** Azure ML with each workspace's endpoint discovered; one token for both when the scopes agree (the default). */
function workspaceRoutedAzureMl(s: Settings, retry: RetryPolicy): WorkspaceRoutedClient {
  const dataPlane = azuremlCredential(s);
  const armScope = armScopeOf(s);
  const armCredential = armScope === azuremlScopeOf(s) ? dataPlane : azuremlCredential(s, armScope);
  const options = {
    name: UPSTREAM_NAMES.azureml,
    timeoutMs: s.UPSTREAM_TIMEOUT_MS,
    connections: s.UPSTREAM_CONNECTIONS,
    retry,
    credential: dataPlane,
  };
  return new WorkspaceRoutedClient(options, s, armCredential);
}

/** The Azure ML token (AZUREML_SCOPE, following AZURE_CLOUD), or another scope (ARM, for discovery). */
function azuremlCredential(s: Settings, scope = azuremlScopeOf(s)): CredentialProvider | undefined {
  return s.AZUREML_AUTH === 'managed-identity'
    ? managedIdentity({
        upstreamName: UPSTREAM_NAMES.azureml,
        scope,
        clientId: s.AZURE_CLIENT_ID,
      })
    : undefined;
}

function flyteCredential(s: Settings): CredentialProvider | undefined {
  switch (s.FLYTE_AUTH) {
    case 'none':
      return undefined;
    case 'api-key':
      return staticBearer(s.FLYTE_API_KEY ?? '');
    case 'client-credentials':
      return clientCredentials({
        upstreamName: UPSTREAM_NAMES.flyte,
        tokenUrl: s.FLYTE_TOKEN_URL ?? '',
        clientId: s.FLYTE_CLIENT_ID ?? '',
        clientSecret: s.FLYTE_CLIENT_SECRET ?? '',
        scope: s.FLYTE_SCOPE,
        timeoutMs: Math.min(s.UPSTREAM_TIMEOUT_MS, 10_000),
      });
    case 'managed-identity':
      return managedIdentity({
        upstreamName: UPSTREAM_NAMES.flyte,
        scope: s.FLYTE_SCOPE ?? '',
        clientId: s.AZURE_CLIENT_ID,
      });
  }
}

let current: Services | undefined;

/** The process's services, from `process.env` on first use. Throws `ConfigError` on bad settings. */
export function getServices(): Services {
  current ??= createServices(loadSettings());
  return current;
}
