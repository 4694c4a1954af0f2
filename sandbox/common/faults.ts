/**
 * Fault injection shared by the sandbox emulators, for tests of clients and gateways: a fixed latency
 * before every answer, a drip (headers at once, then the body a few bytes at a time, so per-read
 * timeouts never trip and only a total deadline ends the call), and counted faults — the next N requests get a 429 with `Retry-After`, a 5xx, or a
 * dropped connection. Counted faults are consumed one per request in the order drop → 429 → 5xx, so
 * setting several at once makes a sequence. Per-path scripts give one exact path (raw, without query) its
 * own steps, one per request to that path, ahead of the counted faults and regardless of `pathPrefix`; once
 * they are used up the path behaves normally (latency applies to it as to any path under `pathPrefix`).
 * Settable in code (`emulator.faults.status429 = {...}`, `set()`, `script()`) and over HTTP
 * (`PUT /_emulator/faults`, `scripts: {path: steps}`). Each emulator renders the 429/5xx in its own error
 * shape; this module only decides.
 * @module
 */
import type { ServerResponse } from 'node:http';
import { sleep } from './http-io.js';

export interface FaultSettings {
  /** Delay before answering every affected request, in ms. @default 0 */
  latencyMs?: number;
  /** The next `count` requests answer 429 with `Retry-After: retryAfterSeconds` (default 1). */
  status429?: { count: number; retryAfterSeconds?: number };
  /** The next `count` requests answer `status` (default 503) in the emulator's error shape. */
  status5xx?: { count: number; status?: number };
  /** The next `count` requests have their socket destroyed without any response. */
  drop?: { count: number };
  /**
   * Every affected answer (any status, injected ones too) sends its headers at once, then its body
   * `bytes` (default 1) at a time, one write every `intervalMs`.
   */
  drip?: DripSettings;
  /**
   * Affected requests wait this long before their body is read, so a sender feels backpressure
   * mid-body (a large upload stalls once the socket buffers are full). `holding` counts the
   * requests waiting now.
   */
  holdBodyMs?: number;
  /**
   * Only requests whose path starts with this get the latency and counted faults (e.g. `/api/`); scripts
   * name their paths exactly and ignore it. @default every request
   */
  pathPrefix?: string;
  /** Exact request path (without query) → the steps its next requests get, in order. */
  scripts?: Record<string, ScriptedFault[]>;
}

export interface DripSettings {
  intervalMs: number;
  bytes?: number;
}

/** One scripted answer for one request to a scripted path. */
export type ScriptedFault =
  | { kind: 'status429'; retryAfterSeconds?: number }
  | { kind: 'status5xx'; status?: number }
  | { kind: 'drop' };

/** What to do with one request, decided (and counted) when it arrives. */
export type FaultDecision =
  | { kind: 'none' }
  | { kind: 'drop' }
  | { kind: 'status429'; retryAfterSeconds: number }
  | { kind: 'status5xx'; status: number };

function count(name: string, value: unknown): number {
  if (!Number.isInteger(value) || (value as number) < 0)
    throw new TypeError(`${name}.count must be an integer >= 0`);
  return value as number;
}

function optionalNumber(name: string, value: unknown, check: (n: number) => boolean): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !check(value))
    throw new TypeError(`${name} is out of range: ${String(value)}`);
  return value;
}

const isStatus5xx = (n: number) => Number.isInteger(n) && n >= 500 && n <= 599;

function plainObject(name: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new TypeError(`${name} must be an object`);
  return value as Record<string, unknown>;
}

function parseStep(name: string, input: unknown): ScriptedFault {
  const raw = plainObject(name, input);
  const allowed: Record<string, string[]> = {
    status429: ['kind', 'retryAfterSeconds'],
    status5xx: ['kind', 'status'],
    drop: ['kind'],
  };
  const kind = raw.kind;
  const fields = typeof kind === 'string' && Object.hasOwn(allowed, kind) ? allowed[kind] : undefined;
  if (!fields)
    throw new TypeError(`${name}.kind must be one of status429, status5xx, drop: ${JSON.stringify(kind)}`);
  for (const key of Object.keys(raw))
    if (!fields.includes(key)) throw new TypeError(`unknown field ${name}.${key} for kind ${kind}`);
  if (kind === 'status429') {
    const retryAfterSeconds = optionalNumber(
      `${name}.retryAfterSeconds`,
      raw.retryAfterSeconds,
      (n) => n >= 0,
    );
    return retryAfterSeconds === undefined ? { kind } : { kind, retryAfterSeconds };
  }
  if (kind === 'status5xx') {
    const status = optionalNumber(`${name}.status`, raw.status, isStatus5xx);
    return status === undefined ? { kind } : { kind, status };
  }
  return { kind: 'drop' };
}

