/**
 * @module
 * Turns a catalog operation into a handler on web-standard types: correlate → read the body
 * under its cap → validate params, query and body → allow-list guard → upstream call →
 * stream the upstream answer back unchanged on success, or render one problem+json on any
 * failure. The Functions registrations and the local host both call these handlers.
 */
import {
  type Operation,
  type OperationContext,
  STREAMED_BODY,
  type StreamedBody,
} from '../catalog/operation.js';
import { createLogger, type LogSink } from '../log.js';
import { GatewayError, UpstreamError } from '../problems/errors.js';
import { problemResponse } from '../problems/to-problem.js';
import { getRuntime, type Runtime } from '../runtime.js';
import type { UpstreamResponse } from '../upstream/http-client.js';
import { correlate, correlationHeaders } from './correlation.js';
import { readCapped } from './read-capped.js';
import { readJsonBody } from './read-json-body.js';
import { validateInput } from './validate.js';

/**
 * The parts of an HTTP request a host hands over; both Functions' HttpRequest and the local
 * host provide them. No route values: under the real host `request.params` also holds query
 * and JSON body fields, so each route binds its own (`RoutedRequest`).
 */
export interface GatewayRequest {
  method: string;
  url: string;
  headers: Headers;
  body: ReadableStream<Uint8Array> | null;
  /** Aborted when the caller goes away, so the upstream call is abandoned too (local host). */
  signal?: AbortSignal;
}

/** A request bound to the route that serves it (`bindRoute` in routes.ts). */
export interface RoutedRequest extends GatewayRequest {
  /** The route template's values, taken from the URL path. */
  params: Record<string, string>;
  /** The query string without the host's `code` (function key). */
  query: URLSearchParams;
}

/** What a host calls. */
export type GatewayHandler = (request: GatewayRequest, sink: LogSink) => Promise<Response>;
/** What a route implements: the request comes bound to the route's own template. */
export type RouteHandler = (request: RoutedRequest, sink: LogSink) => Promise<Response>;

/** End-to-end headers of an upstream answer that the caller may see; everything else stays. */
const PASSTHROUGH_HEADERS = [
  'content-type',
  'content-length',
  'content-encoding',
  'content-disposition',
  'etag',
  'last-modified',
];
/** How much of a failed upstream answer is read to attach to the problem. */
const UPSTREAM_ERROR_BODY_LIMIT = 64 * 1024;

/**
 * @example
 * const handler = operationHandler(getExecution);
 * const response = await handler(request, context);
 */
export function operationHandler(op: Operation, runtimeOf: () => Runtime = getRuntime): RouteHandler {
  return async (request, sink) => {
    const started = performance.now();
    const correlation = correlate(request.headers);
    const log = createLogger(sink).child({ requestId: correlation.requestId, operation: op.seed });
    const instance = new URL(request.url, 'http://localhost').pathname;
    let upstream: UpstreamResponse | undefined;
    try {
      const runtime = runtimeOf();
      const streamed = op.input.body === STREAMED_BODY;
      const body = streamed
        ? undefined
        : op.input.body
          ? await readJsonBody(request.body, request.headers, runtime.settings.MAX_JSON_BODY_BYTES)
          : await discard(request.body);
      const query = Object.fromEntries(request.query);
      const input = validateInput(op, { params: request.params, query, body }, runtime.settings);
      if (streamed) input.body = { stream: request.body, headers: request.headers } satisfies StreamedBody;
      const ctx: OperationContext = { runtime, correlation, log, signal: request.signal };
      runtime.assertConfigured(op.capability);
      op.guard?.(input, ctx);
      upstream = await op.call(input, ctx);
      if (upstream.status < 200 || upstream.status > 299) {
        const failure = await upstreamFailure(upstream);
        Object.assign(failure.extensions, upstream.extensions);
        throw failure;
      }
      log.info('request.done', {
        status: upstream.status,
        upstreamStatus: upstream.status,
        attempts: upstream.attempts,
        durationMs: Math.round(performance.now() - started),
      });
      const empty = upstream.status === 204 || upstream.status === 205;
      if (empty) await upstream.body.cancel();
      return new Response(empty ? null : upstream.body, {
        status: upstream.status,
        headers: { ...pickHeaders(upstream.headers), ...correlationHeaders(correlation) },
      });
    } catch (error) {
      const status = error instanceof GatewayError ? error.status : 500;
      const fields = {
        status,
        problem: error instanceof GatewayError ? error.type : 'internal-error',
        upstreamStatus: upstream?.status,
        attempts: upstream?.attempts,
        durationMs: Math.round(performance.now() - started),
      };
      await request.body?.cancel().catch(() => undefined); // a refused upload is not read on
      if (status >= 500) log.error('request.failed', { ...fields, error: describe(error) });
      else log.warn('request.refused', fields);
      return problemResponse(error, correlation.requestId, instance, correlationHeaders(correlation));
    }
  };
}

/** A failed upstream answer as an `UpstreamError`, with the (capped) body it carried. */
export async function upstreamFailure(upstream: UpstreamResponse): Promise<UpstreamError> {
  const text = (await readCapped(upstream.body, UPSTREAM_ERROR_BODY_LIMIT)).bytes.toString('utf8');
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: attach the (capped) text as it is.
  }
  const retryAfter = upstream.headers['retry-after'];
  return new UpstreamError(
    upstream.upstream,
    { status: upstream.status, body },
    Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
  );
}

async function discard(body: ReadableStream<Uint8Array> | null): Promise<undefined> {
  await body?.cancel().catch(() => undefined);
  return undefined;
}

function pickHeaders(headers: UpstreamResponse['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of PASSTHROUGH_HEADERS) {
    const value = headers[name];
    if (typeof value === 'string') out[name] = value;
  }
  return out;
}

/** Error class and code only: messages of foreign errors may quote request data. */
function describe(error: unknown): string {
  if (error instanceof GatewayError) return `${error.name}: ${error.detail}`;
  const e = error as { name?: unknown; code?: unknown };
  return `${typeof e?.name === 'string' ? e.name : 'Error'}${typeof e?.code === 'string' ? ` (${e.code})` : ''}`;
}
