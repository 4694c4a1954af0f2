/**
 * The node:http request pipeline of the emulator, in the order a real flyteadmin request goes through it:
 * journal → injected faults → (token endpoint) → gateway routing (404/501) → marshaler choice → request
 * decoding (400) → authentication (401, a gRPC interceptor, so after the gateway) → operation → response
 * through the outbound marshaler. Every failure is a `StatusError` rendered as a google.rpc.Status body.
 * @module
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { CONTROL_PREFIX, commonControlEndpoints, handleControl } from '../common/control.js';
import { applyDrip, arriveWithFaults, type FaultControl, type FaultDecision } from '../common/faults.js';
import { readBody, sendJson } from '../common/http-io.js';
import { type RecordedRequest, recordRequest } from '../common/journal.js';
import type { AuthService } from './auth.js';
import { GrpcCode } from './constants.js';
import { ANONYMOUS, operationFor } from './dispatch.js';
import { chooseMarshalers, type Marshaler } from './marshaler.js';
import type { ResolvedOptions } from './options.js';
import { encodeMessage, encodeStatus, type Naming } from './proto-encode.js';
import type { ProtoObject } from './proto-value.js';
import { buildRequestMessage } from './request-message.js';
import { matchRoute, type OperationName } from './routes.js';
import { StatusError } from './status-error.js';
import type { ExecutionStore } from './store.js';

/** Everything one emulator instance holds; shared by the pipeline, the control endpoints and the API. */
export interface EmulatorState {
  options: ResolvedOptions;
  store: ExecutionStore;
  faults: FaultControl;
  journal: RecordedRequest[];
  /** Each request message as the gateway decoded it (proto names, enum names), oldest first. */
  received: ReceivedMessage[];
  auth: AuthService;
  /** `http://host:port` once listening (discovery documents point back at it). */
  baseUrl(): string;
  reset(): void;
}

/** One decoded request message: what flyteadmin's service method would be handed. */
export interface ReceivedMessage {
  operation: OperationName;
  /** The canonical request message: proto field names, enum names, int64 as strings. */
  message: ProtoObject;
}

const TOKEN_PATH = '/oauth2/token';

/** gRPC code that best describes an injected 5xx, so its body looks like one the gateway could send. */
function codeForStatus(status: number): GrpcCode {
  if (status === 501) return GrpcCode.UNIMPLEMENTED;
  if (status === 502 || status === 503) return GrpcCode.UNAVAILABLE;
  if (status === 504) return GrpcCode.DEADLINE_EXCEEDED;
  if (status === 500) return GrpcCode.INTERNAL;
  return GrpcCode.UNKNOWN;
}

/** One journaled request on its way through the pipeline. */
interface Exchange {
  request: IncomingMessage;
  response: ServerResponse;
  method: string;
  path: string;
  rawQuery: string;
  body: string;
  entry: RecordedRequest;
  inbound: Marshaler;
  naming: Naming;
}

function send(
  exchange: Exchange,
  status: number,
  payload: unknown,
  headers: Record<string, string> = {},
): void {
  exchange.entry.status = status;
  sendJson(exchange.response, status, payload, headers);
}

/** Renders a status through the outbound marshaler, as grpc-gateway's `DefaultHTTPErrorHandler` does. */
function sendError(exchange: Exchange, error: StatusError, status = error.httpStatus): void {
  // The gateway copies an UNAUTHENTICATED message into WWW-Authenticate.
  const headers =
    error.code === GrpcCode.UNAUTHENTICATED
      ? { ...error.headers, 'www-authenticate': error.message }
      : error.headers;
  send(exchange, status, encodeStatus(error, exchange.naming), headers);
}

