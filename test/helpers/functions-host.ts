/**
 * A test host for the Functions registrations themselves: it loads `src/functions/*.ts` with
 * `app.http` captured (the real runtime is absent in tests), then serves exactly the captured
 * registrations over Node's HTTP server the way the real host and `@azure/functions` with HTTP
 * streaming do (docs/functions-host.md):
 * - routes in function-name order, the first template and method that match;
 * - a body with a Content-Length read whole before the function runs, past
 *   FUNCTIONS_REQUEST_BODY_SIZE_LIMIT a bare 500;
 * - `request.params` filled like the trigger metadata: top-level JSON body fields, then every
 *   query parameter but `code`, then the route values — and the headers displaced by a field
 *   or parameter named `headers`, as the library does;
 * - `request.url` built from the X-Forwarded-Proto/Host the host's proxy sets;
 * - a body the function cancels before it was all forwarded fails the invocation with a bare
 *   500, as the host's proxy does when the worker resets the connection.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  type HttpFunctionOptions,
  HttpRequest,
  type HttpResponse,
  type HttpResponseInit,
  InvocationContext,
} from '@azure/functions';
import { firstMatch, hostRouteOf, inHostOrder } from '../../src/http/host-routing.js';
import { HostBodyLimitError, hostBodyLimit, receiveBody } from '../../src/local-host/host-body.js';
import { requestPath } from '../../src/local-host/server.js';
import { withPrefix } from '../../src/shared/host-json.js';
import type { LogSink } from '../../src/shared/log.js';

export interface Registration extends HttpFunctionOptions {
  name: string;
}

export interface FunctionsTestHost {
  url: string;
  close(): Promise<void>;
}

/** The request as the host hands it to the function, and what became of its body. */
interface HostRequest {
  request: HttpRequest;
  /** The function cancelled its body before the end: the host's forwarding then fails. */
  bodyCancelled: () => boolean;
  /** The rest of a streamed body, read (as the host forwards all of it) before the answer. */
  finish: () => Promise<void>;
  overLimit: () => boolean;
}

