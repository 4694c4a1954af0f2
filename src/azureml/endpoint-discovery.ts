/**
 * @module
 * Finds one workspace's Execution Service endpoint the way the Azure ML SDK does: GET the
 * workspace through ARM with an ARM-audience token, read `properties.discoveryUrl`, GET that
 * (no token: the SDK sends none) and take the `history` entry.
 *
 * Evidence (azureml-core, the v1 SDK): `azureml/_restclient/service_context.py` registers
 * `EXECUTION` (with `RUN_HISTORY`, `ARTIFACTS`, `METRICS`) under the discovery key `history`,
 * and `azureml/_base_sdk_common/service_discovery.py` gets the discovery URL from
 * `properties.discoveryUrl` of the ARM workspace and the endpoints from a plain GET of it. The
 * REST how-to (reference/azureml-execution.md §1, S3) calls execution/v1.0 on the `api` entry
 * instead; both name the same regional host today, so `api` is the fallback when an answer
 * has no `history`. A private-link workspace's discovery URL and answers name its own FQDN
 * (`<workspace-id>.workspace.<region>.api.azureml.ms`): the SDK keys its discovery cache by
 * discovery URL for that reason ("workspaces behind vnet … will have fqdn based end points").
 * Every URL read from an answer passes `allowedEndpoint` before it is used.
 */
import { GatewayError, ProblemTypes } from '../problems/errors.js';
import { undici } from '../shared/lazy-require.js';
import type { CredentialProvider } from '../upstream/http-client.js';
import { allowedEndpoint, type EndpointPolicy, RefusedEndpointError } from './endpoint-policy.js';

/** A stable Microsoft.MachineLearningServices API version whose workspace has `discoveryUrl`. */
const WORKSPACE_API_VERSION = '2024-04-01';

/** Larger ARM or discovery answers are not read (a workspace resource is a few KiB). */
const MAX_ANSWER_BYTES = 1024 * 1024;

/** An ARM workspace: subscription id, resource group, workspace name. */
export interface WorkspaceRef {
  subscriptionId: string;
  resourceGroup: string;
  workspace: string;
}

export const workspaceLabel = (w: WorkspaceRef) => `${w.subscriptionId}/${w.resourceGroup}/${w.workspace}`;

/**
 * 502: the workspace's Execution Service endpoint could not be found (ARM or discovery failed,
 * or named a host the gateway may not call). Names the workspace; batch cancellation treats
 * it as transient (≥ 500), and a retry makes a new lookup once the failure's short cache ends.
 */
export class EndpointDiscoveryError extends GatewayError {
  override name = 'EndpointDiscoveryError';
  constructor(workspace: WorkspaceRef, reason: string, cause?: unknown) {
    super(502, ProblemTypes.upstreamUnreachable, 'Upstream unreachable', {
      detail: `The Azure ML Execution Service endpoint of workspace ${workspaceLabel(workspace)} could not be discovered: ${reason}.`,
      cause,
    });
    this.extensions.workspace = workspaceLabel(workspace);
  }
}

export interface DiscoveryOptions {
  /** ARM origin (AZURE_RESOURCE_MANAGER_ENDPOINT or the cloud's). */
  resourceManager: string;
  /** ARM-audience token; none for the emulator. */
  credential?: CredentialProvider;
  policy: EndpointPolicy;
  /** Per-request time limit, ms. */
  timeoutMs: number;
}

const seg = encodeURIComponent;

/** An ARM/discovery error code when it is a plain identifier, for the detail (never the message). */
function errorCode(body: unknown): string {
  const code = (body as { error?: { code?: unknown } } | undefined)?.error?.code;
  return typeof code === 'string' && /^[\w.-]{1,64}$/.test(code) ? ` (${code})` : '';
}

/** What a failed ARM GET means for an operator. */
function armHint(status: number): string {
  if (status === 401 || status === 403)
    return ": the gateway's identity needs Microsoft.MachineLearningServices/workspaces/read on the workspace (e.g. Reader)";
  if (status === 404) return ': no such workspace';
  return '';
}

