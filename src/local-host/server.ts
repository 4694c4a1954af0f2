/**
 * @module
 * A small stand-in for the Functions host, for `npm start` where Core Tools is absent and
 * for the integration tests: it serves the same route table (names, routes, methods,
 * handlers) under host.json's route prefix on Node's HTTP server, with bodies streamed both
 * ways. It picks the function as the real host does — routes in function-name order, the
 * first template and method that match — so a route another one shadows fails here too.
 * Bodies follow the host too: one with a Content-Length is read whole before the handler
 * runs, and past FUNCTIONS_REQUEST_BODY_SIZE_LIMIT the answer is the host's bare 500.
 * Function keys are not checked, as under `func start`. Listening on loopback (the default), it
 * refuses a `Host` that is not a loopback name with a 403 `cross-site-request` problem, before
 * routing: a DNS-rebinding page reaches 127.0.0.1 under its own name (cross-site.ts); a `Host`
 * that does not make a URL at all is a 400 problem, wherever it listens. Any answer given
 * before the body has all come in (a refusal) lingers: the rest is read and dropped, within
 * bounds, so a client that writes its whole body first reads the answer (`lingerOnRest`).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { routeTable } from '../app.js';
import { bufferedBodyOf, plainHeadersOf } from '../http/buffered-response.js';
import { hostRefusal, isLoopbackAddress } from '../http/cross-site.js';
import { refuse } from '../http/frame.js';
import { firstMatch, hostRouteOf, inHostOrder } from '../http/host-routing.js';
import type { RouteDefinition } from '../http/route.js';
import { ValidationError } from '../problems/errors.js';
import { withPrefix } from '../shared/host-json.js';
import { createLogger, type LogSink } from '../shared/log.js';
import {
  DEFAULT_LINGER,
  HostBodyLimitError,
  hostBodyLimit,
  type LingerBounds,
  lingerOnRest,
  receiveBody,
} from './host-body.js';

export interface LocalHostOptions {
  /** @default 7071 */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  routes?: RouteDefinition[];
  /** Where handler logs go. @default console */
  sink?: LogSink;
  /** The host's request body limit. @default FUNCTIONS_REQUEST_BODY_SIZE_LIMIT, else 100 MB */
  bodyLimit?: number;
  /** How much of a refused body is read after the answer. @default DEFAULT_LINGER */
  linger?: LingerBounds;
}

