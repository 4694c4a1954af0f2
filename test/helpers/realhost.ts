/**
 * The app under the REAL Azure Functions host (`../shared/realhost/run-host.sh`, the program
 * inside `func start` and the Azure images, built from source): the app is compiled, laid out
 * as a function app in a temp directory (host.json without `extensionBundle`, which cannot be
 * downloaded here), and served by the host as a child process on a free loopback port, with
 * the Flyte Admin emulator, the Azure ML emulator and Azurite started in-process beside it.
 * Keys are enforced as in Azure (`x-functions-key` or `?code=`).
 *
 * Where `../shared/realhost` is absent (a user's clone) the suites say so and skip; with `CI`
 * set its absence fails them.
 * @example
 * describeRealHost('routes', () => {
 *   let host: RealHost;
 *   beforeAll(async () => { host = await startRealHost(); }, REALHOST_HOOK_TIMEOUT_MS);
 *   afterAll(() => host?.stop(), REALHOST_HOOK_TIMEOUT_MS);
 *   it('health', async () => expect((await host.call('GET', '/v1/health', { key: 'none' })).status).toBe(200));
 * });
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
import { join, relative, resolve } from 'node:path';
import { describe, it } from 'vitest';
import {
  type AzureMlEmulator,
  type AzureMlEmulatorOptions,
  startAzureMlEmulator,
} from '../../sandbox/azureml/index.js';
import { type Azurite, startAzurite } from '../../sandbox/azurite.js';
import {
  type FlyteAdminEmulator,
  type FlyteAdminEmulatorOptions,
  startFlyteAdminEmulator,
} from '../../sandbox/flyte-admin/index.js';
import type { Answer } from './azureml-requests.js';
import { WORKSPACE } from './gateway.js';

export const REPO_ROOT = resolve(__dirname, '../..');
/** `../shared/realhost` beside the checkout (REALHOST_DIR overrides it). */
const REALHOST_DIR = resolve(REPO_ROOT, process.env.REALHOST_DIR ?? '../shared/realhost');
const RUN_HOST = join(REALHOST_DIR, 'run-host.sh');
/** Start-up (build, emulators, Azurite, host) and shutdown budget for beforeAll/afterAll. */
export const REALHOST_HOOK_TIMEOUT_MS = 120_000;
/** Default keys of run-host.sh (REALHOST_FUNCTION_KEY / REALHOST_MASTER_KEY override them). */
const FUNCTION_KEY = process.env.REALHOST_FUNCTION_KEY ?? 'local-function-key';
export const MASTER_KEY = process.env.REALHOST_MASTER_KEY ?? 'local-master-key';

const SETPRIV = '/usr/bin/setpriv';
/** Where builds, app directories and host logs go. */
const WORK_DIR = join(tmpdir(), 'execution-gateway-realhost');
const DAY_MS = 24 * 60 * 60 * 1000;

export type RealHostPresence = { available: true } | { available: false; reason: string };

/** Whether the real host can be run from this checkout. */
function realHostPresence(): RealHostPresence {
  if (!existsSync(RUN_HOST)) {
    return {
      available: false,
      reason: `the real Azure Functions host is not here (${RUN_HOST} is absent; it lives in ../shared/realhost beside the checkout)`,
    };
  }
  return { available: true };
}

/**
 * `describe` for a suite that needs the real host: runs it when `run-host.sh` is there; else
 * prints why and skips it — or, with `CI` set, fails it (CI must run it).
 */
