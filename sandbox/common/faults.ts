/**
 * Fault injection shared by the sandbox emulators, for tests of clients and gateways: a fixed latency
 * before every answer, and counted faults — the next N requests get a 429 with `Retry-After`, a 5xx, or a
 * dropped connection. Counted faults are consumed one per request in the order drop → 429 → 5xx, so
 * setting several at once scripts a sequence. Settable in code (`emulator.faults.status429 = {...}` or
 * `set()`) and over HTTP (`PUT /_emulator/faults`). Each emulator renders the 429/5xx in its own error
 * shape; this module only decides.
 * @module
 */
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
  /** Only requests whose path starts with this are affected (e.g. `/api/`). @default every request */
  pathPrefix?: string;
}

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

/**
 * Checks untrusted settings (e.g. a `PUT /_emulator/faults` body) and returns a clean copy.
 * @throws TypeError naming the first bad field
 */
export function parseFaultSettings(input: unknown): FaultSettings {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new TypeError('fault settings must be a JSON object');
  }
  const raw = input as Record<string, unknown>;
  const known = new Set(['latencyMs', 'status429', 'status5xx', 'drop', 'pathPrefix']);
  for (const key of Object.keys(raw))
    if (!known.has(key)) throw new TypeError(`unknown fault setting ${key}`);
  const section = (name: string) => {
    const value = raw[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) throw new TypeError(`${name} must be an object`);
    return value as Record<string, unknown>;
  };
  const settings: FaultSettings = {};
  const latencyMs = optionalNumber('latencyMs', raw.latencyMs, (n) => n >= 0);
  if (latencyMs !== undefined) settings.latencyMs = latencyMs;
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
    const status = optionalNumber(
      'status5xx.status',
      s5xx.status,
      (n) => Number.isInteger(n) && n >= 500 && n <= 599,
    );
    settings.status5xx = { count: count('status5xx', s5xx.count), status };
  }
  const drop = section('drop');
  if (drop) settings.drop = { count: count('drop', drop.count) };
  if (raw.pathPrefix !== undefined) {
    if (typeof raw.pathPrefix !== 'string') throw new TypeError('pathPrefix must be a string');
    settings.pathPrefix = raw.pathPrefix;
  }
  return settings;
}

/**
 * The live fault switches of one emulator. Properties may be assigned directly; counts go down as
 * requests consume them.
 * @example
 * emulator.faults.set({ status429: { count: 2, retryAfterSeconds: 1 } });
 * emulator.faults.latencyMs = 100;
 * emulator.faults.clear();
 */
export class FaultControl implements FaultSettings {
  latencyMs = 0;
  status429?: { count: number; retryAfterSeconds?: number };
  status5xx?: { count: number; status?: number };
  drop?: { count: number };
  pathPrefix?: string;

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
    this.pathPrefix = clean.pathPrefix;
  }

  clear(): void {
    this.set({});
  }

  /** Plain-object copy of the current settings (what `GET /_emulator/faults` returns). */
  snapshot(): FaultSettings {
    return JSON.parse(
      JSON.stringify({
        latencyMs: this.latencyMs,
        status429: this.status429,
        status5xx: this.status5xx,
        drop: this.drop,
        pathPrefix: this.pathPrefix,
      }),
    ) as FaultSettings;
  }

  applies(path: string): boolean {
    return this.pathPrefix === undefined || path.startsWith(this.pathPrefix);
  }

  /** Decides the fate of one request to `path`, consuming one counted fault if any is armed. */
  take(path: string): FaultDecision {
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