/**
 * Checks one path's scripted steps and returns a clean copy.
 * @throws TypeError naming the first bad field, e.g. `scripts["/api/x"][1].kind`
 */
function parseScript(path: string, steps: unknown): ScriptedFault[] {
  const name = `scripts[${JSON.stringify(path)}]`;
  if (!path.startsWith('/')) throw new TypeError(`${name}: a scripted path must start with /`);
  if (path.includes('?')) throw new TypeError(`${name}: a scripted path has no query`);
  if (!Array.isArray(steps)) throw new TypeError(`${name} must be an array of steps`);
  return steps.map((step, index) => parseStep(`${name}[${index}]`, step));
}

function parseDrip(raw: Record<string, unknown>): DripSettings {
  for (const key of Object.keys(raw))
    if (key !== 'intervalMs' && key !== 'bytes') throw new TypeError(`unknown field drip.${key}`);
  const intervalMs = optionalNumber('drip.intervalMs', raw.intervalMs, (n) => Number.isInteger(n) && n >= 1);
  if (intervalMs === undefined) throw new TypeError('drip.intervalMs is required');
  const bytes = optionalNumber('drip.bytes', raw.bytes, (n) => Number.isInteger(n) && n >= 1);
  return bytes === undefined ? { intervalMs } : { intervalMs, bytes };
}

/**
 * Checks untrusted settings (e.g. a `PUT /_emulator/faults` body) and returns a clean copy.
 * @throws TypeError naming the first bad field
 */
export function parseFaultSettings(input: unknown): FaultSettings {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new TypeError('fault settings must be a JSON object');
  }
  const raw = input as Record<string, unknown>;
  const known = new Set([
    'latencyMs',
    'status429',
    'status5xx',
    'drop',
    'drip',
    'holdBodyMs',
    'pathPrefix',
    'scripts',
  ]);
  for (const key of Object.keys(raw))
    if (!known.has(key)) throw new TypeError(`unknown fault setting ${key}`);
  const section = (name: string) => {
    const value = raw[name];
    if (value === undefined || value === null) return undefined;
    return plainObject(name, value);
  };
  const settings: FaultSettings = {};
  const latencyMs = optionalNumber('latencyMs', raw.latencyMs, (n) => n >= 0);
  if (latencyMs !== undefined) settings.latencyMs = latencyMs;
  const holdBodyMs = optionalNumber('holdBodyMs', raw.holdBodyMs, (n) => n >= 0);
  if (holdBodyMs !== undefined) settings.holdBodyMs = holdBodyMs;
  const s429 = section('status429');
  if (s429) {
    const retryAfterSeconds = optionalNumber(
      'status429.retryAfterSeconds',
      s429.retryAfterSeconds,
      (n) => n >= 0,
    );
    settings.status429 = { count: count('status429', s429.count), retryAfterSeconds };
  }
  const s5xx = section('status5xx');
  if (s5xx) {
    const status = optionalNumber('status5xx.status', s5xx.status, isStatus5xx);
    settings.status5xx = { count: count('status5xx', s5xx.count), status };
  }
  const drop = section('drop');
  if (drop) settings.drop = { count: count('drop', drop.count) };
  const drip = section('drip');
  if (drip) settings.drip = parseDrip(drip);
  if (raw.pathPrefix !== undefined) {
    if (typeof raw.pathPrefix !== 'string') throw new TypeError('pathPrefix must be a string');
    settings.pathPrefix = raw.pathPrefix;
  }
  const scripts = section('scripts');
  if (scripts) {
    settings.scripts = {};
    for (const [path, steps] of Object.entries(scripts)) settings.scripts[path] = parseScript(path, steps);
  }
  return settings;
}