export function describeRealHost(name: string, body: () => void): void {
  const presence = realHostPresence();
  if (presence.available) {
    describe(name, body);
    return;
  }
  if (process.env.CI && !/^(0|false)$/i.test(process.env.CI)) {
    describe(name, () => {
      it('needs the real Functions host in CI', () => {
        throw new Error(`CI is set but ${presence.reason}`);
      });
    });
    return;
  }
  console.warn(`[realhost] skipping "${name}": ${presence.reason}`);
  describe.skip(`${name} (skipped: ${presence.reason})`, body);
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

/** Builds the app as `npm run build` does, once per source state; returns the compiled `dist`. */
async function buildApp(): Promise<string> {
  const key = sourceKey();
  const builds = join(WORK_DIR, 'builds');
  mkdirSync(builds, { recursive: true });
  prune(builds, DAY_MS);
  const done = join(builds, key);
  const lock = `${done}.lock`;
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (existsSync(join(done, 'dist', 'src', 'index.js'))) return join(done, 'dist');
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
      await run(
        process.execPath,
        [
          join(REPO_ROOT, 'node_modules/typescript/bin/tsc'),
          '-p',
          'tsconfig.build.json',
          '--outDir',
          join(staging, 'dist'),
        ],
        150_000,
      );
      // As `npm run build` does: the swaggers the app reads at run time go beside the code.
      await run(
        process.execPath,
        [join(staging, 'dist/scripts/copy-specs.js'), join(staging, 'dist'), REPO_ROOT],
        30_000,
      );
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
async function prepareAppDir(
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

export type KeyMode = 'header' | 'code' | 'none';

export interface CallOptions {
  /** JSON-encoded unless a string, bytes or FormData; JSON gets `content-type: application/json`. */
  body?: unknown;
  headers?: Record<string, string>;
  /** How the function key travels: `x-functions-key` (default), `?code=`, or not at all. */
  key?: KeyMode;
  /** Per-request deadline. @default 30000 */
  timeoutMs?: number;
}

/** An answer as the other suites read one (status, headers, bytes, text, json()). */
export type { Answer };

export interface ProcessMemory {
  /** RSS of the host (dotnet) process, bytes. */
  host: number;
  /** RSS of the Node.js worker (a child of the host), bytes; undefined when it is not running. */
  worker: number | undefined;
}

export interface MemoryWindow {
  before: ProcessMemory;
  peak: ProcessMemory;
  after: ProcessMemory;
  samples: number;
}

export interface RealHostOptions {
  /** App settings on top of the defaults (and host settings such as FUNCTIONS_REQUEST_BODY_SIZE_LIMIT). */
  env?: Record<string, string>;
  flyte?: FlyteAdminEmulatorOptions;
  azureml?: AzureMlEmulatorOptions;
  /** See {@link ExtensionsBinHook}. @default installStorageQueuesExtension */
  extensions?: ExtensionsBinHook;
  /** Deadline for the host to serve its first request. @default 90000 */
  startTimeoutMs?: number;
}

export interface RealHost {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** The default function key (`local-function-key` unless REALHOST_FUNCTION_KEY is set). */
  key: string;
  /** The host (dotnet) process id; also its process group. */
  pid: number;
  appDir: string;
  logFile: string;
  /** The environment the host was started with (app settings included). */
  env: Record<string, string>;
  flyte: FlyteAdminEmulator;
  azureml: AzureMlEmulator;
  azurite: Azurite;
  /** Milliseconds from spawning the host to its first served request. */
  startMs: number;
  /** Whether the queue trigger (`cancellationqueue`) was loaded: needs the Storage Queues extension. */
  queueTriggerLoaded: boolean;
  /** A path with the key as the host takes it (`?code=` appended, or unchanged). */
  path(path: string, key?: KeyMode): string;
  /** Request headers carrying the key (`x-functions-key`), or none. */
  keyHeaders(key?: KeyMode): Record<string, string>;
  /** One request over real HTTP, whole answer read. */
  call(method: string, path: string, options?: CallOptions): Promise<Answer>;
  /** The whole host log so far. */
  log(): string;
  /** A mark in the log: pass it to `logSince`. */
  logMark(): number;
  /** Log lines written since `mark`, without the host's MS_FUNCTION_* telemetry lines. */
  logSince(mark: number): string;
  /** The last `lines` lines of the log, without telemetry lines. */
  logTail(lines?: number): string;
  /** RSS of the host and of its Node.js worker now. */
  memory(): ProcessMemory;
  /** Samples both RSS values every `intervalMs` until `stop()`; peak is the largest seen. */
  sampleMemory(intervalMs?: number): { stop(): MemoryWindow };
  /** Stops the host (its whole process group) and waits; then the emulators and Azurite. */
  stop(): Promise<void>;
}

/** Host-side settings a developer's shell might carry; removed so the ones given here are used. */
const INHERITED_SETTINGS =
  /^(FLYTE_|AZUREML_|AzureWebJobs|AZURE_|UPSTREAM_|MAX_|STAGING_|CANCEL_|MCP_|UPLOAD_|FUNCTIONS_|ASPNETCORE_|WEBSITE_|languageWorkers|NODE_OPTIONS$|VITEST|PORT$|HOST$)/;

/**
 * Starts the emulators, Azurite and the real host on free loopback ports, and resolves once
 * the host serves a request. On failure everything started is stopped and the host log's tail
 * is in the error.
 */
export async function startRealHost(options: RealHostOptions = {}): Promise<RealHost> {
  const presence = realHostPresence();
  if (!presence.available) throw new Error(presence.reason);
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  try {
    const app = await prepareAppDir({ extensions: options.extensions });
    stops.push(async () => app.remove());
    const flyte = await startFlyteAdminEmulator({
      phaseDelaysMs: { queued: 50, running: 150 },
      ...options.flyte,
    });
    stops.push(() => flyte.close());
    const azureml = await startAzureMlEmulator(options.azureml ?? {});
    stops.push(() => azureml.close());
    const azurite = await startAzurite();
    stops.push(() => azurite.stop());

    const port = await freePort();
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(process.env)) {
      if (value !== undefined && !INHERITED_SETTINGS.test(name)) env[name] = value;
    }
    Object.assign(env, {
      // The worker runs the first `node` on PATH: the project's Node 22.
      PATH: `${join(REPO_ROOT, 'node_modules/.bin')}:${process.env.PATH ?? ''}`,
      FLYTE_ENDPOINT: flyte.url,
      FLYTE_PROJECTS: 'flytesnacks',
      AZUREML_ENDPOINT: azureml.url,
      AZUREML_AUTH: 'none',
      AZUREML_WORKSPACES: `${WORKSPACE.subscription}/${WORKSPACE.resourceGroup}/${WORKSPACE.workspace}`,
      AzureWebJobsStorage: azurite.connectionString,
      CANCEL_QUEUE: 'cancellations',
      CANCEL_TABLE: 'cancellations',
      ...deployedHostSettings(),
      ...app.extensionsEnv,
      ...options.env,
    });

    const logs = join(WORK_DIR, 'logs');
    mkdirSync(logs, { recursive: true });
    prune(logs, DAY_MS);
    const logFile = join(logs, `host-${port}-${Date.now()}.log`);
    const fd = openSync(logFile, 'a');
    const spawned = Date.now();
    let child: ChildProcess;
    try {
      // Its own process group (detached), so that stop() reaches the worker too; and killed
      // with this process if it dies without stopping it (setpriv's parent-death signal
      // survives run-host.sh's exec of dotnet).
      const command = ['bash', RUN_HOST, app.dir, String(port)];
      if (existsSync(SETPRIV)) command.unshift(SETPRIV, '--pdeathsig', 'KILL');
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
    stops.push(async () => {
      await stopGroup(group);
      process.off('exit', killOnExit);
    });

    const log = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
    const tail = (lines = 60) => withoutTelemetry(log()).split('\n').slice(-lines).join('\n');
    const url = `http://127.0.0.1:${port}`;
    await waitUntilServing(url, child, options.startTimeoutMs ?? 90_000, tail);
    const startMs = Date.now() - spawned;
    // run-host.sh execs dotnet, so the group leader is the host; look below it if not.
    const pid =
      readComm(group) === 'dotnet'
        ? group
        : (findDescendant(group, (p) => readComm(p) === 'dotnet') ?? group);
    const workerPid = () => findDescendant(pid, (p) => readCmdline(p).includes('nodejsWorker'));
    const memory = (): ProcessMemory => {
      const worker = workerPid();
      return { host: rssOf(pid) ?? 0, worker: worker === undefined ? undefined : rssOf(worker) };
    };
    const withKey = (path: string, key: KeyMode = 'header') =>
      key === 'code'
        ? `${path}${path.includes('?') ? '&' : '?'}code=${encodeURIComponent(FUNCTION_KEY)}`
        : path;
    const keyHeaders = (key: KeyMode = 'header'): Record<string, string> =>
      key === 'header' ? { 'x-functions-key': FUNCTION_KEY } : {};

    const host: RealHost = {
      url,
      port,
      key: FUNCTION_KEY,
      pid,
      appDir: app.dir,
      logFile,
      env,
      flyte,
      azureml,
      azurite,
      startMs,
      queueTriggerLoaded: app.extensionsInstalled && !/'cancellationqueue' function is in error/.test(log()),
      path: withKey,
      keyHeaders,
      async call(method, path, callOptions = {}) {
        const { body, key = 'header', timeoutMs = 30_000 } = callOptions;
        const headers: Record<string, string> = { ...keyHeaders(key), ...callOptions.headers };
        let payload: string | Uint8Array | FormData | undefined;
        if (typeof body === 'string' || body instanceof Uint8Array || body instanceof FormData)
          payload = body;
        else if (body !== undefined) {
          payload = JSON.stringify(body);
          headers['content-type'] ??= 'application/json';
        }
        const response = await fetch(`${url}${withKey(path, key)}`, {
          method,
          headers,
          body: payload,
          signal: AbortSignal.timeout(timeoutMs),
        });
        const bytes = Buffer.from(await response.arrayBuffer());
        const text = bytes.toString('utf8');
        return {
          status: response.status,
          headers: response.headers,
          bytes,
          text,
          json: () => JSON.parse(text),
        };
      },
      log,
      logMark: () => statSafe(logFile)?.size ?? 0,
      logSince(mark) {
        const all = existsSync(logFile) ? readFileSync(logFile) : Buffer.alloc(0);
        return withoutTelemetry(all.subarray(mark).toString('utf8'));
      },
      logTail: tail,
      memory,
      sampleMemory(intervalMs = 20) {
        const before = memory();
        const peak: ProcessMemory = { ...before };
        let samples = 0;
        const take = () => {
          const now = memory();
          peak.host = Math.max(peak.host, now.host);
          if (now.worker !== undefined) peak.worker = Math.max(peak.worker ?? 0, now.worker);
          samples += 1;
          return now;
        };
        const timer = setInterval(take, intervalMs);
        return {
          stop() {
            clearInterval(timer);
            const after = take();
            return { before, peak, after, samples };
          },
        };
      },
      stop: stopAll,
    };
    return host;
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/**
 * Settings the host itself reads, as the project deploys them (local.settings.sample.json, kept
 * in step with infra/ and the config schema by the contract tests): `func start` would pass them
 * to the host the same way. Today: FUNCTIONS_REQUEST_BODY_SIZE_LIMIT.
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

/** Polls an anonymous route until the host answers it with anything but "starting" (503). */
async function waitUntilServing(
  url: string,
  child: ChildProcess,
  timeoutMs: number,
  tail: (lines?: number) => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `the real host exited (${child.exitCode ?? child.signalCode}) before serving; its log ends:\n${tail(80)}`,
      );
    }
    try {
      const res = await fetch(`${url}/v1/health`, { signal: AbortSignal.timeout(10_000) });
      await res.arrayBuffer();
      last = `GET /v1/health answered ${res.status}`;
      if (res.status !== 503) return;
    } catch (error) {
      last = `GET /v1/health failed: ${(error as Error).cause ?? (error as Error).message}`;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `the real host did not serve within ${timeoutMs} ms (${last}); its log ends:\n${tail(80)}`,
      );
    }
    await delay(200);
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
// /proc
// ---------------------------------------------------------------------------------------------

/** RSS in bytes from /proc/<pid>/status, or undefined when the process is gone. */
function rssOf(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match?.[1] ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Direct children of a process, from each /proc/<pid>/stat's ppid. */
function childrenOf(parent: number): number[] {
  const children: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may hold spaces and parentheses, so read after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parent) children.push(Number(name));
    } catch {
      // exited while listing
    }
  }
  return children;
}

/** The first process below `root` (breadth first) that `match` accepts. */
function findDescendant(root: number, match: (pid: number) => boolean): number | undefined {
  const queue = childrenOf(root);
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    if (match(pid)) return pid;
    queue.push(...childrenOf(pid));
  }
  return undefined;
}

