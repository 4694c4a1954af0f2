/**
 * @module
 * Factories shared by the unit suites: settings, web streams that record how they were read,
 * gateway requests, a recording log sink and a header lookalike for values `Headers` refuses.
 */
import type { Operation } from '../../src/catalog/operation.js';
import { loadSettings, type Settings } from '../../src/config.js';
import { routeOf } from '../../src/http/operation-route.js';
import type { RoutedRequest } from '../../src/http/route.js';
import { matchTemplate, parseTemplate } from '../../src/http/route-template.js';
import type { LogSink } from '../../src/shared/log.js';

/** A port nothing listens on: an accidental upstream call shows up as 502 upstream-unreachable. */
const DEAD_ENDPOINT = 'http://127.0.0.1:9';

/** Settings for a gateway in front of a dead Flyte endpoint, with `overrides` on top. */
export function unitSettings(overrides: Record<string, string> = {}): Settings {
  return loadSettings({ FLYTE_ENDPOINT: DEAD_ENDPOINT, FLYTE_PROJECTS: 'flytesnacks', ...overrides });
}

/** Runs `fn` and returns what it threw; fails the test when it does not throw. */
export function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw');
}

/** A stream of `text`, split into chunks of `chunkSize` bytes. */
export function textStream(text: string, chunkSize = 64): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let offset = 0;
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (offset >= bytes.byteLength) return controller.close();
        controller.enqueue(bytes.slice(offset, offset + chunkSize));
        offset += chunkSize;
      },
    },
    { highWaterMark: 0 },
  );
}

export interface RecordedStream {
  stream: ReadableStream<Uint8Array>;
  /** Bytes handed to the reader so far. */
  pulledBytes(): number;
  /** Times the reader asked for more. */
  pulls(): number;
  cancelled(): boolean;
}

/** A stream that never ends: `chunkSize` bytes of `{` per pull, forever. */
export function endlessStream(chunkSize = 256): RecordedStream {
  let pulled = 0;
  let pulls = 0;
  let cancelled = false;
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        pulls += 1;
        pulled += chunkSize;
        controller.enqueue(new Uint8Array(chunkSize).fill(0x7b));
      },
      cancel() {
        cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, pulledBytes: () => pulled, pulls: () => pulls, cancelled: () => cancelled };
}

/** A stream whose every read fails the test: it must only ever be cancelled. */
export function untouchableStream(): RecordedStream {
  let pulls = 0;
  let cancelled = false;
  const stream = new ReadableStream<Uint8Array>(
    {
      pull() {
        pulls += 1;
        throw new Error('this stream must not be read');
      },
      cancel() {
        cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, pulledBytes: () => 0, pulls: () => pulls, cancelled: () => cancelled };
}

export interface GatewayRequestInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string | ReadableStream<Uint8Array> | null;
  params?: Record<string, string>;
  /** The route template it is bound to; the path itself when not given. */
  route?: string;
}

/** A request for `path` on the local origin, bound to `params` (the query from the path). */
export function gatewayRequest(path: string, init: GatewayRequestInit = {}): RoutedRequest {
  const body = typeof init.body === 'string' ? new Blob([init.body]).stream() : (init.body ?? null);
  const url = `http://localhost:7071${path}`;
  return {
    method: init.method ?? 'GET',
    url,
    headers: new Headers(init.headers ?? {}),
    route: init.route ?? new URL(url).pathname,
    params: init.params ?? {},
    query: new URL(url).searchParams,
    body,
  };
}

/** A request for `op` at `path`, with route params taken from the op's route as the host would. */
export function requestFor(
  op: Operation,
  path: string,
  init: Omit<GatewayRequestInit, 'params'> = {},
): RoutedRequest {
  const params = matchTemplate(parseTemplate(routeOf(op)), path.split('?')[0] ?? path);
  if (!params) throw new Error(`${path} does not match the route of ${op.operationId}`);
  return gatewayRequest(path, { method: op.rest.method, ...init, params });
}

export interface RecordingSink extends LogSink {
  lines: { level: 'info' | 'warn' | 'error'; entry: Record<string, unknown>; raw: string }[];
}

/** A log sink that keeps every line, parsed. */
export function recordingSink(): RecordingSink {
  const lines: RecordingSink['lines'] = [];
  const at =
    (level: 'info' | 'warn' | 'error') =>
    (...args: unknown[]) => {
      const raw = String(args[0]);
      lines.push({ level, entry: JSON.parse(raw) as Record<string, unknown>, raw });
    };
  return { lines, info: at('info'), warn: at('warn'), error: at('error') };
}

/**
 * A `Headers` lookalike that hands back values verbatim, for values a real `Headers` refuses
 * (newlines, characters above U+00FF) but a non-WHATWG caller could still pass.
 */
export function rawHeaders(values: Record<string, string>): Headers {
  const lower = new Map(Object.entries(values).map(([k, v]) => [k.toLowerCase(), v]));
  return { get: (name: string) => lower.get(name.toLowerCase()) ?? null } as unknown as Headers;
}

/** The parsed JSON of a response body. */
export async function jsonOf(response: { text(): Promise<string> }): Promise<Record<string, unknown>> {
  return JSON.parse(await response.text()) as Record<string, unknown>;
}
