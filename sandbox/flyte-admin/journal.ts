/**
 * The request journal: what the upstream actually received, so a test of a gateway can assert on the exact
 * method, path, query, headers and body it forwarded (and that nothing reached the upstream for bad
 * input). Every request outside `/_emulator/` is recorded once its body has arrived, before faults and auth
 * run; the outcome (`status` or `dropped`) is filled in when the emulator answers.
 * @module
 */
import type { IncomingHttpHeaders } from 'node:http';

export interface RecordedRequest {
  method: string;
  /** Path as sent, without the query string and not unescaped. */
  path: string;
  /** Decoded query parameters; for repeated names the last value wins. */
  query: Record<string, string>;
  /** Header names lower-cased; repeated headers joined with `, `. */
  headers: Record<string, string>;
  /** Raw body text (`''` when none). */
  body: string;
  /** Arrival time on the emulator clock (epoch ms). */
  at: number;
  /** HTTP status the emulator answered with, once answered. */
  status?: number;
  /** True when a `drop` fault destroyed the connection instead of answering. */
  dropped?: boolean;
}

/** Flattens Node's header object into `name → value` with repeated values joined. */
export function flattenHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    result[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return result;
}

/**
 * Builds one journal entry.
 * @example
 * recordRequest('GET', '/api/v1/executions/p/d?limit=1', {}, '', 0).query // { limit: '1' }
 */
export function recordRequest(
  method: string,
  url: string,
  headers: IncomingHttpHeaders,
  body: string,
  at: number,
): RecordedRequest {
  const queryStart = url.indexOf('?');
  const path = queryStart === -1 ? url : url.slice(0, queryStart);
  const rawQuery = queryStart === -1 ? '' : url.slice(queryStart + 1);
  return {
    method,
    path,
    query: Object.fromEntries(new URLSearchParams(rawQuery)),
    headers: flattenHeaders(headers),
    body,
    at,
  };
}