function readComm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

function readCmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

// ---------------------------------------------------------------------------------------------
// small things
// ---------------------------------------------------------------------------------------------

/** The host prints each log line twice: readable, and as an MS_FUNCTION_* telemetry record. */
function withoutTelemetry(text: string): string {
  return text
    .split('\n')
    .filter((line) => !line.startsWith('MS_FUNCTION_'))
    .join('\n');
}

export const MiB = 1024 * 1024;
export const mib = (bytes: number | undefined) =>
  bytes === undefined ? 'n/a' : `${(bytes / MiB).toFixed(1)} MiB`;

/** One line per process: before → peak → after. */
export function formatMemory(label: string, window: MemoryWindow): string {
  const row = (name: 'host' | 'worker') =>
    `${name} ${mib(window.before[name])} → peak ${mib(window.peak[name])} → after ${mib(window.after[name])}`;
  return `[realhost memory] ${label}: ${row('host')}; ${row('worker')} (${window.samples} samples)`;
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
      { cwd: REPO_ROOT, timeout: timeoutMs, maxBuffer: 16 * MiB },
      (error, stdout, stderr) => {
        if (error)
          reject(new Error(`${file} ${args.join(' ')} failed: ${error.message}\n${stdout}${stderr}`));
        else resolveRun(stdout);
      },
    );
  });
}

function statSafe(path: string) {
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
