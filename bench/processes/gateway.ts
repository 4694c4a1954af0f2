/**
 * Bench process: the gateway's local host (the same route table and services the tests
 * start), configured from this process's environment. Announces `{ url }`; its RSS and
 * sockets are read from `/proc/<pid>` by the parent.
 */

import { routeTable } from '../../src/app.js';
import { loadSettings } from '../../src/config.js';
import { startLocalHost } from '../../src/local-host/server.js';
import { createServices } from '../../src/services.js';
import { announce } from '../lib/child.js';

async function main(): Promise<void> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined),
  );
  const services = createServices(loadSettings(env));
  // Handler logs are dropped: writing one line per request would measure the terminal.
  const quiet = {
    log: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: () => undefined,
  };
  const host = await startLocalHost({ port: 0, routes: routeTable(undefined, () => services), sink: quiet });
  announce({ url: host.url }, async () => {
    await host.close();
    await services.close();
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
