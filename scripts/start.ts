/**
 * @module
 * `npm start`: the whole system on one machine with no cloud. Every upstream setting that is
 * absent gets an embedded default — Azurite for storage, the Flyte Admin emulator for
 * FLYTE_ENDPOINT, the Azure ML emulator for AZUREML_ENDPOINT — and a setting that is present
 * replaces it. The app then runs under
 * `func start` where Azure Functions Core Tools works, else under the local host, which
 * serves the same route table. Prints what it serves; Ctrl-C stops everything.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { startAzureMlEmulator } from '../sandbox/azureml/index.js';
import { startAzurite } from '../sandbox/azurite.js';
import { startFlyteAdminEmulator } from '../sandbox/flyte-admin/index.js';
import { routeTable } from '../src/app.js';
import { loadSettings, REQUEST_BODY_LIMIT } from '../src/config.js';
import { FALLBACK_NAME } from '../src/http/fallback.js';
import { startCancellationPoller } from '../src/local-host/cancellation-poller.js';
import { startLocalHost } from '../src/local-host/server.js';
import { ConfigError } from '../src/problems/errors.js';
import { getServices } from '../src/services.js';
import { withPrefix } from '../src/shared/host-json.js';
import { bufferedConsole } from '../src/shared/log.js';
import { packageVersion } from '../src/shared/package-version.js';
import { startTelemetry } from '../src/telemetry/index.js';
import { loadLocalSettings } from './local-settings.js';

type Stopper = () => Promise<void>;
const stoppers: Stopper[] = [];
const env = process.env;

async function main(): Promise<void> {
  const local = loadLocalSettings(env);
  const port = local.PORT;
  const lines: string[] = [];
  // Check the caller's settings before starting anything (the embedded defaults fill the rest).
  loadSettings({
    FLYTE_PROJECTS: 'flytesnacks',
    ...env,
    FLYTE_ENDPOINT: env.FLYTE_ENDPOINT || 'http://127.0.0.1:1',
  });

  if (!env.AzureWebJobsStorage) {
    // Azurite's usual ports when free, so producers can use `UseDevelopmentStorage=true`.
    const usual = (await portsFree([10000, 10001, 10002]))
      ? { blob: 10000, queue: 10001, table: 10002 }
      : undefined;
    const azurite = await startAzurite({ ports: usual });
    stoppers.push(azurite.stop);
    env.AzureWebJobsStorage = azurite.connectionString;
    lines.push(
      `  storage      ${azurite.blobUrl} (embedded Azurite; queue ${azurite.queueUrl}${usual ? '; UseDevelopmentStorage=true reaches it' : ''})`,
    );
  } else {
    lines.push('  storage      from AzureWebJobsStorage');
  }

  if (!env.FLYTE_ENDPOINT) {
    const emulator = await startFlyteAdminEmulator({ port: local.FLYTE_EMULATOR_PORT });
    stoppers.push(() => emulator.close());
    env.FLYTE_ENDPOINT = emulator.url;
    env.FLYTE_AUTH ??= 'none';
    env.FLYTE_PROJECTS ??= 'flytesnacks';
    lines.push(`  Flyte Admin  ${emulator.url} (embedded emulator; projects: ${env.FLYTE_PROJECTS})`);
  } else {
    lines.push(`  Flyte Admin  ${new URL(env.FLYTE_ENDPOINT).origin} (FLYTE_ENDPOINT)`);
  }

  if (!env.AZUREML_ENDPOINT) {
    const emulator = await startAzureMlEmulator({ port: local.AZUREML_EMULATOR_PORT });
    stoppers.push(() => emulator.close());
    env.AZUREML_ENDPOINT = emulator.url;
    env.AZUREML_AUTH ??= 'none';
    env.AZUREML_WORKSPACES ??= '00000000-0000-0000-0000-000000000000/rg-ml/ws-demo';
    lines.push(`  Azure ML     ${emulator.url} (embedded emulator; workspaces: ${env.AZUREML_WORKSPACES})`);
  } else {
    lines.push(`  Azure ML     ${new URL(env.AZUREML_ENDPOINT).origin} (AZUREML_ENDPOINT)`);
  }

  // func resolves the trigger's %CANCEL_QUEUE% from the settings: give it the default.
  env.CANCEL_QUEUE ??= 'cancellations';
  // The host's request limit as deployed (infra/), for func and the local host alike.
  env.FUNCTIONS_REQUEST_BODY_SIZE_LIMIT ??= String(REQUEST_BODY_LIMIT);
  loadSettings(env);

  const mode = chooseHost(local.GATEWAY_LOCAL_HOST);
  let url = `http://127.0.0.1:${port}`;
  if (mode === 'func') {
    // What local.settings.json would say; func asks for a runtime without it.
    env.FUNCTIONS_WORKER_RUNTIME ??= 'node';
    const func = spawn('func', ['start', '--port', String(port)], { stdio: 'inherit', env });
    stoppers.push(() => stopChild(func));
    func.once('exit', (code) => void shutdown(code ?? 1));
  } else {
    // Telemetry and LOG_LEVEL as index.ts applies them under the Functions host; log lines
    // written a batch at a time (stdout to a file is a synchronous write per line otherwise).
    const telemetry = startTelemetry(getServices().settings);
    stoppers.push(telemetry.stop);
    const sink = bufferedConsole();
    const host = await startLocalHost({ port, host: local.HOST, sink });
    stoppers.push(host.close);
    url = host.url;
    // The queue trigger, run the way the Functions host runs it (host.json's queue settings).
    const { queue } = getServices().cancellations();
    const poller = startCancellationPoller(getServices(), { sink });
    stoppers.push(poller.stop);
    lines.push(
      `  queue        ${queue.main.name} (queue trigger: cancellationqueue; poison: ${queue.poison.name})`,
    );
  }

  const routes = routeTable()
    .filter((r) => r.name !== FALLBACK_NAME)
    .map((r) => `  ${r.methods.join(',').padEnd(6)} /${withPrefix(r.route).padEnd(62)} ${r.name}`);
  console.log(
    [
      `Execution Gateway ${packageVersion()} — ${mode === 'func' ? 'Azure Functions Core Tools' : 'local host (node)'}`,
      `  app          ${url}`,
      `  health       ${url}/v1/health`,
      ...lines,
      'Routes:',
      ...routes,
      'Press Ctrl-C to stop.',
    ].join('\n'),
  );
}

/** True when nothing listens on any of these loopback ports. */
async function portsFree(ports: number[]): Promise<boolean> {
  const free = (port: number) =>
    new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(false));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
  return (await Promise.all(ports.map(free))).every(Boolean);
}

/** `func` when asked for, or on `auto` when Core Tools is installed and runs. */
function chooseHost(wanted: string): 'func' | 'node' {
  if (wanted === 'node') return 'node';
  const probe = spawnSync('func', ['--version'], { stdio: 'ignore', timeout: 15_000, env });
  const available = probe.status === 0;
  if (wanted === 'func' && !available) {
    throw new Error(
      'GATEWAY_LOCAL_HOST=func, but Azure Functions Core Tools (func) is not installed or does not run.',
    );
  }
  return available ? 'func' : 'node';
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

let stopping = false;
async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  for (const stop of stoppers.reverse()) await stop().catch(() => undefined);
  process.exit(code);
}

process.once('SIGINT', () => void shutdown(0));
process.once('SIGTERM', () => void shutdown(0));

main().catch(async (error: unknown) => {
  console.error(
    error instanceof ConfigError ? error.detail : `npm start failed: ${(error as Error).message}`,
  );
  await shutdown(1);
});
