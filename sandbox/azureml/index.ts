/**
 * Azure ML Execution Service emulator: an in-process HTTP server that answers the four operations of the
 * `execution/v1.0` data plane (`startrun`, `snapshotrun`, `startlocalrun`, `runId/{id}/cancel`) with the
 * swagger's paths, the service's error bodies and status codes, plus a Run History read for tests and an
 * App Service–style managed-identity endpoint for `@azure/identity`. Run statuses advance on a
 * (replaceable) clock; runs can also be seeded directly; faults, bearer auth and a request journal let tests
 * exercise a gateway end to end.
 * @module
 */
import { createServer } from 'node:http';
import { FaultControl } from '../common/faults.js';
import type { RecordedRequest } from '../common/journal.js';
import { closer, listen } from '../common/listen.js';
import { IdentityService, type TokenRequest } from './identity.js';
import { type AzureMlEmulatorOptions, resolveOptions } from './options.js';
import { type SeedRun, seedRun } from './seed.js';
import { createRequestListener, type EmulatorState } from './server.js';
import { type RunReader, RunStore } from './store.js';
import { WorkspaceDirectory } from './workspaces.js';

export { FaultControl } from '../common/faults.js';
export type { RecordedRequest } from '../common/journal.js';
export { SYSTEM_ASSIGNED_CLIENT_ID, type TokenRequest } from './identity.js';
export type { AzureMlEmulatorOptions } from './options.js';
export { SEED_DEFAULTS, type SeedRun } from './seed.js';
export type { AzureMlRun, RunReader } from './store.js';
export type { EmulatedWorkspace } from './workspaces.js';

export interface AzureMlEmulator {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:53117` (use as `AZUREML_ENDPOINT`). */
  readonly url: string;
  /** `IDENTITY_ENDPOINT` value for `ManagedIdentityCredential`: `${url}/msi/token`. */
  readonly identityEndpoint: string;
  /** Live fault switches (also settable with `PUT /_emulator/faults`). */
  readonly faults: FaultControl;
  /** The request journal, oldest first (a live array). Bodies over 64 KiB are kept as size + SHA-256. */
  readonly requests: RecordedRequest[];
  /** Read access to stored runs, with statuses computed at the time of reading. */
  readonly runs: RunReader;
  /** Requests to the managed-identity endpoint since start or the last reset (a live array). */
  readonly tokenRequests: TokenRequest[];
  /**
   * The emulated ARM's workspaces (`put` adds or replaces one, `clear` removes all) and this host's
   * `/discovery` answer (`setDiscovery` names other hosts for some keys). Kept across `reset()`.
   * @example aml.workspaces.put({ subscriptionId, resourceGroupName, workspaceName: 'ws', location: 'eastus', discoveryUrl: `${east.url}/discovery` });
   */
  readonly workspaces: Pick<WorkspaceDirectory, 'put' | 'clear' | 'setDiscovery'>;
  /**
   * The next `count` startrun requests are answered `status` (default 503) before their body is
   * read, as a service refuses a request on its headers (auth, a front end) and then drains what
   * the client still sends. The journal records them with an empty body. Cleared by `reset()`.
   * @example aml.refuseUnread(1, 503);
   */
  refuseUnread(count: number, status?: number): void;
  /**
   * Requests whose body broke off before its end (the client aborted a streamed upload): not in
   * the journal, which holds whole requests only. Reset by `reset()`.
   */
  readonly bodiesCutOff: number;
  /** Clears runs, faults, the journal and token requests (issued tokens stay valid). */
  reset(): void;
  /**
   * Inserts runs directly into the store (no HTTP, no journal entry); returns their ids in order.
   * @throws on an invalid id or a run id already used in the experiment (runs before it stay inserted)
   * @example aml.seed(Array.from({ length: 500 }, () => ({ status: 'Running' })));
   */
  seed(runs: SeedRun | SeedRun[]): string[];
  /** Stops listening and destroys open (keep-alive) connections. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Starts an emulator and resolves once it listens.
 * @example
 * const aml = await startAzureMlEmulator({ statusDelaysMs: { running: 100 } });
 * const base = `${aml.url}/execution/v1.0/subscriptions/${SUB}/resourceGroups/rg/providers/` +
 *   'Microsoft.MachineLearningServices/workspaces/ws/experiments/exp';
 * const res = await fetch(`${base}/snapshotrun?runId=exp_1`, { method: 'POST',
 *   headers: { 'content-type': 'application/json' }, body: JSON.stringify({ snapshotId: SNAPSHOT }) });
 * await aml.close();
 */
export async function startAzureMlEmulator(options: AzureMlEmulatorOptions = {}): Promise<AzureMlEmulator> {
  const resolved = resolveOptions(options);
  const store = new RunStore(resolved);
  const faults = new FaultControl(options.faults);
  const journal: RecordedRequest[] = [];
  const identity = new IdentityService(resolved);
  const directory = new WorkspaceDirectory(
    options.workspaces,
    options.publicAccessDisabled,
    options.discovery,
  );
  const state: EmulatorState = {
    options: resolved,
    store,
    faults,
    journal,
    identity,
    directory,
    url: '',
    unread: { count: 0, status: 503 },
    bodiesCutOff: 0,
    reset() {
      state.bodiesCutOff = 0;
      store.clear();
      faults.clear();
      state.unread = { count: 0, status: 503 };
      journal.length = 0;
      identity.reset();
    },
  };

  const server = createServer(createRequestListener(state));
  const url = await listen(server, resolved.host, resolved.port);
  state.url = url;
  return {
    url,
    identityEndpoint: `${url}/msi/token`,
    faults,
    requests: journal,
    runs: store,
    tokenRequests: identity.tokenRequests,
    workspaces: directory,
    get bodiesCutOff() {
      return state.bodiesCutOff;
    },
    refuseUnread(count, status = 503) {
      state.unread = { count, status };
    },
    reset: () => state.reset(),
    seed(runs) {
      const list = Array.isArray(runs) ? runs : [runs];
      return list.map((seed) => seedRun({ options: resolved, store }, seed));
    },
    close: closer(server),
  };
}
