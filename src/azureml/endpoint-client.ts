/**
 * @module
 * The Azure ML upstream client when `AZUREML_ENDPOINT` is not set: each call goes to the
 * Execution Service endpoint of the workspace its path names, discovered from the workspace
 * itself (endpoint-discovery.ts) and cached (endpoint-cache.ts), one connection pool per
 * endpoint. REST routes, MCP tools and batch cancellation all call Azure ML through
 * `services.upstream('azureml')`, so they all route this way. `AZUREML_ENDPOINT`, when set,
 * replaces all of this with one fixed endpoint (services.ts).
 */
import type { Settings } from '../config.js';
import {
  UpstreamClient,
  type UpstreamClientOptions,
  type UpstreamRequest,
  type UpstreamResponse,
} from '../upstream/http-client.js';
import { EndpointCache } from './endpoint-cache.js';
import { discoverExecutionEndpoint, type WorkspaceRef } from './endpoint-discovery.js';
import { CLOUDS, isLoopbackUrl, PUBLIC_ARM_SCOPE } from './endpoint-policy.js';

/** The workspace scope every Execution Service (and Run History) path starts with. */
const WORKSPACE_PATH =
  /^\/[a-z]+\/v1\.0\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.MachineLearningServices\/workspaces\/([^/]+)(?:\/|$)/;

/** The workspace a data-plane path names (its segments percent-decoded), if it names one. */
export function workspaceOfPath(path: string): WorkspaceRef | undefined {
  const match = WORKSPACE_PATH.exec(path);
  if (!match) return undefined;
  try {
    const [subscriptionId, resourceGroup, workspace] = match
      .slice(1, 4)
      .map((s) => decodeURIComponent(s ?? ''));
    return {
      subscriptionId: subscriptionId ?? '',
      resourceGroup: resourceGroup ?? '',
      workspace: workspace ?? '',
    };
  } catch {
    return undefined;
  }
}

/** The ARM origin workspace lookups use: AZURE_RESOURCE_MANAGER_ENDPOINT, else the cloud's. */
function resourceManagerOf(s: Pick<Settings, 'AZURE_RESOURCE_MANAGER_ENDPOINT' | 'AZURE_CLOUD'>): string {
  return s.AZURE_RESOURCE_MANAGER_ENDPOINT ?? CLOUDS[s.AZURE_CLOUD].resourceManager;
}

/** The Azure ML token's scope: AZUREML_SCOPE, whose public-cloud default follows AZURE_CLOUD. */
export function azuremlScopeOf(s: Pick<Settings, 'AZUREML_SCOPE' | 'AZURE_CLOUD'>): string {
  return s.AZUREML_SCOPE === PUBLIC_ARM_SCOPE ? CLOUDS[s.AZURE_CLOUD].armScope : s.AZUREML_SCOPE;
}

/** The ARM-audience scope of the workspace lookup's token. */
export const armScopeOf = (s: Pick<Settings, 'AZURE_CLOUD'>): string => CLOUDS[s.AZURE_CLOUD].armScope;

/**
 * An `UpstreamClient` that picks its endpoint per call from the workspace in the path.
 * @example
 * const azureml = new WorkspaceRoutedClient(clientOptions, settings, armCredential);
 * await azureml.send({ method: 'POST', path: `/execution/v1.0/subscriptions/${s}/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/experiments/e/snapshotrun`, ... });
 */
export class WorkspaceRoutedClient extends UpstreamClient {
  private readonly endpoints: EndpointCache;
  private readonly byEndpoint = new Map<string, UpstreamClient>();

  constructor(
    private readonly clientOptions: Omit<UpstreamClientOptions, 'baseUrl'>,
    settings: Settings,
    armCredential: UpstreamClientOptions['credential'],
    now?: () => number,
  ) {
    const resourceManager = resourceManagerOf(settings);
    // The base client is never used to send: every call goes through `send` below.
    super({ ...clientOptions, baseUrl: resourceManager });
    const policy = { cloud: settings.AZURE_CLOUD, allowLoopback: isLoopbackUrl(resourceManager) };
    const timeoutMs = Math.min(settings.UPSTREAM_TIMEOUT_MS, 10_000);
    this.endpoints = new EndpointCache(
      (workspace) =>
        discoverExecutionEndpoint(workspace, {
          resourceManager,
          credential: armCredential,
          policy,
          timeoutMs,
        }),
      { ttlMs: settings.AZUREML_DISCOVERY_TTL_SECONDS * 1000, now },
    );
  }

  override async send(request: UpstreamRequest): Promise<UpstreamResponse> {
    const workspace = workspaceOfPath(request.path);
    // Every Azure ML operation's path names its workspace; one that does not is a bug here.
    if (!workspace) throw new Error('An Azure ML call without a workspace in its path cannot be routed.');
    const endpoint = await this.endpoints.resolve(workspace);
    let client = this.byEndpoint.get(endpoint);
    if (!client) {
      client = new UpstreamClient({ ...this.clientOptions, baseUrl: endpoint });
      this.byEndpoint.set(endpoint, client);
    }
    return client.send(request);
  }

  override async close(): Promise<void> {
    const open = [...this.byEndpoint.values()];
    this.byEndpoint.clear();
    await Promise.all([super.close(), ...open.map((c) => c.close())]);
  }
}
