/**
 * Test helpers for the Flyte Admin emulator suites: a thin fetch wrapper that returns status, headers and
 * parsed JSON, request-body factories, a manual clock, and a deadline-bounded poll (no fixed sleeps).
 */
import { request as httpRequest } from 'node:http';

export const PROJECT = 'flytesnacks';
export const DOMAIN = 'development';
export const EXECUTIONS = '/api/v1/executions';

export interface AdminResponse {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON shapes
  json: any;
}

export interface CallOptions {
  body?: unknown;
  /** Raw body text instead of JSON.stringify(body). */
  rawBody?: string;
  /** Defaults to `application/json` (flyteadmin's snake_case marshaler). */
  accept?: string | null;
  contentType?: string | null;
  headers?: Record<string, string>;
}

/** One HTTP call; `Accept` and `Content-Type` default to `application/json`. */
export async function call(
  baseUrl: string,
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<AdminResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.accept !== null) headers.accept = options.accept ?? 'application/json';
  const text = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  if (text !== undefined && options.contentType !== null)
    headers['content-type'] = options.contentType ?? 'application/json';
  const response = await fetch(`${baseUrl}${path}`, { method, headers, body: text });
  const body = await response.text();
  let json: unknown;
  try {
    json = body === '' ? undefined : JSON.parse(body);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text: body, json };
}

/** A launch-plan reference like flytekit sends. */
export function launchPlan(overrides: Record<string, unknown> = {}) {
  return {
    resource_type: 'LAUNCH_PLAN',
    project: PROJECT,
    domain: DOMAIN,
    name: 'etl.pipeline.nightly',
    version: 'v42',
    ...overrides,
  };
}

/** A CreateExecution body; `name` may be omitted to get a generated one. */
export function createBody(
  name?: string,
  spec: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
) {
  return {
    project: PROJECT,
    domain: DOMAIN,
    ...(name === undefined ? {} : { name }),
    spec: { launch_plan: launchPlan(), ...spec },
    ...extra,
  };
}

/** `/api/v1/executions/flytesnacks/development/<name>`. */
export function executionPath(name: string, prefix = EXECUTIONS): string {
  return `${prefix}/${PROJECT}/${DOMAIN}/${name}`;
}

/** A clock tests move by hand; pass `clock.now` as the emulator's `now`. */
export function manualClock(start = Date.UTC(2026, 0, 15, 2, 0, 0, 51)) {
  let current = start;
  return {
    now: () => current,
    advance(ms: number) {
      current += ms;
    },
    get value() {
      return current;
    },
  };
}

export { pollUntil } from '../../helpers/poll.js';

/**
 * A request on a fresh connection with node:http, for cases fetch hides (a dropped socket surfaces as a
 * low-level error here, with no retry on a reused keep-alive connection).
 */
export function rawRequest(
  baseUrl: string,
  method: string,
  path: string,
): Promise<{ status: number; body: string } | { error: NodeJS.ErrnoException }> {
  return new Promise((resolve) => {
    const req = httpRequest(
      `${baseUrl}${path}`,
      { method, agent: false, headers: { accept: 'application/json' } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ error }));
    req.end();
  });
}
