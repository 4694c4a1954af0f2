/**
 * The node:http request pipeline of the Azure ML emulator: control endpoints (`/_emulator/…`) → body
 * (buffered up to the zip cap plus framing, counted and hashed beyond; a startrun's multipart is parsed
 * as it streams in instead, its zip hashed and never held) → journal → injected faults →
 * managed-identity endpoint → routing (404/405) → bearer auth (401) → operation, which validates
 * parameters and body (400/413/415) and answers. Every API failure is an `AzureMlError` rendered as the
 * service's `ErrorResponse` with `x-ms-response-type: error`; every answer carries `x-ms-request-id` and
 * echoes `x-ms-client-request-id`.
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { CONTROL_PREFIX, commonControlEndpoints, handleControl } from '../common/control.js';
import { applyDrip, arriveWithFaults, type FaultControl, holdBody } from '../common/faults.js';
import { readBody, readBodyBytes, sendJson } from '../common/http-io.js';
import { type RecordedRequest, recordRequest } from '../common/journal.js';
import { DISCOVERY_PATH, JOURNAL_TEXT_LIMIT_BYTES, MSI_PATH, MULTIPART_OVERHEAD_BYTES } from './constants.js';
import { AzureMlError, errorBody, newCorrelation, rootCodeForStatus } from './errors.js';
import type { IdentityService } from './identity.js';
import type { ResolvedOptions } from './options.js';
import { matchRoute, Operation } from './routes.js';
import { cancelRun, getRun, invocationBundle } from './run-operations.js';
import { type OperationContext, startLocalRun, startRun, startSnapshotRun } from './start-operations.js';
import { readStartRunBody } from './start-run-body.js';
import type { RunStore } from './store.js';
import { type EmulatedWorkspace, WorkspaceDirectory } from './workspaces.js';

/** Everything one emulator instance holds; shared by the pipeline, the control endpoints and the API. */
export interface EmulatorState {
  options: ResolvedOptions;
  store: RunStore;
  faults: FaultControl;
  journal: RecordedRequest[];
  identity: IdentityService;
  /** The emulated ARM's workspaces and this host's `/discovery` answer. */
  directory: WorkspaceDirectory;
  /** This instance's base URL, once it listens (what `/discovery` names). */
  url: string;
  /** startrun requests still to be refused before their body is read (`refuseUnread`). */
  unread: { count: number; status: number };
  /** Requests whose body broke off before its end (see `AzureMlEmulator.bodiesCutOff`). */
  bodiesCutOff: number;
  reset(): void;
}

const JSON_UTF8 = 'application/json; charset=utf-8';

/** One journaled request on its way through the pipeline. */
interface Exchange {
  request: IncomingMessage;
  response: ServerResponse;
  entry: RecordedRequest;
  /** Headers every answer carries. */
  common: Record<string, string>;
}

function send(exchange: Exchange, status: number, body: unknown, headers: Record<string, string> = {}): void {
  exchange.entry.status = status;
  sendJson(exchange.response, status, body, { ...exchange.common, 'content-type': JSON_UTF8, ...headers });
}

function sendError(state: EmulatorState, exchange: Exchange, error: AzureMlError): void {
  const body = errorBody(error, {
    region: state.options.region,
    now: state.options.now(),
    correlation: newCorrelation(),
  });
  send(exchange, error.status, body, { ...error.headers, 'x-ms-response-type': 'error' });
}

function sendBinary(exchange: Exchange, data: Buffer): void {
  exchange.entry.status = 200;
  exchange.response.writeHead(200, {
    ...exchange.common,
    'content-type': 'application/octet-stream',
    'content-disposition': 'attachment; filename="invocation.zip"',
    'content-length': data.length,
  });
  exchange.response.end(data);
}

/** Runs the matched operation and writes its answer; throws `AzureMlError` for the caller to render. */
function serveApi(state: EmulatorState, exchange: Exchange, context: Omit<OperationContext, 'match'>): void {
  const { request } = exchange;
  const match = matchRoute(request.method ?? 'GET', pathOf(request));
  state.identity.authenticate(request.headers, context.now);
  state.directory.assertReachable(match.scope.workspaceName);
  const full: OperationContext = { ...context, match };
  switch (match.operation) {
    case Operation.StartRun:
      send(exchange, 200, startRun(full));
      break;
    case Operation.SnapshotRun:
      send(exchange, 200, startSnapshotRun(full));
      break;
    case Operation.StartLocalRun: {
      const run = startLocalRun(full);
      sendBinary(exchange, invocationBundle(run, match.scope.experimentName, context.now));
      break;
    }
    case Operation.Cancel:
      send(exchange, 200, cancelRun(state.store, state.options, match, context.now));
      break;
    case Operation.GetRun:
      send(exchange, 200, getRun(state.store, match));
      break;
  }
}

/** The emulated ARM: bearer checked as for the API, answers in ARM's own error shape. */
function serveArm(state: EmulatorState, exchange: Exchange, query: URLSearchParams): void {
  const { request } = exchange;
  try {
    state.identity.authenticate(request.headers, state.options.now());
  } catch (error) {
    const status = error instanceof AzureMlError ? error.status : 401;
    send(exchange, status, { error: { code: 'AuthenticationFailed', message: (error as Error).message } });
    return;
  }
  const answer = state.directory.armGet(request.method ?? 'GET', pathOf(request), query);
  send(exchange, answer.status, answer.body);
}

function pathOf(request: IncomingMessage): string {
  const url = request.url ?? '/';
  const queryStart = url.indexOf('?');
  return queryStart === -1 ? url : url.slice(0, queryStart);
}

/**
 * Answers a startrun before reading its body (`refuseUnread`), then drains the body as Kestrel
 * does after an early answer; a client that gives up on sending simply closes the connection.
 */