/**
 * The live fault switches of one emulator. Properties may be assigned directly; counts go down as
 * requests consume them, and so do scripted steps.
 * @example
 * emulator.faults.set({ status429: { count: 2, retryAfterSeconds: 1 } });
 * emulator.faults.latencyMs = 100;
 * emulator.faults.script('/api/v1/executions/p/d/run-1', [{ kind: 'status429' }, { kind: 'status5xx' }]);
 * emulator.faults.clear();
 */
export class FaultControl implements FaultSettings {
  latencyMs = 0;
  status429?: { count: number; retryAfterSeconds?: number };
  status5xx?: { count: number; status?: number };
  drop?: { count: number };
  drip?: DripSettings;
  holdBodyMs = 0;
  /** Requests whose body is being held back now (see `holdBodyMs`). */
  holding = 0;
  pathPrefix?: string;
  /** Remaining steps per scripted path; a path leaves the map when its last step is used. */
  private readonly scripted = new Map<string, ScriptedFault[]>();

  constructor(initial: FaultSettings = {}) {
    this.set(initial);
  }

  /** Replaces every setting (unspecified ones are cleared). */
  set(settings: FaultSettings): void {
    const clean = parseFaultSettings(settings);
    this.latencyMs = clean.latencyMs ?? 0;
    this.status429 = clean.status429 && { ...clean.status429 };
    this.status5xx = clean.status5xx && { ...clean.status5xx };
    this.drop = clean.drop && { ...clean.drop };
    this.drip = clean.drip && { ...clean.drip };
    this.holdBodyMs = clean.holdBodyMs ?? 0;
    this.pathPrefix = clean.pathPrefix;
    this.scripted.clear();
    for (const [path, steps] of Object.entries(clean.scripts ?? {})) this.script(path, steps);
  }

  clear(): void {
    this.set({});
  }

  /**
   * Gives the next `steps.length` requests to exactly `path` (raw path, no query) these answers, one per
   * request and ahead of any counted fault; afterwards the path behaves normally. Replaces the path's
   * earlier steps; an empty list removes its script.
   * @throws TypeError for a malformed step
   * @example
   * faults.script('/api/v1/executions/p/d/run-1', [{ kind: 'status429', retryAfterSeconds: 2 }, { kind: 'status5xx' }]);
   */
  script(path: string, steps: ScriptedFault[]): void {
    const clean = parseScript(path, steps);
    if (clean.length === 0) this.scripted.delete(path);
    else this.scripted.set(path, clean);
  }

  /** Remaining scripted steps per path (copies); assigning replaces every script. */
  get scripts(): Record<string, ScriptedFault[]> {
    return Object.fromEntries(
      [...this.scripted].map(([path, steps]) => [path, steps.map((step) => ({ ...step }))]),
    );
  }

  set scripts(value: Record<string, ScriptedFault[]> | undefined) {
    const clean = parseFaultSettings({ scripts: value }).scripts ?? {};
    this.scripted.clear();
    for (const [path, steps] of Object.entries(clean)) this.script(path, steps);
  }

  /** Plain-object copy of the current settings (what `GET /_emulator/faults` returns). */
  snapshot(): FaultSettings {
    return JSON.parse(
      JSON.stringify({
        latencyMs: this.latencyMs,
        status429: this.status429,
        status5xx: this.status5xx,
        drop: this.drop,
        drip: this.drip,
        holdBodyMs: this.holdBodyMs || undefined,
        pathPrefix: this.pathPrefix,
        scripts: this.scripted.size === 0 ? undefined : this.scripts,
      }),
    ) as FaultSettings;
  }

  applies(path: string): boolean {
    return this.pathPrefix === undefined || path.startsWith(this.pathPrefix);
  }

