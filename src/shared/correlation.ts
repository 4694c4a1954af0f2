/**
 * @module
 * Correlation ids. A caller's `x-request-id` is reused only when it is short and of a safe
 * charset, else a UUID is minted; a valid W3C `traceparent` keeps its trace id and gets a new
 * parent id for the upstream hop. Both go upstream and back to the caller.
 * @see https://www.w3.org/TR/trace-context/#traceparent-header
 */
import { randomFillSync, randomUUID } from 'node:crypto';
import type { Context } from '@opentelemetry/api';

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

export interface Correlation {
  /** The id quoted in problems and logs, returned as `x-request-id`. */
  requestId: string;
  /** The `traceparent` sent upstream (same trace, this gateway's span). */
  traceparent: string;
  /**
   * With telemetry on: the context of the span this work runs in (the request's server span, an
   * MCP tool call's span), parent of its upstream calls' client spans (src/telemetry/spans.ts).
   */
  trace?: Context;
}

/** A valid W3C `traceparent`'s fields. */
export interface CallerTrace {
  traceId: string;
  /** The caller's span id. */
  parentId: string;
  flags: string;
}

/**
 * The caller's `traceparent`, when it is valid (version 00, not all-zero ids).
 * @example
 * callerTrace(new Headers({ traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' }))?.traceId
 */
export function callerTrace(headers: Headers): CallerTrace | undefined {
  const match = TRACEPARENT.exec(headers.get('traceparent')?.trim().toLowerCase() ?? '');
  if (!match?.[1] || !match[2] || !match[3] || /^0+$/.test(match[1]) || /^0+$/.test(match[2]))
    return undefined;
  return { traceId: match[1], parentId: match[2], flags: match[3] };
}

/**
 * Derives the correlation for one request from its headers.
 * @example
 * correlate(new Headers({ 'x-request-id': 'abc-1' })).requestId // 'abc-1'
 */
export function correlate(headers: Headers): Correlation {
  const given = headers.get('x-request-id')?.trim();
  const requestId = given && SAFE_REQUEST_ID.test(given) ? given : randomUUID();
  const caller = callerTrace(headers);
  const traceId = caller?.traceId ?? randomHex(16);
  const flags = caller?.flags ?? '01';
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
