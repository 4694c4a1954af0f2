/**
 * A stand-in for Application Insights' ingestion service (Breeze) on loopback, over HTTPS with a
 * self-signed certificate (the Azure Monitor exporter sends only over HTTPS): accepts every
 * envelope (`/v2.1/track`, gzip JSON) as Breeze answers, and keeps them with each request's path
 * and `authorization` header.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

interface Envelope {
  name: string;
  iKey?: string;
  tags: Record<string, string>;
  data: { baseType: string; baseData: Record<string, unknown> };
}

/**
 * What this process needs for the exporter to reach the stand-in and nothing else: it trusts the
 * stand-in's self-signed certificate; the exporter's own usage reports are off; and its settings
 * poll (5-15 s after start) could only reach a loopback proxy that refuses it. Set it in
 * `beforeAll` and put the saved environment back in `afterAll`.
 */
export const INGESTION_PROCESS_ENV = {
  NODE_TLS_REJECT_UNAUTHORIZED: '0',
  APPLICATION_INSIGHTS_NO_STATSBEAT: 'true',
  APPLICATIONINSIGHTS_SDKSTATS_DISABLED: 'true',
  HTTPS_PROXY: 'http://127.0.0.1:9',
  NO_PROXY: '127.0.0.1',
};

/** A self-signed certificate for 127.0.0.1 (the exporter sends only over HTTPS). */
function selfSigned(): { key: Buffer; cert: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'ingestion-'));
  try {
    // openssl from the system (present wherever Node's own TLS is built against it).
    const openssl = process.env.OPENSSL ?? 'openssl';
    const made = spawnSync(openssl, [
      ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1'],
      ...['-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
    ]);
    if (made.status !== 0) throw new Error(`openssl failed: ${made.stderr}`);
    return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Starts the stand-in on a free loopback port. */
export async function startIngestion() {
  const envelopes: Envelope[] = [];
  const paths: string[] = [];
  /** The `authorization` header of each request, `''` when it had none. */
  const authorizations: string[] = [];
  const server: Server = createServer(selfSigned(), (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      paths.push(req.url ?? '');
      authorizations.push(req.headers.authorization ?? '');
      const raw = Buffer.concat(chunks);
      const text = (req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
      const items = text.trim().startsWith('[')
        ? (JSON.parse(text) as Envelope[])
        : text
            .split('\n')
            .filter(Boolean)
            .map((line) => JSON.parse(line) as Envelope);
      envelopes.push(...items);
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ itemsReceived: items.length, itemsAccepted: items.length, errors: [] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    envelopes,
    paths,
    authorizations,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
