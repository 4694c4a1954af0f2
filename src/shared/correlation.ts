/**
 * @module
 * Correlation ids. A caller's `x-request-id` is reused only when it is short and of a safe
 * charset, else a UUID is minted; a valid W3C `traceparent` keeps its trace id and gets a new
 * parent id for the upstream hop. Both go upstream and back to the caller.
 * @see https://www.w3.org/TR/trace-context/#traceparent-header
 */
import { randomFillSync, randomUUID } from 'node:crypto';

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

export interface Correlation {
  /** The id quoted in problems and logs, returned as `x-request-id`. */
  requestId: string;
  /** The `traceparent` sent upstream (same trace, this gateway's span). */
  traceparent: string;
}

/**
 * Derives the correlation for one request from its headers.
 * @example
 * correlate(new Headers({ 'x-request-id': 'abc-1' })).requestId // 'abc-1'
 */
export function correlate(headers: Headers): Correlation {
  const given = headers.get('x-request-id')?.trim();
  const requestId = given && SAFE_REQUEST_ID.test(given) ? given : randomUUID();
  const match = TRACEPARENT.exec(headers.get('traceparent')?.trim().toLowerCase() ?? '');
  const traceId = match?.[1] && !/^0+$/.test(match[1]) ? match[1] : randomHex(16);
  const flags = match?.[3] ?? '01';
  return { requestId, traceparent: `00-${traceId}-${randomHex(8)}-${flags}` };
}

/**
 * Random bytes as hex, taken from a pool filled 4 KiB at a time (as `randomUUID` does): one
 * `randomBytes` call per id was a system call per request, 5 % of the gateway's CPU under load.
 */
const pool = Buffer.alloc(4096);
let offset = pool.length;
function randomHex(bytes: number): string {
  if (offset + bytes > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const hex = pool.toString('hex', offset, offset + bytes);
  offset += bytes;
  return hex;
}

/** Headers that carry the correlation, for the upstream request and the caller's response. */
export function correlationHeaders(c: Correlation): Record<string, string> {
  return { 'x-request-id': c.requestId, traceparent: c.traceparent };
}
