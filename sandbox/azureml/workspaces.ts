/**
 * The ARM and discovery side of the Azure ML emulator, so that a gateway can find each workspace's
 * Execution Service the way the Azure ML SDK does: `GET {ARM}/subscriptions/{s}/resourceGroups/{rg}/
 * providers/Microsoft.MachineLearningServices/workspaces/{ws}?api-version=…` answers the workspace
 * resource with `properties.discoveryUrl`, and `GET /discovery` on a regional (or private-link) host
 * answers that host's service endpoints (`api`, `history`, `experimentation`, …).
 *
 * Several emulator instances on loopback play several hosts: one (or any) serves ARM from its workspace
 * registry, each serves `/discovery` naming itself. A workspace whose public network access is disabled is
 * refused by a public regional host (403, as the real service refuses a private-link workspace reached over
 * its public host) and served by the instance its discovery URL names.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { InnerCode } from './constants.js';
import { userError } from './errors.js';

/** One workspace as the emulated ARM knows it. */
export interface EmulatedWorkspace {
  subscriptionId: string;
  resourceGroupName: string;
  workspaceName: string;
  /** Azure region (`location`). */
  location: string;
  /** `properties.discoveryUrl`, e.g. `${regionEmulator.url}/discovery`. */
  discoveryUrl: string;
  /** `properties.workspaceId` (the GUID in a private-link host name). @default a new GUID */
  workspaceId?: string;
  /** `properties.publicNetworkAccess`. @default 'Enabled' */
  publicNetworkAccess?: 'Enabled' | 'Disabled';
}

/** An ARM failure: ARM's own `{error: {code, message}}` shape, not the Execution Service's. */
export interface ArmAnswer {
  status: number;
  body: unknown;
}

const ARM_WORKSPACE_PATH =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.MachineLearningServices\/workspaces\/([^/]+)\/?$/i;

/** The discovery keys a real answer carries that name this host (the v1 SDK reads `history`, S4). */
const DISCOVERY_KEYS = ['api', 'experimentation', 'history', 'hyperdrive', 'modelmanagement', 'pipelines'];

const keyOf = (subscriptionId: string, resourceGroupName: string, workspaceName: string) =>
  `${subscriptionId}/${resourceGroupName}/${workspaceName}`.toLowerCase();

function decode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

const armError = (status: number, code: string, message: string): ArmAnswer => ({
  status,
  body: { error: { code, message } },
});

/** The ARM workspace registry and the `/discovery` answer of one emulator instance. */
export class WorkspaceDirectory {
  private readonly workspaces = new Map<string, Required<EmulatedWorkspace>>();
  private discoveryOverrides: Record<string, string> = {};
  private readonly denied: Set<string>;

  constructor(
    initial: readonly EmulatedWorkspace[] = [],
    publicAccessDisabled: readonly string[] = [],
    discovery: Record<string, string> = {},
  ) {
    for (const workspace of initial) this.put(workspace);
    this.denied = new Set(publicAccessDisabled.map((name) => name.toLowerCase()));
    this.discoveryOverrides = { ...discovery };
  }

  /** Adds or replaces a workspace (ARM names compare case-insensitively). */
  put(workspace: EmulatedWorkspace): void {
    this.workspaces.set(
      keyOf(workspace.subscriptionId, workspace.resourceGroupName, workspace.workspaceName),
      {
        workspaceId: randomUUID(),
        publicNetworkAccess: 'Enabled',
        ...workspace,
      },
    );
  }

  /** Removes every workspace. */
  clear(): void {
    this.workspaces.clear();
  }

  /** Replaces the keys `/discovery` answers differently from "this host" (e.g. a host elsewhere). */
  setDiscovery(overrides: Record<string, string>): void {
    this.discoveryOverrides = { ...overrides };
  }

  /** Whether `path` is an ARM workspace path (any casing, as ARM routes). */
  static isArmPath(path: string): boolean {
    return ARM_WORKSPACE_PATH.test(path);
  }

  /** Answers `GET /subscriptions/…/workspaces/{ws}?api-version=…` (auth checked by the caller). */
  armGet(method: string, path: string, query: URLSearchParams): ArmAnswer {
    const match = ARM_WORKSPACE_PATH.exec(path);
    const [sub, rg, ws] = [match?.[1], match?.[2], match?.[3]].map((s) => decode(s ?? ''));
    if (method !== 'GET') return armError(405, 'MethodNotAllowed', `The emulated ARM serves only GET here.`);
    if (!query.get('api-version'))
      return armError(
        400,
        'MissingApiVersionParameter',
        'The api-version query parameter (?api-version=) is required for all requests.',
      );
    const found = sub && rg && ws ? this.workspaces.get(keyOf(sub, rg, ws)) : undefined;
    if (!found)
      return armError(
        404,
        'ResourceNotFound',
        `The Resource 'Microsoft.MachineLearningServices/workspaces/${ws}' under resource group '${rg}' was not found.`,
      );
    const id =
      `/subscriptions/${found.subscriptionId}/resourceGroups/${found.resourceGroupName}` +
      `/providers/Microsoft.MachineLearningServices/workspaces/${found.workspaceName}`;
    return {
      status: 200,
      body: {
        id,
        name: found.workspaceName,
        type: 'Microsoft.MachineLearningServices/workspaces',
        location: found.location,
        kind: 'Default',
        properties: {
          friendlyName: found.workspaceName,
          workspaceId: found.workspaceId,
          discoveryUrl: found.discoveryUrl,
          publicNetworkAccess: found.publicNetworkAccess,
          provisioningState: 'Succeeded',
        },
      },
    };
  }

  /** `GET /discovery`: every service on this host (`self`), with the overrides on top. */
  discovery(self: string): Record<string, string> {
    const answer: Record<string, string> = {};
    for (const key of DISCOVERY_KEYS) answer[key] = self;
    answer.studio = 'https://ml.azure.com';
    return { ...answer, ...this.discoveryOverrides };
  }

  /**
   * Refuses a workspace whose public network access is disabled on this host, as the service does.
   * @throws AzureMlError 403 (S9 MicrosoftDocs/azure-docs#90426)
   */
  assertReachable(workspaceName: string): void {
    if (this.denied.has(workspaceName.toLowerCase()))
      throw userError(
        403,
        InnerCode.PrivateLinkAccessDenied,
        'Access to workspace was denied based on workspace private link configuration.',
      );
  }
}
