/**
 * A test host for the Functions registrations themselves: it loads `src/functions/*.ts`
 * with `app.http` captured (the real runtime is absent in tests), then serves exactly the
 * captured registrations — route, methods, handler — over Node's HTTP server, calling each
 * handler with the library's own `HttpRequest` and `InvocationContext`. What differs from
 * the local host is only the adapter under test.
 */
import { createServer } from 'node:http';
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
import { withPrefix } from '../../src/http/host-json.js';
import { matchTemplate, parseTemplate } from '../../src/http/route-template.js';
import type { LogSink } from '../../src/log.js';

export interface Registration extends HttpFunctionOptions {
  name: string;
}

export interface FunctionsTestHost {
  url: string;
  close(): Promise<void>;
}

/** Serves captured registrations; catch-all routes rank last, as ASP.NET routing does. */
export async function serveRegistrations(
  registrations: Registration[],
  sink: LogSink,
): Promise<FunctionsTestHost> {
  const table = registrations
    .map((r) => ({ r, template: parseTemplate(withPrefix(r.route ?? r.name)) }))
    .sort((a, b) => b.template.precedence - a.template.precedence);
  const server = createServer(async (req, res) => {
    const pathname = (req.url ?? '/').split('?')[0] ?? '/';
    const method = req.method ?? 'GET';
    const hit = table
      .filter(({ r }) => (r.methods ?? ['GET', 'POST']).includes(method as never))
      .map(({ r, template }) => ({ r, params: matchTemplate(template, pathname) }))
      .find((m) => m.params);
    if (!hit?.params) return void res.writeHead(404).end();
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
    const request = new HttpRequest({
      method,
      url: `http://${req.headers.host}${req.url}`,
      headers,
      params: hit.params,
      ...(chunks.length > 0 ? { body: { bytes: Buffer.concat(chunks) } } : {}),
    });
    const context = new InvocationContext({
      functionName: hit.r.name,
      logHandler: (level, ...args) => {
        const line = args.map(String).join(' ');
        if (level === 'error') sink.error(line);
        else if (level === 'warning') sink.warn(line);
        else sink.info(line);
      },
    });
    const result = (await hit.r.handler(request, context)) as HttpResponse | HttpResponseInit;
    const response = result as HttpResponse;
    res.writeHead(response.status ?? 200, Object.fromEntries(response.headers));
    if (response.body) await pipeline(Readable.fromWeb(response.body), res);
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
