/**
 * @module
 * The request frame every route runs in: one request id (the caller's `x-request-id`, or one
 * minted here) and `traceparent`, on every log line and the answer; the body dropped unless
 * the route reads it; any failure rendered as problem+json; and one log line per request with
 * its status, duration and whatever the route noted (upstream status, attempts) — info,
 * warn for a refusal, error for a failure. A streamed answer is logged when its body ends,
 * so a body cut short (an upstream past its deadline) says so. A caller that went away is
 * logged as nginx does, 499 "client closed request" at warn, whatever failed because of it.
 */
import { callerFields } from '../auth/identify.js';
import { ClientClosedRequestError, errorName, GatewayError, ProblemTypes } from '../problems/errors.js';
import { problemResponse } from '../problems/to-problem.js';
import { type Correlation, correlate, correlationHeaders } from '../shared/correlation.js';
import { createLogger, type LogFields, type Logger, type LogSink } from '../shared/log.js';
import { hostTraceparentOf, startRequestSpan } from '../telemetry/spans.js';
import { addHeaders, bufferedBodyOf } from './buffered-response.js';
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
    // With telemetry on, the request's server span: its id goes upstream and back to the caller.
    const given = correlate(request.headers);
    const span = startRequestSpan(name, request, given, hostTraceparentOf(sink));
    const correlation = span?.correlation ?? given;
    const log = createLogger(
      sink,
      { requestId: correlation.requestId, operation: name, ...callerFields(request.caller) },
      correlation.trace,
    );
    const notes: LogFields = {};
    const note = (fields: LogFields) => Object.assign(notes, fields);
    let response: Response;
    /** A problem rendered here: a small body in memory, logged at once (a host may answer only later). */
    let rendered = false;
    try {
      response = await run(request, { correlation, log, note });
      addHeaders(response, correlationHeaders(correlation));
    } catch (thrown) {
      await discard(request.body); // a refused upload is not read on
      // Whatever failed once the caller was gone (the upstream call, its upload) failed for that.
      const error = callerGone(request, thrown) ? new ClientClosedRequestError(thrown) : thrown;
      response = render(request, correlation, error);
      rendered = true;
      note({ problem: error instanceof GatewayError ? error.type : 'internal-error' });
      if (response.status >= 500) note({ error: describe(error) });
      if (error instanceof ClientClosedRequestError) note({ cause: describe(thrown) });
    }
    const durationMs = () => Math.round(performance.now() - started);
    const logLine = () => {
      span?.end(response.status, notes);
      const fields = { status: response.status, ...notes, durationMs: durationMs() };
      if (response.status === 499) log.warn('request.abandoned', fields);
      else if (response.status >= 500) log.error('request.failed', fields);
      else if (response.status >= 400) log.warn('request.refused', fields);
      else if (!options.quietWhenOk) log.info('request.done', fields);
    };
    if (response.status === 499) {
      // Nobody is left to read it: no body for a host to write to a closed connection.
      await response.body?.cancel();
      logLine();
      return new Response(null, { status: 499, headers: response.headers });
    }
    // An answer already in memory (a problem, a small upstream answer) is complete now.
    if (bufferedBodyOf(response) || rendered || !response.body) {
      logLine();
      return response;
    }
    return watchBody(response, request.signal, {
      done: logLine,
      cut: (error) => {
        // The status line has gone out; the log says what became of the body behind it.
        const fields = { status: response.status, ...notes, durationMs: durationMs() };
        const gone = callerGone(request, error);
        const problem = gone
          ? ProblemTypes.clientClosedRequest
          : error instanceof GatewayError
            ? error.type
            : 'internal-error';
        span?.end(gone ? 499 : response.status, { ...notes, problem }, !gone);
        if (gone) {
          log.warn('request.abandoned', {
            ...fields,
            status: 499,
            sentStatus: response.status,
            problem: ProblemTypes.clientClosedRequest,
          });
        } else {
          log.error('request.failed', {
            ...fields,
            bodyCut: true,
            problem: error instanceof GatewayError ? error.type : 'internal-error',
            error: describe(error),
          });
        }
      },
    });
  };
}

/** The caller has gone: its request's signal aborted, or the thrown value says so. */
function callerGone(request: GatewayRequest, error: unknown): boolean {
  return error instanceof ClientClosedRequestError || request.signal?.aborted === true;
}

/**
 * The same answer, its body passed through unchanged; `done` when it ends, `cut` when it
 * errors (the error goes on to the host, which ends the connection) or the host cancels it.
 */
function watchBody(
  response: Response,
  caller: AbortSignal | undefined,
  on: { done: () => void; cut: (error: unknown) => void },
): Response {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  let settled = false;
  const settle = (report: () => void) => {
    if (settled) return;
    settled = true;
    caller?.removeEventListener('abort', gone);
    report();
  };
  // A caller gone mid-answer: logged now, and the upstream body released, whether or not the
  // host ever reads on or cancels.
  const gone = () => {
    settle(() => on.cut(new ClientClosedRequestError(caller?.reason)));
    reader.cancel(caller?.reason).catch(() => undefined);
  };
  caller?.addEventListener('abort', gone, { once: true });
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let chunk: Awaited<ReturnType<typeof reader.read>>;
        try {
          chunk = await reader.read();
        } catch (error) {
          settle(() => on.cut(error));
          controller.error(error);
          return;
        }
        if (chunk.done) {
          settle(on.done);
          controller.close();
        } else controller.enqueue(chunk.value);
      },
      async cancel(reason) {
        settle(() => on.cut(new ClientClosedRequestError(reason)));
        await reader.cancel(reason).catch(() => undefined);
      },
    },
    { highWaterMark: 0 },
  );
  return new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
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
