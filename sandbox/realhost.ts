/**
 * @module
 * The app under the REAL Azure Functions host (`../shared/realhost/run-host.sh`, the program
 * inside `func start` and the Azure images, built from source): bundles the app, lays it out
 * as a function app in a temp directory (host.json without `extensionBundle`, which cannot be
 * downloaded here), spawns the host in its own process group on a free loopback port (another
 * one if that was taken before the host bound it), waits until the app answers, and stops the
 * whole group. Used by the real-host suites
 * (test/helpers/realhost.ts, which adds emulators, Azurite and request helpers) and by the
 * cold-load bench (bench/lib/realhost-cold-start.ts).
 * @example
 * const app = await prepareAppDir({ extensions: noExtensions });
 * const env = hostEnvironment({ FLYTE_ENDPOINT: 'http://127.0.0.1:9' });
 * const { host } = await spawnServingHost({ app, env, timeoutMs: 90_000 });
 * await host.stop();
 * app.remove();
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { bundleApp } from '../scripts/bundle.js';
import { copySpecs } from '../scripts/copy-specs.js';

/**
 * The checkout: the nearest folder above this module with tsconfig.build.json (this module
 * runs from `sandbox/` under vitest, from `dist/sandbox/` or `dist-bench/sandbox/` compiled).
 */
export const REPO_ROOT = ((): string => {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'tsconfig.build.json')) && existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return resolve(__dirname, '..');
  }
})();
/** `../shared/realhost` beside the checkout (REALHOST_DIR overrides it). */
const REALHOST_DIR = resolve(REPO_ROOT, process.env.REALHOST_DIR ?? '../shared/realhost');
const RUN_HOST = join(REALHOST_DIR, 'run-host.sh');

const SETPRIV = '/usr/bin/setpriv';
/** Where builds, app directories and host logs go. */
const WORK_DIR = join(tmpdir(), 'execution-gateway-realhost');
const DAY_MS = 24 * 60 * 60 * 1000;

export type RealHostPresence = { available: true } | { available: false; reason: string };

/** Whether the real host can be run from this checkout. */
export function realHostPresence(): RealHostPresence {
  if (!existsSync(RUN_HOST)) {
    return {
      available: false,
      reason: `the real Azure Functions host is not here (${RUN_HOST} is absent; it lives in ../shared/realhost beside the checkout)`,
    };
  }
  return { available: true };
}

// ---------------------------------------------------------------------------------------------
// The app directory
// ---------------------------------------------------------------------------------------------

/**
 * Fills `bin/` of the app directory with binding extensions (`bin/extensions.json` and their
 * assemblies; the host loads extensions from there when host.json names no bundle). Returns the
 * environment the host needs for them, or `false` when it installed nothing (the host then
 * loads only the HTTP triggers and reports the queue function in error).
 */
export type ExtensionsBinHook = (
  binDir: string,
  appDir: string,
) => Promise<Record<string, string> | false> | Record<string, string> | false;

/** Installs nothing: only the HTTP triggers load. */
export const noExtensions: ExtensionsBinHook = () => false;

/**
 * The Storage Queues extension, built from NuGet by scripts/realhost/build-extensions.sh
 * (cached in .tools/). Without dotnet or NuGet it installs nothing — except in CI, where the
 * queue trigger must run under the real host, so a failed build fails the suite.
 */
const installStorageQueuesExtension: ExtensionsBinHook = async (_binDir, appDir) => {
  try {
    const stdout = await run(
      'bash',
      [join(REPO_ROOT, 'scripts/realhost/build-extensions.sh'), appDir],
      300_000,
    );
    const env: Record<string, string> = {};
    // `export NAME="${NAME:+$NAME:}value"`: a fresh variable for the host, so the value alone.
    for (const match of stdout.matchAll(/^export (\w+)="\$\{\w+:\+\$\w+:\}([^"]*)"$/gm)) {
      if (match[1] && match[2]) env[match[1]] = match[2];
    }
    return env;
  } catch (error) {
    if (process.env.CI) throw error;
    console.warn(
      `[realhost] no Storage Queues extension, the queue trigger will not load: ${(error as Error).message}`,
    );
    return false;
  }
};