  /**
   * Decides the fate of one request to `path`, consuming that path's next scripted step if it has one,
   * else one counted fault if any is armed and the path is affected.
   */
  take(path: string): FaultDecision {
    const steps = this.scripted.get(path);
    const step = steps?.shift();
    if (steps && steps.length === 0) this.scripted.delete(path);
    if (step?.kind === 'drop') return { kind: 'drop' };
    if (step?.kind === 'status429')
      return { kind: 'status429', retryAfterSeconds: step.retryAfterSeconds ?? 1 };
    if (step?.kind === 'status5xx') return { kind: 'status5xx', status: step.status ?? 503 };
    if (!this.applies(path)) return { kind: 'none' };
    if (this.drop && this.drop.count > 0) {
      this.drop.count -= 1;
      return { kind: 'drop' };
    }
    if (this.status429 && this.status429.count > 0) {
      this.status429.count -= 1;
      return { kind: 'status429', retryAfterSeconds: this.status429.retryAfterSeconds ?? 1 };
    }
    if (this.status5xx && this.status5xx.count > 0) {
      this.status5xx.count -= 1;
      return { kind: 'status5xx', status: this.status5xx.status ?? 503 };
    }
    return { kind: 'none' };
  }
}

/**
 * The fault step of a request pipeline: decides the request's fate on arrival (so concurrent requests
 * consume counted faults in the order they came in), then waits out the configured latency.
 * @example
 * const decision = await arriveWithFaults(state.faults, path);
 * if (decision.kind === 'drop') request.socket.destroy();
 */
export async function arriveWithFaults(faults: FaultControl, path: string): Promise<FaultDecision> {
  const decision = faults.take(path);
  if (faults.applies(path) && faults.latencyMs > 0) await sleep(faults.latencyMs);
  return decision;
}

/**
 * The hold step of a request pipeline, before the body is read: when `holdBodyMs` is set and
 * applies to `path`, waits that long without reading, so the sender stalls mid-body.
 * @example
 * await holdBody(state.faults, path);
 * const body = await readBodyBytes(request, limit);
 */
export async function holdBody(faults: FaultControl, path: string): Promise<void> {
  if (faults.holdBodyMs <= 0 || !faults.applies(path)) return;
  faults.holding += 1;
  try {
    await sleep(faults.holdBodyMs);
  } finally {
    faults.holding -= 1;
  }
}

/**
 * The drip step of a request pipeline: when a drip is set and applies to `path`, the answer written
 * to `response` afterwards goes out slowly (see `drip`). Call it once the request has arrived.
 * @example
 * applyDrip(state.faults, path, response);
 */
export function applyDrip(faults: FaultControl, path: string, response: ServerResponse): void {
  if (faults.drip && faults.applies(path)) dripResponse(response, faults.drip);
}

/**
 * Holds back what is written to `response` and lets it out `bytes` at a time, every `intervalMs`;
 * the headers go at the first write. Stops when the peer goes away.
 */
function dripResponse(response: ServerResponse, { intervalMs, bytes = 1 }: DripSettings): void {
  const write = response.write.bind(response) as (chunk: Buffer) => boolean;
  const end = response.end.bind(response) as () => ServerResponse;
  let pending = Buffer.alloc(0);
  let ending = false;
  let timer: NodeJS.Timeout | undefined;
  const toBuffer = (chunk: unknown, encoding: unknown) =>
    typeof chunk === 'string'
      ? Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8')
      : Buffer.from(chunk as Uint8Array);
  const tick = () => {
    if (response.destroyed) return clearInterval(timer);
    const next = pending.subarray(0, bytes);
    pending = pending.subarray(next.length);
    if (next.length > 0) write(next);
    if (pending.length === 0 && ending) {
      clearInterval(timer);
      end();
    }
  };
  const queue = (chunk: unknown, encoding: unknown) => {
    if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
    pending = Buffer.concat([pending, toBuffer(chunk, encoding)]);
    if (timer) return;
    // The status line and headers now, the body's first bytes at the first tick.
    response.flushHeaders();
    timer = setInterval(tick, intervalMs);
  };
  response.write = ((chunk: unknown, encoding?: unknown, callback?: unknown) => {
    queue(chunk, encoding);
    const done = typeof encoding === 'function' ? encoding : callback;
    if (typeof done === 'function') queueMicrotask(() => done());
    return true;
  }) as typeof response.write;
  response.end = ((chunk?: unknown, encoding?: unknown) => {
    queue(chunk, encoding);
    ending = true;
    if (!timer) {
      response.flushHeaders();
      timer = setInterval(tick, intervalMs);
    }
    return response;
  }) as typeof response.end;
  response.once('close', () => clearInterval(timer));
}
