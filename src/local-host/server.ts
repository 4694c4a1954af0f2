/**
 * @module
 * A small stand-in for the Functions host, for `npm start` where Core Tools is absent and
 * for the integration tests: it serves the same route table (names, routes, methods,
 * handlers) under host.json's route prefix on Node's HTTP server, with bodies streamed both
 * ways. Function keys are not checked, as under `func start`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { withPrefix } from '../http/host-json.js';
import { matchTemplate, parseTemplate } from '../http/route-template.js';
import { type RouteDefinition, routeTable } from '../http/routes.js';
import { createLogger, type LogSink } from '../log.js';

export interface LocalHostOptions {
  /** @default 7071 */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  routes?: RouteDefinition[];
  /** Where handler logs go. @default console */
  sink?: LogSink;
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
  const compiled = (options.routes ?? routeTable())
    .map((route) => ({ route, template: parseTemplate(withPrefix(route.route)) }))
    .sort(
      (a, b) =>
        Number(a.route.fallback ?? false) - Number(b.route.fallback ?? false) ||
        b.template.precedence - a.template.precedence,
    );

  const server = createServer((req, res) => {
    const pathname = (req.url ?? '/').split('?')[0] ?? '/';
    const method = (req.method ?? 'GET').toUpperCase();
    for (const { route, template } of compiled) {
      if (!route.methods.includes(method as RouteDefinition['methods'][number])) continue;
      const params = matchTemplate(template, pathname);
      if (params) return void serve(route, params, req, res, sink);
    }
    res.writeHead(404).end();
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 7071, options.host ?? '127.0.0.1', () => resolve());
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
  route: RouteDefinition,
  params: Record<string, string>,
  req: IncomingMessage,
  res: ServerResponse,
  sink: LogSink,
): Promise<void> {
  const requestHeaders = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) requestHeaders.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  // A caller that disconnects before the answer is complete abandons the upstream call too.
  const caller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) caller.abort();
  });
  try {
    const response = await route.handler(
      {
        method: (req.method ?? 'GET').toUpperCase(),
        url: `http://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`,
        headers: requestHeaders,
        params,
        body: hasBody ? requestBody(req) : null,
        signal: caller.signal,
      },
      sink,
    );
    const headers = Object.fromEntries(response.headers);
    // A handler that refused the body (413, 415, ...) stopped reading it: close the
    // connection after the answer instead of draining an upload nobody wants.
    if (hasBody && !req.complete) headers.connection = 'close';
    res.writeHead(response.status, headers);
    if (response.body && req.method !== 'HEAD') {
      await writeBody(response.body, res);
    } else {
      res.end();
    }
  } catch (error) {
    // Handlers render their own problems; this is a broken stream mid-response.
    createLogger(sink).error('localhost.stream_failed', { route: route.name, error: (error as Error).name });
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

/**
 * The request body as a web stream with back-pressure. Cancelling it (a handler that stops
 * reading at a cap) pauses the socket rather than destroying it, so the answer still goes out.
 */
function requestBody(req: IncomingMessage): ReadableStream<Uint8Array> {
  let open = true;
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        req.on('data', (chunk: Buffer) => {
          if (!open) return;
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          if ((controller.desiredSize ?? 0) <= 0) req.pause();
        });
        req.once('end', () => {
          if (open) controller.close();
          open = false;
        });
        req.once('error', (error) => {
          if (open) controller.error(error);
          open = false;
        });
      },
      pull() {
        req.resume();
      },
      cancel() {
        open = false;
        req.pause();
      },
    },
    { highWaterMark: 64 * 1024, size: (chunk) => chunk.byteLength },
  );
}