export interface AppDir {
  dir: string;
  /** Whether `bin/extensions.json` was installed by the hook. */
  extensionsInstalled: boolean;
  /** What the host needs in its environment for the installed extensions. */
  extensionsEnv: Record<string, string>;
  remove(): void;
}

/**
 * Builds what the host loads, as `npm run package` does — the bundle package.json `main` names
 * and the swaggers it reads — once per source state; returns that `dist`.
 */
async function buildApp(): Promise<string> {
  const key = sourceKey();
  const builds = join(WORK_DIR, 'builds');
  mkdirSync(builds, { recursive: true });
  prune(builds, DAY_MS);
  const done = join(builds, key);
  const lock = `${done}.lock`;
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (existsSync(join(done, 'dist', 'app', 'main.js'))) return join(done, 'dist');
    try {
      mkdirSync(lock);
    } catch {
      // Another suite (a parallel vitest worker) is building the same sources: wait for it.
      if (Date.now() > deadline) throw new Error(`timed out waiting for the app build (${lock})`);
      const age = Date.now() - (statSafe(lock)?.mtimeMs ?? Date.now());
      if (age > 150_000) rmSync(lock, { recursive: true, force: true }); // a build that died
      await delay(250);
      continue;
    }
    try {
      const staging = `${done}.tmp-${process.pid}`;
      rmSync(staging, { recursive: true, force: true });
      await bundleApp(REPO_ROOT, join(staging, 'dist'));
      copySpecs(REPO_ROOT, join(staging, 'dist'));
      renameSync(staging, done);
      return join(done, 'dist');
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
}

/**
 * A function app directory for the host: `dist/` (a copy of the build), `package.json`, a
 * `node_modules` symlink to the repository's, host.json without `extensionBundle`, and `bin/`
 * when the extensions hook installs something.
 */
export async function prepareAppDir(
  options: { extensions?: ExtensionsBinHook; hostJson?: (json: Record<string, unknown>) => void } = {},
): Promise<AppDir> {
  const dist = await buildApp();
  const apps = join(WORK_DIR, 'apps');
  mkdirSync(apps, { recursive: true });
  prune(apps, DAY_MS);
  const dir = mkdtempSync(join(apps, 'app-'));
  cpSync(dist, join(dir, 'dist'), { recursive: true });
  copyFileSync(join(REPO_ROOT, 'package.json'), join(dir, 'package.json'));
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  const hostJson = JSON.parse(readFileSync(join(REPO_ROOT, 'host.json'), 'utf8')) as Record<string, unknown>;
  delete hostJson.extensionBundle; // no bundle download here: see ../shared/realhost/README.md
  options.hostJson?.(hostJson);
  writeFileSync(join(dir, 'host.json'), `${JSON.stringify(hostJson, null, 2)}\n`);
  const hook = options.extensions ?? installStorageQueuesExtension;
  const binDir = join(dir, 'bin');
  mkdirSync(binDir);
  const installed = await hook(binDir, dir);
  const extensionsInstalled = installed !== false && existsSync(join(binDir, 'extensions.json'));
  if (!extensionsInstalled) rmSync(binDir, { recursive: true, force: true });
  return {
    dir,
    extensionsInstalled,
    extensionsEnv: extensionsInstalled && installed ? installed : {},
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A hash of everything the build reads, so a changed source is rebuilt and an unchanged one is not. */
function sourceKey(): string {
  const hash = createHash('sha256');
  const add = (file: string) => {
    hash.update(relative(REPO_ROOT, file)).update('\0').update(readFileSync(file)).update('\0');
  };
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) add(path);
    }
  };
  for (const dir of ['src', 'sandbox', 'scripts', 'specs']) walk(join(REPO_ROOT, dir));
  for (const file of ['tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json']) {
    if (existsSync(join(REPO_ROOT, file))) add(join(REPO_ROOT, file));
  }
  return hash.digest('hex').slice(0, 24);
}

// ---------------------------------------------------------------------------------------------
// The host
// ---------------------------------------------------------------------------------------------

/**
 * Host-side settings a developer's shell might carry (telemetry destinations included);
 * removed so the ones given here are used.
 */
