/**
 * Bench process: the gateway as `npm start` runs it — the local host on the same route table
 * and services, telemetry and LOG_LEVEL from this process's environment (`startTelemetry`),
 * log lines through the buffered console sink to this process's stdout (which the bench points
 * at a file, as a user redirects it). `BENCH_LOGS=off` drops the lines instead (the bench's old
 * configuration, to show what logging costs). Announces `{ url }`; its RSS and sockets are read
 * from `/proc/<pid>` by the parent.
 */

import { routeTable } from '../../src/app.js';
import { loadSettings } from '../../src/config.js';
import { startLocalHost } from '../../src/local-host/server.js';
import { createServices } from '../../src/services.js';
import { bufferedConsole, silentSink } from '../../src/shared/log.js';
import { startTelemetry } from '../../src/telemetry/index.js';
import { announce } from '../lib/child.js';

async function main(): Promise<void> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined),
  );
  const services = createServices(loadSettings(env));
  const telemetry = startTelemetry(services.settings);
  const sink = process.env.BENCH_LOGS === 'off' ? silentSink : bufferedConsole();
  const host = await startLocalHost({ port: 0, routes: routeTable(undefined, () => services), sink });
  announce({ url: host.url, telemetry: telemetry.on }, async () => {
    await host.close();
    await services.close();
    await telemetry.stop();
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
