/**
 * Flyte Admin emulator: an in-process HTTP server that answers the seven workflow-execution endpoints of
 * flyteadmin's REST (grpc-gateway) surface with the same paths, JSON names, enum spellings, status codes
 * and error bodies, for local development and tests. Phases advance on a (replaceable) clock; faults,
 * bearer auth and a request journal let tests exercise a client's failure handling end to end.
 * @module
 */
import { createServer } from 'node:http';
import { FaultControl } from '../common/faults.js';
import type { RecordedRequest } from '../common/journal.js';
import { closer, listen } from '../common/listen.js';
import { AuthService } from './auth.js';
import { type FlyteAdminEmulatorOptions, resolveOptions } from './options.js';
import { type SeedExecution, seedExecution } from './seed.js';
import { createRequestListener, type EmulatorState, type ReceivedMessage } from './server.js';
import { type ExecutionId, ExecutionStore } from './store.js';

export { FaultControl } from '../common/faults.js';
export type { RecordedRequest } from '../common/journal.js';
export type { FlyteAdminEmulatorOptions } from './options.js';
export type { SeedExecution } from './seed.js';
export type { ReceivedMessage } from './server.js';
export type { ExecutionId } from './store.js';

export interface FlyteAdminEmulator {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:53117`. */
  readonly url: string;
  /** Live fault switches (also settable with `PUT /_emulator/faults`). */
  readonly faults: FaultControl;
  /** The request journal, oldest first (a live array: it grows as requests arrive). */
  readonly requests: RecordedRequest[];
  /**
   * Each request message as the emulated gateway decoded it — proto names and enum names whatever
   * spelling the client sent: what flyteadmin's service would be handed. A live array; `reset()` clears it.
   */
  readonly received: ReceivedMessage[];
  /** Requests received by `POST /oauth2/token` since start or the last reset. */
  readonly tokenRequests: number;
  /** Clears executions, faults, the journal and the token counter (issued tokens stay valid). */
  reset(): void;
  /** Inserts executions directly (no HTTP, no validation); returns their ids in order. */
  seed(executions: SeedExecution | SeedExecution[]): ExecutionId[];
  /** Stops listening and destroys open (keep-alive) connections. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Starts an emulator and resolves once it listens.
 * @example
 * const admin = await startFlyteAdminEmulator({ phaseDelaysMs: { queued: 10, running: 50 } });
 * const res = await fetch(`${admin.url}/api/v1/executions/flytesnacks/development?limit=10`,
 *   { headers: { accept: 'application/json' } });
 * await admin.close();
 */
export async function startFlyteAdminEmulator(
  options: FlyteAdminEmulatorOptions = {},
): Promise<FlyteAdminEmulator> {
  const resolved = resolveOptions(options);
  const store = new ExecutionStore();
  const faults = new FaultControl(options.faults);
  const journal: RecordedRequest[] = [];
  const received: ReceivedMessage[] = [];
  const auth = new AuthService(resolved);
  let baseUrl = '';
  const state: EmulatorState = {
    options: resolved,
    store,
    faults,
    journal,
    received,
    auth,
    baseUrl: () => baseUrl,
    reset() {
      store.clear();
      faults.clear();
      journal.length = 0;
      received.length = 0;
      auth.reset();
    },
  };

  const server = createServer(createRequestListener(state));
  baseUrl = await listen(server, resolved.host, resolved.port);

  return {
    url: baseUrl,
    faults,
    get requests() {
      return journal;
    },
    get received() {
      return received;
    },
    get tokenRequests() {
      return auth.tokenRequests;
    },
    reset: () => state.reset(),
    seed(executions) {
      const list = Array.isArray(executions) ? executions : [executions];
      return list.map((seed) => seedExecution({ options: resolved, store, principal: '' }, seed));
    },
    close: closer(server),
  };
}
