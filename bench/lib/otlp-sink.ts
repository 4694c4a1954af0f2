/**
 * An OTLP/HTTP collector stand-in on a free loopback port for the overhead bench: reads each
 * export whole and answers 200 `{}`, as a collector does, counting what it took. It runs in
 * the bench process: the gateway exports in batches (512 spans, or every few seconds), a few
 * requests a second, next to nothing beside the load generator.
 * @example
 * const sink = await startOtlpSink();
 * // OTEL_EXPORTER_OTLP_ENDPOINT: sink.url
 * await sink.close();
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OtlpSink {
  url: string;
  /** Exports received and their bytes so far. */
  received(): { exports: number; bytes: number };
  close(): Promise<void>;
}

export async function startOtlpSink(): Promise<OtlpSink> {
  let exports = 0;
  let bytes = 0;
  const server = createServer((req, res) => {
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    req.on('end', () => {
      exports += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received: () => ({ exports, bytes }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