async function getJson(
  url: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<{ status: number; body: unknown }> {
  const response = await undici().request(url, {
    method: 'GET',
    headers: { accept: 'application/json', ...headers },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    signal: AbortSignal.timeout(timeoutMs * 2),
  });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += (chunk as Buffer).length;
    if (size > MAX_ANSWER_BYTES) {
      response.body.destroy();
      return { status: response.statusCode, body: undefined };
    }
    chunks.push(chunk as Buffer);
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    body = undefined;
  }
  return { status: response.statusCode, body };
}

/** Calls `step`, turning a transport failure into the workspace's discovery error. */
async function reach<T>(workspace: WorkspaceRef, what: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof GatewayError) throw error;
    const code = (error as { code?: unknown; name?: unknown }).code ?? (error as { name?: unknown }).name;
    throw new EndpointDiscoveryError(
      workspace,
      `${what} could not be reached${typeof code === 'string' ? ` (${code})` : ''}`,
      error,
    );
  }
}

/**
 * The workspace's Execution Service base URL (e.g. `https://westeurope.api.azureml.ms`).
 * @throws EndpointDiscoveryError; a credential failure keeps its own error, naming the workspace
 * @example
 * await discoverExecutionEndpoint({ subscriptionId, resourceGroup: 'rg', workspace: 'ws' },
 *   { resourceManager: 'https://management.azure.com', credential, policy, timeoutMs: 10_000 });
 */
export async function discoverExecutionEndpoint(
  workspace: WorkspaceRef,
  o: DiscoveryOptions,
): Promise<string> {
  const refused = (what: string, error: unknown): never => {
    const why = error instanceof RefusedEndpointError ? error.message : 'it is not a URL';
    throw new EndpointDiscoveryError(workspace, `${what} was refused: ${why}`);
  };
  let authorization: string | undefined;
  try {
    authorization = await o.credential?.();
  } catch (error) {
    if (error instanceof GatewayError) error.extensions.workspace = workspaceLabel(workspace);
    throw error;
  }
  const armUrl =
    `${o.resourceManager}/subscriptions/${seg(workspace.subscriptionId)}/resourceGroups/${seg(workspace.resourceGroup)}` +
    `/providers/Microsoft.MachineLearningServices/workspaces/${seg(workspace.workspace)}?api-version=${WORKSPACE_API_VERSION}`;
  const arm = await reach(workspace, 'Azure Resource Manager', () =>
    getJson(armUrl, authorization ? { authorization } : {}, o.timeoutMs),
  );
  if (arm.status !== 200)
    throw new EndpointDiscoveryError(
      workspace,
      `Azure Resource Manager answered ${arm.status}${errorCode(arm.body)}${armHint(arm.status)}`,
    );
  const discoveryUrl = (arm.body as { properties?: { discoveryUrl?: unknown } } | undefined)?.properties
    ?.discoveryUrl;
  if (discoveryUrl === undefined || discoveryUrl === null)
    throw new EndpointDiscoveryError(workspace, 'the ARM workspace has no properties.discoveryUrl');
  let checkedDiscoveryUrl = '';
  try {
    checkedDiscoveryUrl = allowedEndpoint(discoveryUrl, o.policy);
  } catch (error) {
    refused('its discoveryUrl', error);
  }
  const discovery = await reach(workspace, 'its discovery URL', () =>
    getJson(checkedDiscoveryUrl, {}, o.timeoutMs),
  );
  if (discovery.status !== 200)
    throw new EndpointDiscoveryError(workspace, `its discovery URL answered ${discovery.status}`);
  const services = discovery.body as { history?: unknown; api?: unknown } | undefined;
  const endpoint = services?.history ?? services?.api;
  if (endpoint === undefined || endpoint === null)
    throw new EndpointDiscoveryError(workspace, 'the discovery answer names no history (or api) endpoint');
  try {
    return allowedEndpoint(endpoint, o.policy);
  } catch (error) {
    return refused('the discovered endpoint', error);
  }
}
