/**
 * @module
 * The request frame every route runs in: one request id (the caller's `x-request-id`, or one
 * minted here) and `traceparent`, on every log line and the answer; the body dropped unless
 * the route reads it; any failure rendered as problem+json; and one log line per request with
 * its status, duration and whatever the route noted (upstream status, attempts) — info,
 * warn for a refusal, error for a failure.
 */
import { callerFields } from '../auth/identify.js';
import { errorName, GatewayError } from '../problems/errors.js';
import { problemResponse } from '../problems/to-problem.js';
import { type Correlation, correlate, correlationHeaders } from '../shared/correlation.js';
import { createLogger, type LogFields, type Logger, type LogSink } from '../shared/log.js';
import type { GatewayRequest, RoutedRequest, RouteHandler } from './route.js';

export interface RequestContext {
  correlation: Correlation;
  /** Carries `requestId` and `operation` (the route name). */
  log: Logger;
  /** Adds fields to the request's log line. */
  note(fields: LogFields): void;
}

/**
 * @example
 * const handler = frame('health', async () => Response.json({ status: 'ok' }));
 */
export function frame(
  name: string,
  run: (request: RoutedRequest, ctx: RequestContext) => Promise<Response>,
  options: {
    readsBody?: boolean;
    /** Log refusals and failures only (health probes would otherwise fill the log). */
    quietWhenOk?: boolean;
  } = {},
): RouteHandler {
  return async (request, sink) => {
    const started = performance.now();
    if (!options.readsBody) await discard(request.body);
    const correlation = correlate(request.headers);
    const log = createLogger(sink).child({
      requestId: correlation.requestId,
      operation: name,
      ...callerFields(request.caller),
    });
    const notes: LogFields = {};
    const note = (fields: LogFields) => Object.assign(notes, fields);
    let response: Response;
    try {
      response = await run(request, { correlation, log, note });
      for (const [header, value] of Object.entries(correlationHeaders(correlation)))
        response.headers.set(header, value);
    } catch (error) {
      await discard(request.body); // a refused upload is not read on
      response = render(request, correlation, error);
      note({ problem: error instanceof GatewayError ? error.type : 'internal-error' });
      if (response.status >= 500) note({ error: describe(error) });
    }
    const fields = { status: response.status, ...notes, durationMs: Math.round(performance.now() - started) };
    if (response.status >= 500) log.error('request.failed', fields);
    else if (response.status >= 400) log.warn('request.refused', fields);
    else if (!options.quietWhenOk) log.info('request.done', fields);
    return response;
  };
}

/**
 * A request refused before any route runs (a reserved name, a bug in a handler): the body is
 * dropped, the problem carries the correlation headers, and the refusal is logged.
 */
export async function refuse(request: GatewayRequest, error: unknown, sink: LogSink): Promise<Response> {
  await discard(request.body);
  const correlation = correlate(request.headers);
  const response = render(request, correlation, error);
  const log = createLogger(sink, { requestId: correlation.requestId });
  const fields = {
    status: response.status,
    problem: error instanceof GatewayError ? error.type : 'internal-error',
  };
  if (response.status >= 500) log.error('request.failed', { ...fields, error: describe(error) });
  else log.warn('request.refused', fields);
  return response;
}

function render(request: GatewayRequest, correlation: Correlation, error: unknown): Response {
  const instance = new URL(request.url, 'http://localhost').pathname;
  return problemResponse(error, correlation.requestId, instance, correlationHeaders(correlation));
}

/** Reads nothing more of a body: cancelled (under the Functions adapter, drained). */
export async function discard(body: ReadableStream<Uint8Array> | null): Promise<void> {
  await body?.cancel().catch(() => undefined);
}

/** A gateway error's own detail (written to be shown); for anything else its class and code only. */
export function describe(error: unknown): string {
  return error instanceof GatewayError ? `${error.name}: ${error.detail}` : errorName(error);
}
