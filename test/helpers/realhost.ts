/**
 * The app under the REAL Azure Functions host (`../shared/realhost/run-host.sh`, the program
 * inside `func start` and the Azure images, built from source), for the suites in
 * test/realhost/: the app is laid out and the host spawned by sandbox/realhost.ts (shared with
 * the cold-load bench); here the Flyte Admin emulator, the Azure ML emulator and Azurite are
 * started in-process beside it, and requests, logs and memory are read for the tests.
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
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
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
import {
  type ExtensionsBinHook,
  hostEnvironment,
  prepareAppDir,
  REPO_ROOT,
  realHostPresence,
  spawnServingHost,
  statSafe,
  withoutTelemetry,
} from '../../sandbox/realhost.js';
import type { Answer } from './azureml-requests.js';
import { WORKSPACE } from './gateway.js';

export type { ExtensionsBinHook } from '../../sandbox/realhost.js';
export { REPO_ROOT };

/** Start-up (build, emulators, Azurite, host) and shutdown budget for beforeAll/afterAll. */
export const REALHOST_HOOK_TIMEOUT_MS = 120_000;
/** Default keys of run-host.sh (REALHOST_FUNCTION_KEY / REALHOST_MASTER_KEY override them). */
const FUNCTION_KEY = process.env.REALHOST_FUNCTION_KEY ?? 'local-function-key';
export const MASTER_KEY = process.env.REALHOST_MASTER_KEY ?? 'local-master-key';

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

    const env = hostEnvironment({
      FLYTE_ENDPOINT: flyte.url,
      FLYTE_PROJECTS: 'flytesnacks',
      AZUREML_ENDPOINT: azureml.url,
      AZUREML_AUTH: 'none',
      AZUREML_WORKSPACES: `${WORKSPACE.subscription}/${WORKSPACE.resourceGroup}/${WORKSPACE.workspace}`,
      AzureWebJobsStorage: azurite.connectionString,
      CANCEL_QUEUE: 'cancellations',
      CANCEL_TABLE: 'cancellations',
      ...app.extensionsEnv,
      ...options.env,
    });
    const { host: spawned } = await spawnServingHost({
      app,
      env,
      timeoutMs: options.startTimeoutMs ?? 90_000,
    });
    stops.push(() => spawned.stop());
    const { url, port, group, logFile, log, tail } = spawned;
    const startMs = Math.round(performance.now() - spawned.spawnedAt);
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

export const MiB = 1024 * 1024;
export const mib = (bytes: number | undefined) =>
  bytes === undefined ? 'n/a' : `${(bytes / MiB).toFixed(1)} MiB`;

/** One line per process: before → peak → after. */
export function formatMemory(label: string, window: MemoryWindow): string {
  const row = (name: 'host' | 'worker') =>
    `${name} ${mib(window.before[name])} → peak ${mib(window.peak[name])} → after ${mib(window.after[name])}`;
  return `[realhost memory] ${label}: ${row('host')}; ${row('worker')} (${window.samples} samples)`;
}