/** Carries out a counted fault; returns false when the request should be served normally. */
function injectFault(exchange: Exchange, decision: FaultDecision): boolean {
  switch (decision.kind) {
    case 'drop':
      exchange.entry.dropped = true;
      exchange.request.socket.destroy();
      return true;
    case 'status429':
      sendError(
        exchange,
        new StatusError(GrpcCode.RESOURCE_EXHAUSTED, 'rate limit exceeded (injected by the emulator)', [], {
          'retry-after': String(decision.retryAfterSeconds),
        }),
      );
      return true;
    case 'status5xx': {
      const message = `upstream failure (injected HTTP ${decision.status})`;
      sendError(exchange, new StatusError(codeForStatus(decision.status), message), decision.status);
      return true;
    }
    case 'none':
      return false;
  }
}

/** The grpc-gateway part: route, decode, authenticate, run the operation, encode. */
function serveGateway(state: EmulatorState, exchange: Exchange, outbound: Marshaler): void {
  try {
    const match = matchRoute(exchange.method, exchange.path);
    if (outbound.kind === 'binary' || (match.route.body && exchange.inbound.kind === 'binary')) {
      throw new StatusError(
        GrpcCode.UNIMPLEMENTED,
        'application/octet-stream (binary protobuf) is not supported by the emulator',
      );
    }
    const discardUnknown = exchange.inbound.kind === 'json' && exchange.inbound.discardUnknown;
    const message = buildRequestMessage(match, exchange.rawQuery, exchange.body, discardUnknown);
    const now = state.options.now();
    const { operation } = match.route;
    state.received.push({ operation, message: structuredClone(message) });
    const principal = ANONYMOUS.has(operation) ? '' : state.auth.authenticate(exchange.request.headers, now);
    const result = operationFor(state, operation)(
      { options: state.options, store: state.store, principal, now },
      message,
    );
    send(exchange, 200, encodeMessage(result.typeName, result.value, exchange.naming));
  } catch (error) {
    if (error instanceof StatusError) sendError(exchange, error);
    else
      sendError(
        exchange,
        new StatusError(GrpcCode.INTERNAL, `internal emulator error: ${(error as Error).message}`),
      );
  }
}

async function handle(
  state: EmulatorState,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const method = request.method ?? 'GET';
  const url = request.url ?? '/';
  const queryStart = url.indexOf('?');
  const path = queryStart === -1 ? url : url.slice(0, queryStart);
  const body = await readBody(request);
  if (path.startsWith(CONTROL_PREFIX)) {
    handleControl(method, path, body, commonControlEndpoints(controlTarget(state)), response);
    return;
  }

  const entry = recordRequest(method, url, request.headers, body, state.options.now());
  state.journal.push(entry);
  if (path === TOKEN_PATH) state.auth.tokenRequests += 1;
  const decision = await arriveWithFaults(state.faults, path);
  applyDrip(state.faults, path, response);

  const { inbound, outbound } = chooseMarshalers(
    request.headersDistinct.accept,
    request.headersDistinct['content-type'],
  );
  const exchange: Exchange = {
    request,
    response,
    method,
    path,
    rawQuery: queryStart === -1 ? '' : url.slice(queryStart + 1),
    body,
    entry,
    inbound,
    naming: outbound.kind === 'json' ? outbound.naming : 'json',
  };
  if (injectFault(exchange, decision)) return;
  if (path === TOKEN_PATH) {
    const answer = state.auth.token(method, request.headers, body, state.options.now());
    send(exchange, answer.status, answer.body, answer.headers);
    return;
  }
  serveGateway(state, exchange, outbound);
}

function controlTarget(state: EmulatorState) {
  return {
    faults: state.faults,
    journal: state.journal,
    journalExtras: () => ({ tokenRequests: state.auth.tokenRequests }),
    clearJournal: () => {
      state.journal.length = 0;
      state.auth.tokenRequests = 0;
    },
    reset: () => state.reset(),
  };
}

/**
 * The `node:http` listener for one emulator.
 * @example http.createServer(createRequestListener(state)).listen(0);
 */
export function createRequestListener(state: EmulatorState): RequestListener {
  return (request, response) => {
    handle(state, request, response).catch((error: unknown) => {
      if (!response.headersSent && !response.destroyed) {
        sendJson(response, 500, { code: GrpcCode.INTERNAL, message: String(error), details: [] });
      }
    });
  };
}