export interface LocalHost {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/**
 * @example
 * const host = await startLocalHost({ port: 0 });
 * await fetch(`${host.url}/v1/health`);
 * await host.close();
 */
export async function startLocalHost(options: LocalHostOptions = {}): Promise<LocalHost> {
  const sink = options.sink ?? console;
  const bodyLimit = options.bodyLimit ?? hostBodyLimit();
  const linger = options.linger ?? DEFAULT_LINGER;
  const ordered = inHostOrder(
    (options.routes ?? routeTable()).map((route) => ({
      ...hostRouteOf(route.name, route.methods, withPrefix(route.route)),
      definition: route,
    })),
  );

  // Request headers up to 32 KiB, as the host's Kestrel (and its worker, given
  // --max-http-header-size, infra/ and the sample settings) takes them.
  const listenOn = options.host ?? '127.0.0.1';
  const checkHost = isLoopbackAddress(listenOn);
  const server = createServer({ maxHeaderSize: 32 * 1024 }, (req, res) => {
    const target = requestTarget(req);
    const context = {
      sink,
      bodyLimit,
      linger,
      url: target?.url ?? `http://localhost${requestPath(req.url)}`,
      parsedUrl: target?.parsed,
    };
    const refusal =
      target === undefined
        ? new ValidationError([{ path: 'headers.host', message: 'is not a valid host[:port]' }])
        : checkHost
          ? hostRefusal(req.headers.host)
          : undefined;
    if (refusal || target === undefined) {
      const handler: RouteDefinition['handler'] = (request, s) => refuse(request, refusal, s);
      return void serve({ name: 'host-check', handler }, req, res, context);
    }
    const hit = firstMatch(ordered, req.method ?? 'GET', target.parsed.pathname);
    // The host's answer when no function matches: 404, no body.
    if (!hit) {
      lingerOnRest(req, res, linger);
      return void res.writeHead(404, { 'content-length': '0' }).end();
    }
    serve(hit.route.definition, req, res, context);
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 7071, listenOn, () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address.includes(':') ? `[${address}]` : address}:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function serve(
  route: Pick<RouteDefinition, 'name' | 'handler'>,
  req: IncomingMessage,
  res: ServerResponse,
  {
    sink,
    bodyLimit,
    linger,
    url,
    parsedUrl,
  }: { sink: LogSink; bodyLimit: number; linger: LingerBounds; url: string; parsedUrl: URL | undefined },
): Promise<void> {
  const requestHeaders = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) requestHeaders.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  // A caller that disconnects before the answer is complete abandons the upstream call too.
  const caller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) caller.abort();
  });
  try {
    const { stream: body, streamed } = await receiveBody(req, bodyLimit);
    const response = await route.handler(
      {
        method: (req.method ?? 'GET').toUpperCase(),
        url,
        ...(parsedUrl ? { parsedUrl } : {}),
        headers: requestHeaders,
        body,
        signal: caller.signal,
      },
      sink,
    );
    // The host answers once the whole body has come in, whatever the function read of it.
    await streamed?.finish();
    if (streamed?.overLimit) throw new HostBodyLimitError(bodyLimit);
    lingerOnRest(req, res, linger);
    res.writeHead(response.status, plainHeadersOf(response) ?? Object.fromEntries(response.headers));
    const bytes = bufferedBodyOf(response);
    if (req.method === 'HEAD') res.end();
    else if (bytes) res.end(bytes);
    else if (response.body) await writeBody(response.body, res);
    else res.end();
  } catch (error) {
    if (error instanceof HostBodyLimitError) {
      // What the host answers when a body passes its limit: 500, no body; the rest of the body
      // is read (bounded) so that the client sees it.
      createLogger(sink).warn('localhost.body_over_limit', { route: route.name, limit: bodyLimit });
      lingerOnRest(req, res, linger);
      if (!res.headersSent) res.writeHead(500, { 'content-length': '0' }).end();
      else res.destroy();
      return;
    }
    // Handlers render their own problems; this is a broken stream mid-response.
    createLogger(sink).error('localhost.stream_failed', { route: route.name, error: (error as Error).name });
    lingerOnRest(req, res, linger);
    if (!res.headersSent) res.writeHead(500).end();
    else res.destroy();
  }
}

/**
 * Writes a web stream to the response with back-pressure. Not `stream.pipeline`: it aborts an
 * AbortController of its own when done, and building that DOMException on every response cost
 * 5 % of the local host's CPU under load.
 */
async function writeBody(body: ReadableStream<Uint8Array>, res: ServerResponse): Promise<void> {
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!res.write(value)) await drained(res);
      if (res.destroyed) throw new Error('the caller closed the connection');
    }
    res.end();
  } catch (error) {
    await reader.cancel(error).catch(() => undefined);
    throw error;
  }
}

/** Resolves when the response can take more, or has closed. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

interface RequestTarget {
  /** As sent. */
  url: string;
  /** `url` parsed: its pathname is what the host routes by (dot segments resolved, as Kestrel does, not decoded). */
  parsed: URL;
}

/**
 * The request's URL, from its Host header and target, parsed once; undefined when they make
 * none (a Host such as `a b` or `127.0.0.1:99999`), which is the client's error, not the gateway's.
 */
function requestTarget(req: IncomingMessage): RequestTarget | undefined {
  const url = `http://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`;
  try {
    return { url, parsed: new URL(url) };
  } catch {
    return undefined;
  }
}

/** The request's path as the host routes it: dot segments resolved (Kestrel does), not decoded. */
export function requestPath(url = '/'): string {
  try {
    return new URL(`http://host${url}`).pathname;
  } catch {
    return url.split('?')[0] ?? '/';
  }
}