export async function serveRegistrations(
  registrations: Registration[],
  sink: LogSink,
  bodyLimit = hostBodyLimit(),
): Promise<FunctionsTestHost> {
  const table = inHostOrder(
    registrations.map((r) => ({
      ...hostRouteOf(r.name, r.methods ?? ['GET', 'POST'], withPrefix(r.route ?? r.name)),
      registration: r,
    })),
  );
  // Request headers up to 32 KiB, as the host's Kestrel and its worker (with the project's
  // --max-http-header-size) take them.
  const server = createServer({ maxHeaderSize: 32 * 1024 }, async (req, res) => {
    const hit = firstMatch(table, req.method ?? 'GET', requestPath(req.url));
    if (!hit) return void res.writeHead(404, { 'content-length': '0' }).end();
    const failed = () => res.writeHead(500, { 'content-length': '0', connection: 'close' }).end();
    let host: HostRequest;
    try {
      host = await hostRequest(req, hit.params, bodyLimit);
    } catch (error) {
      if (error instanceof HostBodyLimitError) return failed();
      throw error;
    }
    const context = new InvocationContext({
      functionName: hit.route.registration.name,
      logHandler: (level, ...args) => {
        const line = args.map(String).join(' ');
        if (level === 'error') sink.error(line);
        else if (level === 'warning') sink.warn(line);
        else sink.info(line);
      },
    });
    const result = (await hit.route.registration.handler(host.request, context)) as
      | HttpResponse
      | HttpResponseInit;
    await host.finish();
    if (host.overLimit() || host.bodyCancelled()) return failed();
    const response = result as HttpResponse;
    res.writeHead(response.status ?? 200, Object.fromEntries(response.headers));
    // A body that errors (an upstream cut at its deadline) ends the connection, as the host does.
    if (response.body) await pipeline(Readable.fromWeb(response.body), res).catch(() => res.destroy());
    else res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Builds the function's request as the host and `createStreamRequest` do. */
async function hostRequest(
  req: IncomingMessage,
  routeValues: Record<string, string>,
  bodyLimit: number,
): Promise<HostRequest> {
  const method = req.method ?? 'GET';
  const { stream: source, whole, streamed } = await receiveBody(req, bodyLimit);
  let cancelled = false;
  const body = source && watchCancel(source, () => (cancelled = true));
  // The host's proxy sets these; the library builds the URL from them.
  const url = `http://${req.headers.host}${req.url}`;
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(',') : value);
  }
  const binding = hostBinding(whole, new URL(url).searchParams, routeValues);
  const nativeRequest = new Request(url, {
    method,
    headers: binding.headers ?? headers,
    body,
    duplex: 'half',
  } as RequestInit);
  const params = binding.params;
  // `nativeRequest` is how the library itself builds a streamed request (createStreamRequest).
  const request = new HttpRequest({ nativeRequest, params } as unknown as ConstructorParameters<
    typeof HttpRequest
  >[0]);
  return {
    request,
    bodyCancelled: () => cancelled,
    finish: async () => streamed?.finish(),
    overLimit: () => streamed?.overLimit ?? false,
  };
}

/** Passes `source` through, noting a cancel that comes before its end. */
function watchCancel(source: ReadableStream<Uint8Array>, onCancel: () => void): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  let ended = false;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { done, value } = await reader.read();
        if (done) {
          ended = true;
          controller.close();
        } else controller.enqueue(value);
      },
      async cancel(reason) {
        if (!ended) onCancel();
        await reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * The HTTP trigger's metadata as `@azure/functions` hands it over (docs/functions-host.md 3.2,
 * 3.3): top-level fields of a JSON-looking body (numbers and booleans as .NET prints them,
 * arrays and nulls dropped), then the query (except `code`, the last of repeated values), then
 * the route values, later ones replacing earlier ones by name, ignoring case. `params` are its
 * string entries but `Headers` and `Query`. The host adds its own `Headers` entry only when no
 * entry is named so in any case: then the function's headers are that entry's value when it is
 * named exactly `Headers` and holds an object, else none at all.
 */
function hostBinding(
  body: Buffer | undefined,
  query: URLSearchParams,
  routeValues: Record<string, string>,
): { params: Record<string, string>; headers?: Record<string, string> } {
  const entries = new Map<string, [string, unknown]>();
  const put = (key: string, value: unknown) => {
    const existing = entries.get(key.toLowerCase());
    entries.set(key.toLowerCase(), [existing?.[0] ?? key, value]);
  };
  const text = body?.toString('utf8').trim() ?? '';
  if (text.startsWith('{') && text.endsWith('}')) {
    try {
      for (const [key, value] of Object.entries(JSON.parse(text) as Record<string, unknown>)) {
        if (typeof value === 'boolean') put(key, value ? 'True' : 'False');
        else if (typeof value === 'number') put(key, String(value));
        else if (value !== null && !Array.isArray(value)) put(key, value);
      }
    } catch {
      // Not JSON after all: the host binds nothing from it.
    }
  }
  for (const key of new Set(query.keys())) {
    if (key.toLowerCase() !== 'code') put(key, query.getAll(key).at(-1) ?? '');
  }
  for (const [key, value] of Object.entries(routeValues)) put(key, value);
  const params: Record<string, string> = {};
  for (const [key, value] of entries.values()) {
    if (typeof value === 'string' && key !== 'Headers' && key !== 'Query') params[key] = value;
  }
  const displaced = entries.get('headers');
  if (!displaced) return { params };
  const [key, value] = displaced;
  const object = typeof value === 'string' ? parseObject(value) : value;
  const headers: Record<string, string> = {};
  if (key === 'Headers' && object && typeof object === 'object') {
    for (const [name, v] of Object.entries(object)) headers[name] = String(v);
  }
  return { params, headers };
}

function parseObject(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
