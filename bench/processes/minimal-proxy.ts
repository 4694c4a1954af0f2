/**
 * Bench process: the minimal pass-through proxy the gateway is measured against (DESIGN.md
 * "Performance budgets"): Node's HTTP server and one undici `Pool` to `UPSTREAM`, the
 * `/v1` prefix stripped (gateway paths → Flyte Admin paths), bodies streamed both ways, no
 * validation. Announces `{ url }`.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { Pool } from 'undici';
import { announce } from '../lib/child.js';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host', 'upgrade']);

function forwardable(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>) {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

async function main(): Promise<void> {
  const upstream = process.env.UPSTREAM;
  if (!upstream) throw new Error('UPSTREAM is required');
  const pool = new Pool(upstream, { connections: 64 });
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    const method = req.method ?? 'GET';
    const hasBody = method !== 'GET' && method !== 'HEAD';
    pool
      .request({
        path: url.startsWith('/v1/') ? url.slice(3) : url,
        method: method as 'GET',
        headers: forwardable(req.headers),
        body: hasBody ? req : undefined,
      })
      .then(
        async ({ statusCode, headers, body }) => {
          res.writeHead(statusCode, forwardable(headers));
          await pipeline(body, res);
        },
        () => {
          if (!res.headersSent) res.writeHead(502);
          res.end();
        },
      )
      .catch(() => res.destroy());
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  announce({ url: `http://127.0.0.1:${port}` }, async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await pool.close();
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
