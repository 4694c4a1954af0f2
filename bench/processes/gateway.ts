/**
 * Bench process: the gateway's local host (the same route table and runtime the tests
 * start), configured from this process's environment. Announces `{ url }`; its RSS and
 * sockets are read from `/proc/<pid>` by the parent.
 */
import { loadSettings } from '../../src/config.js';
import { routeTable } from '../../src/http/routes.js';
import { startLocalHost } from '../../src/local-host/server.js';
import { createRuntime } from '../../src/runtime.js';
import { announce } from '../lib/child.js';

async function main(): Promise<void> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined),
  );
  const runtime = createRuntime(loadSettings(env));
  // Handler logs are dropped: writing one line per request would measure the terminal.
  const quiet = {
    log: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: () => undefined,
  };
  const host = await startLocalHost({ port: 0, routes: routeTable(undefined, () => runtime), sink: quiet });
  announce({ url: host.url }, async () => {
    await host.close();
    await runtime.close();
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