const INHERITED_SETTINGS =
  /^(FLYTE_|AZUREML_|AzureWebJobs|AZURE_|UPSTREAM_|MAX_|STAGING_|CANCEL_|MCP_|UPLOAD_|FUNCTIONS_|ASPNETCORE_|WEBSITE_|languageWorkers|OTEL_|APPLICATIONINSIGHTS_|APPLICATION_INSIGHTS_|NODE_OPTIONS$|VITEST|PORT$|HOST$)/;

/**
 * The host's environment: this process's, without inherited app settings, with the project's
 * Node 22 first on PATH (the worker runs the first `node` there), the settings the project
 * deploys for the host itself, then `settings`.
 */
export function hostEnvironment(settings: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !INHERITED_SETTINGS.test(name)) env[name] = value;
  }
  return Object.assign(env, {
    PATH: `${join(REPO_ROOT, 'node_modules/.bin')}:${process.env.PATH ?? ''}`,
    ...deployedHostSettings(),
    ...settings,
  });
}

/**
 * Settings the host itself reads, as the project deploys them (local.settings.sample.json, kept
 * in step with infra/ and the config schema by the contract tests): `func start` would pass them
 * to the host the same way. Today: FUNCTIONS_REQUEST_BODY_SIZE_LIMIT and the worker's Node
 * arguments.
 */
function deployedHostSettings(): Record<string, string> {
  const settings: Record<string, string> = {};
  try {
    const sample = JSON.parse(readFileSync(join(REPO_ROOT, 'local.settings.sample.json'), 'utf8')) as {
      Values?: Record<string, unknown>;
    };
    for (const name of ['FUNCTIONS_REQUEST_BODY_SIZE_LIMIT', 'languageWorkers__node__arguments']) {
      const value = sample.Values?.[name];
      if (typeof value === 'string' && value !== '') settings[name] = value;
    }
  } catch {
    // no sample settings: the host's own defaults
  }
  return settings;
}

export interface HostProcess {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** The process group (run-host.sh, which execs dotnet). */
  group: number;
  child: ChildProcess;
  logFile: string;
  /** `performance.now()` just before the spawn. */
  spawnedAt: number;
  /** The whole host log so far. */
  log(): string;
  /** The last `lines` lines of the log, without the MS_FUNCTION_* telemetry lines. */
  tail(lines?: number): string;
  /** SIGTERM to the whole group, SIGKILL after 15 s; resolves once no member is left. */
  stop(): Promise<void>;
}

/**
 * Spawns `run-host.sh` on the app directory in its own process group (so that stop() reaches
 * the worker too), its stdout and stderr into a log file; killed with this process if this
 * one dies without stopping it (setpriv's parent-death signal survives run-host.sh's exec of
 * dotnet, and an exit handler covers the rest).
 */
function spawnHost(options: { app: AppDir; env: Record<string, string>; port: number }): HostProcess {
  const { app, env, port } = options;
  const logs = join(WORK_DIR, 'logs');
  mkdirSync(logs, { recursive: true });
  prune(logs, DAY_MS);
  const logFile = join(logs, `host-${port}-${Date.now()}.log`);
  const fd = openSync(logFile, 'a');
  const command = ['bash', RUN_HOST, app.dir, String(port)];
  if (existsSync(SETPRIV)) command.unshift(SETPRIV, '--pdeathsig', 'KILL');
  let child: ChildProcess;
  const spawnedAt = performance.now();
  try {
    child = spawn(command[0] as string, command.slice(1), {
      cwd: app.dir,
      env,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
  } finally {
    closeSync(fd);
  }
  const group = child.pid;
  if (group === undefined) throw new Error(`could not spawn ${RUN_HOST}`);
  const killOnExit = () => {
    try {
      process.kill(-group, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  process.once('exit', killOnExit);
  const log = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    group,
    child,
    logFile,
    spawnedAt,
    log,
    tail: (lines = 60) => withoutTelemetry(log()).split('\n').slice(-lines).join('\n'),
    async stop() {
      await stopGroup(group);
      process.off('exit', killOnExit);
    },
  };
}

/**
 * Polls an anonymous route (`GET /v1/health`) until `ready` accepts its status — by default
 * anything but "starting" (503) — and resolves with `performance.now()` of that answer.
 * Throws with the log's tail when the host exits first or the deadline passes.
 */
async function waitUntilServing(
  host: HostProcess,
  options: { timeoutMs: number; pollMs?: number; ready?: (status: number) => boolean },
): Promise<number> {
  const { timeoutMs, pollMs = 200, ready = (status: number) => status !== 503 } = options;
  const { child } = host;
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `the real host exited (${child.exitCode ?? child.signalCode}) before serving; its log ends:\n${host.tail(80)}`,
      );
    }
    try {
      const res = await fetch(`${host.url}/v1/health`, { signal: AbortSignal.timeout(10_000) });
      await res.arrayBuffer();
      const answeredAt = performance.now();
      last = `GET /v1/health answered ${res.status}`;
      // Only the app's own answers count (it puts x-request-id on every one): a port picked
      // free can be taken before the host binds it, by another host's HTTP/2-only gRPC
      // listener, whose 400s once passed for a host that serves.
      if (res.headers.has('x-request-id') && ready(res.status)) return answeredAt;
    } catch (error) {
      last = `GET /v1/health failed: ${(error as Error).cause ?? (error as Error).message}`;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `the real host did not serve within ${timeoutMs} ms (${last}); its log ends:\n${host.tail(80)}`,
      );
    }
    await delay(pollMs);
  }
}

