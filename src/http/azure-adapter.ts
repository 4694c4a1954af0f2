/**
 * @module
 * Adapts a web-standard gateway handler to the Functions v4 HTTP trigger: the request body
 * stays the live stream (HTTP streaming is on) and the response body streams back.
 * `request.params` is not passed on: with streaming the library fills it with every query
 * parameter and top-level JSON body field too, so routes bind their own (`bindRoute`).
 *
 * A caller that goes away: `@azure/functions` exposes no signal for it (its `HttpRequest` has
 * none, the proxied request and response stay private to the library). The host forwards each
 * request to the worker's own HTTP server with an `x-ms-invocation-id` header, and cancels that
 * forwarding when its client disconnects, which closes the proxied response unfinished. Node
 * publishes every request that server takes on `http.server.request.start`; the adapter files
 * it under its invocation id and aborts that invocation's signal when its response closes
 * unfinished (docs/functions-host.md, 4.7).
 */
import { subscribe } from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { type HttpHandler, type HttpRequest, HttpResponse, type InvocationContext } from '@azure/functions';
import { type FieldError, ValidationError } from '../problems/errors.js';
import { reservedFieldErrors } from '../shared/reserved-fields.js';
import { bufferedBodyOf, plainHeadersOf } from './buffered-response.js';
import { refuse } from './frame.js';
import type { GatewayHandler, GatewayRequest } from './route.js';

/**
 * @example
 * app.http('getexecution', { route, methods: ['GET'], handler: toAzureHandler(bindRoute(route, handler)) });
 */
export function toAzureHandler(handler: GatewayHandler): HttpHandler {
  watchProxiedRequests();
  return async (request: HttpRequest, context: InvocationContext) => {
    const gatewayRequest: GatewayRequest = {
      method: request.method,
      url: request.url,
      headers: request.headers,
      body: drainedOnCancel(request.body as ReadableStream<Uint8Array> | null),
      signal: proxied.get(context.invocationId)?.caller.signal,
    };
    const reserved = reservedBodyFields(request);
    // Handlers render their own failures; one that throws is a bug. Under the host a thrown error
    // sends no answer at all: the caller waits for the proxy's 240 s timeout, then gets a bare 500
    // (docs/functions-host.md, 4.5). So it is answered here at once: a 500 problem, no details.
    const response = await (reserved.length > 0
      ? refuse(gatewayRequest, new ValidationError(reserved), context)
      : handler(gatewayRequest, context)
    ).catch((error: unknown) => refuse(gatewayRequest, error, context));
    const proxy = proxied.get(context.invocationId);
    // Bytes in memory go as they are; a stream is passed on, ending the proxied answer if it fails.
    const body =
      bufferedBodyOf(response) ??
      (response.body && proxy ? endsOnError(response.body, proxy.response) : response.body);
    return new HttpResponse({
      status: response.status,
      headers: plainHeadersOf(response) ?? response.headers,
      body: body as NodeReadableStream | Uint8Array | null,
    });
  };
}

/**
 * The host's params carry the body's top-level fields: one named like the host's own
 * Headers/Query entries has displaced the headers this request carries. (Query parameters of
 * those names are refused by `bindRoute`, on every host.)
 */
function reservedBodyFields(request: HttpRequest): FieldError[] {
  const reserved = reservedFieldErrors('body', Object.keys(request.params));
  if (reserved.length === 0) return reserved;
  const inQuery = new Set(
    [...new URL(request.url).searchParams.keys()].map((k) => `body.${k.toLowerCase()}`),
  );
  return reserved.filter((e) => !inQuery.has(e.path.toLowerCase()));
}

/**
 * The request body, except that cancelling it reads the rest and drops it. The host forwards
 * the caller's body to this worker while the handler runs; a handler that refuses a body
 * early (413, 415, a bad zip) and cancels it would reset that connection, and the host then
 * fails the whole invocation with a bare 500 instead of sending the handler's answer
 * (ForwarderError RequestBodyDestination; docs/functions-host.md). The host caps bodies at
 * FUNCTIONS_REQUEST_BODY_SIZE_LIMIT, so the drain is bounded.
 */
export function drainedOnCancel(body: ReadableStream<Uint8Array> | null): ReadableStream<Uint8Array> | null {
  if (!body) return null;
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      cancel() {
        void drain(reader);
      },
    },
    { highWaterMark: 0 },
  );
}

async function drain(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  try {
    for (;;) if ((await reader.read()).done) return;
  } catch {
    // The caller went away: nothing left to drain.
  }
}

/** Invocation id → the proxied response, and a signal aborted if it closes unfinished. */
const proxied = new Map<string, { caller: AbortController; response: ServerResponse }>();
let watching = false;

function watchProxiedRequests(): void {
  if (watching) return;
  watching = true;
  subscribe('http.server.request.start', (message) => {
    const { request, response } = message as { request: IncomingMessage; response: ServerResponse };
    trackProxiedRequest(request, response);
  });
}

/**
 * Files a request the host forwarded under its `x-ms-invocation-id`, until its response closes;
 * closed before the answer was all written, its invocation's signal aborts. Exported for a test
 * host that plays the host's proxy in process.
 */
function trackProxiedRequest(request: IncomingMessage, response: ServerResponse): void {
  const id = request.headers['x-ms-invocation-id'];
  if (typeof id !== 'string') return;
  const entry = { caller: new AbortController(), response };
  proxied.set(id, entry);
  response.once('close', () => {
    if (proxied.get(id) === entry) proxied.delete(id);
    if (!response.writableFinished) entry.caller.abort();
  });
}

/**
 * The answer body, except that an error in it (an upstream past its deadline) also destroys
 * the proxied response. The library stops writing on the error but never ends that response,
 * so the host would hold its client's connection open (test/realhost/caller-gone.test.ts).
 */
function endsOnError(body: ReadableStream<Uint8Array>, proxied: ServerResponse): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const { done, value } = await reader.read();
          if (done) controller.close();
          else controller.enqueue(value);
        } catch (error) {
          proxied.destroy();
          controller.error(error);
        }
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}