function refuseUnread(state: EmulatorState, request: IncomingMessage, response: ServerResponse): void {
  const { status } = state.unread;
  state.unread.count -= 1;
  const entry = recordRequest(
    request.method ?? 'POST',
    request.url ?? '/',
    request.headers,
    '',
    state.options.now(),
    JOURNAL_TEXT_LIMIT_BYTES,
  );
  state.journal.push(entry);
  const exchange: Exchange = { request, response, entry, common: { 'x-ms-request-id': randomUUID() } };
  const message = `Service failure before the body was read (injected HTTP ${status}).`;
  sendError(state, exchange, new AzureMlError(status, rootCodeForStatus(status), message, []));
  request.resume();
  request.on('error', () => undefined);
}

async function handle(
  state: EmulatorState,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const method = request.method ?? 'GET';
  const url = request.url ?? '/';
  const path = pathOf(request);
  if (path.startsWith(CONTROL_PREFIX)) {
    handleControl(method, path, await readBody(request), controlEndpoints(state), response);
    return;
  }
  await holdBody(state.faults, path);
  if (state.unread.count > 0 && method === 'POST' && path.endsWith('/startrun')) {
    refuseUnread(state, request, response);
    return;
  }
  const maxBytes = state.options.maxZipBytes + MULTIPART_OVERHEAD_BYTES;
  const hash = state.options.journalBodyHash;
  // Only the startrun route ends in /startrun; no other route reads a POST body to /startrun.
  const body = await (method === 'POST' && path.endsWith('/startrun')
    ? readStartRunBody(request, maxBytes, JOURNAL_TEXT_LIMIT_BYTES, hash)
    : readBodyBytes(request, maxBytes, { hash })
  ).catch((error: unknown) => {
    state.bodiesCutOff += 1;
    throw error;
  });
  const now = state.options.now();
  const journalBody = 'journal' in body ? body.journal : body;
  const entry = recordRequest(method, url, request.headers, journalBody, now, JOURNAL_TEXT_LIMIT_BYTES);
  state.journal.push(entry);
  const common: Record<string, string> = { 'x-ms-request-id': randomUUID() };
  const clientRequestId = request.headers['x-ms-client-request-id'];
  if (typeof clientRequestId === 'string') common['x-ms-client-request-id'] = clientRequestId;
  const exchange: Exchange = { request, response, entry, common };

  const decision = await arriveWithFaults(state.faults, path);
  applyDrip(state.faults, path, response);
  if (decision.kind === 'drop') {
    entry.dropped = true;
    request.socket.destroy();
    return;
  }
  if (decision.kind !== 'none') {
    const status = decision.kind === 'status429' ? 429 : decision.status;
    const headers =
      decision.kind === 'status429' ? { 'retry-after': String(decision.retryAfterSeconds) } : undefined;
    const message =
      status === 429
        ? 'Rate limit exceeded (injected by the emulator).'
        : `Service failure (injected HTTP ${status}).`;
    sendError(
      state,
      exchange,
      new AzureMlError(status, rootCodeForStatus(status), message, [], null, headers),
    );
    return;
  }

  const query = new URLSearchParams(url.slice(path.length + 1));
  if (path === MSI_PATH) {
    const answer = state.identity.msiToken(method, query, request.headers, state.options.now());
    send(exchange, answer.status, answer.body);
    return;
  }
  if (path === DISCOVERY_PATH) {
    // Unauthenticated, as the SDK fetches it (no Authorization header).
    if (method === 'GET') send(exchange, 200, state.directory.discovery(state.url));
    else send(exchange, 405, { error: { code: 'MethodNotAllowed', message: 'Use GET.' } }, { allow: 'GET' });
    return;
  }
  if (WorkspaceDirectory.isArmPath(path)) {
    serveArm(state, exchange, query);
    return;
  }
  try {
    serveApi(state, exchange, {
      options: state.options,
      store: state.store,
      query,
      contentType: request.headers['content-type'],
      body,
      now: state.options.now(),
    });
  } catch (error) {
    const failure =
      error instanceof AzureMlError
        ? error
        : new AzureMlError(
            500,
            rootCodeForStatus(500),
            `Internal emulator error: ${(error as Error).message}`,
          );
    sendError(state, exchange, failure);
  }
}

function controlEndpoints(state: EmulatorState) {
  return {
    ...commonControlEndpoints({
      faults: state.faults,
      journal: state.journal,
      journalExtras: () => ({ tokenRequests: state.identity.tokenRequests }),
      clearJournal: () => {
        state.journal.length = 0;
        state.identity.reset();
      },
      reset: () => state.reset(),
    }),
    '/_emulator/runs': {
      GET: () => ({ status: 200, body: { runs: state.store.listRuns() } }),
    },
    '/_emulator/workspaces': {
      // Replaces the emulated ARM's workspaces with the JSON list sent (EmulatedWorkspace[]).
      PUT: (body: string) => {
        const list = JSON.parse(body) as EmulatedWorkspace[];
        if (!Array.isArray(list)) throw new Error('expected a JSON array of workspaces');
        state.directory.clear();
        for (const workspace of list) state.directory.put(workspace);
        return { status: 200, body: { workspaces: list.length } };
      },
    },
  };
}

/**
 * The `node:http` listener for one emulator.
 * @example http.createServer(createRequestListener(state)).listen(0);
 */
export function createRequestListener(state: EmulatorState): RequestListener {
  return (request, response) => {
    handle(state, request, response).catch((error: unknown) => {
      if (!response.headersSent && !response.destroyed)
        sendJson(response, 500, { error: { code: 'ServiceError', message: String(error) } });
    });
  };
}