/** What Kestrel logs when the port it was given is taken. */
const PORT_TAKEN = /address already in use|Failed to bind to address/i;

/**
 * {@link spawnHost} on a free port and {@link waitUntilServing}; when the port was taken between
 * picking and binding (another host or test took it), the host is stopped and started again on
 * another, up to `attempts` times. Resolves with the serving host and when it first answered.
 * @example
 * const { host } = await spawnServingHost({ app, env, timeoutMs: 90_000 });
 */
export async function spawnServingHost(options: {
  app: AppDir;
  env: Record<string, string>;
  timeoutMs: number;
  pollMs?: number;
  ready?: (status: number) => boolean;
  attempts?: number;
}): Promise<{ host: HostProcess; answeredAt: number }> {
  const attempts = options.attempts ?? 3;
  for (let attempt = 1; ; attempt++) {
    const host = spawnHost({ app: options.app, env: options.env, port: await freePort() });
    try {
      return { host, answeredAt: await waitUntilServing(host, options) };
    } catch (error) {
      await host.stop();
      if (attempt >= attempts || !PORT_TAKEN.test(host.log())) throw error;
    }
  }
}

/** SIGTERM to the whole group, SIGKILL after 15 s, and wait until no member is left. */
async function stopGroup(group: number): Promise<void> {
  const alive = () => {
    try {
      process.kill(-group, 0);
      return true;
    } catch {
      return false;
    }
  };
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-group, name);
    } catch {
      // gone
    }
  };
  signal('SIGTERM');
  const soft = Date.now() + 15_000;
  while (alive() && Date.now() < soft) await delay(100);
  if (!alive()) return;
  signal('SIGKILL');
  const hard = Date.now() + 5_000;
  while (alive() && Date.now() < hard) await delay(50);
  if (alive()) throw new Error(`process group ${group} survived SIGKILL`);
}

// ---------------------------------------------------------------------------------------------
// small things
// ---------------------------------------------------------------------------------------------

/** The host prints each log line twice: readable, and as an MS_FUNCTION_* telemetry record. */
export function withoutTelemetry(text: string): string {
  return text
    .split('\n')
    .filter((line) => !line.startsWith('MS_FUNCTION_'))
    .join('\n');
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** Runs a command to its end; resolves with its stdout. */
function run(file: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolveRun, reject) => {
    execFile(
      file,
      args,
      { cwd: REPO_ROOT, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error)
          reject(new Error(`${file} ${args.join(' ')} failed: ${error.message}\n${stdout}${stderr}`));
        else resolveRun(stdout);
      },
    );
  });
}

export function statSafe(path: string) {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** Removes entries of `dir` last modified more than `ageMs` ago (old builds, apps, logs). */
function prune(dir: string, ageMs: number): void {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stat = statSafe(path);
    if (stat && Date.now() - stat.mtimeMs > ageMs) rmSync(path, { recursive: true, force: true });
  }
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));
