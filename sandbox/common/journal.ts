/**
 * The request journal shared by the sandbox emulators: what the upstream actually received, so a test of a
 * gateway can assert on the exact method, path, query, headers and body it forwarded (and that nothing
 * reached the upstream for bad input). Every request outside `/_emulator/` is recorded once its body has
 * arrived, before faults and auth run; the outcome (`status` or `dropped`) is filled in when the emulator
 * answers. Large bodies (uploads) are not kept as text: above a limit only their size and SHA-256 are (or
 * only their size, when the body was read without hashing).
 * @module
 */
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export interface RecordedRequest {
  method: string;
  /** Path as sent, without the query string and not unescaped. */
  path: string;
  /** Decoded query parameters; for repeated names the last value wins. */
  query: Record<string, string>;
  /** Header names lower-cased; repeated headers joined with `, `. */
  headers: Record<string, string>;
  /**
   * Raw body as UTF-8 text (`''` when none). Also `''` when the body was larger than the emulator's
   * journal limit; then `bodyBytes` and `bodySha256` describe it instead.
   */
  body: string;
  /** Only for bodies over the journal limit: their length in bytes. */
  bodyBytes?: number;
  /**
   * Only for bodies over the journal limit: SHA-256 of the bytes, lower-case hex. Absent also when the
   * emulator was told not to hash them (the Azure ML emulator's `journalBodyHash: false`).
   */
  bodySha256?: string;
  /** Arrival time on the emulator clock (epoch ms). */
  at: number;
  /** HTTP status the emulator answered with, once answered. */
  status?: number;
  /** True when a `drop` fault destroyed the connection instead of answering. */
  dropped?: boolean;
}

/**
 * A body given to {@link recordRequest}: text, bytes, or the first bytes of a body already counted (and
 * hashed, unless `sha256` is absent) while streaming.
 */
export type JournalBody = string | Buffer | { bytes: Buffer; totalBytes: number; sha256?: string };

/** Flattens Node's header object into `name → value` with repeated values joined. */
function flattenHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    result[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return result;
}

/**
 * Text for small bodies; size and hash for large ones (a 300 MiB zip must not sit in the journal). A
 * streamed body without a `sha256` was read unhashed: only its size is recorded (its kept bytes are only
 * its start, so hashing them would describe something else).
 */
function describeBody(
  body: JournalBody,
  maxTextBytes: number,
): Pick<RecordedRequest, 'body' | 'bodyBytes' | 'bodySha256'> {
  if (typeof body === 'string') return { body };
  const { bytes, totalBytes } = Buffer.isBuffer(body) ? { bytes: body, totalBytes: body.length } : body;
  if (totalBytes <= maxTextBytes && bytes.length === totalBytes) return { body: bytes.toString('utf8') };
  const sha256 = Buffer.isBuffer(body) ? createHash('sha256').update(body).digest('hex') : body.sha256;
  return sha256 === undefined
    ? { body: '', bodyBytes: totalBytes }
    : { body: '', bodyBytes: totalBytes, bodySha256: sha256 };
}

/**
 * Builds one journal entry; byte bodies longer than `maxTextBytes` (default unlimited) are recorded as
 * `bodyBytes` + `bodySha256` (no `bodySha256` for a streamed body read unhashed) with `body: ''`.
 * @example
 * recordRequest('GET', '/api/v1/executions/p/d?limit=1', {}, '', 0).query // { limit: '1' }
 */
export function recordRequest(
  method: string,
  url: string,
  headers: IncomingHttpHeaders,
  body: JournalBody,
  at: number,
  maxTextBytes = Number.POSITIVE_INFINITY,
): RecordedRequest {
  const queryStart = url.indexOf('?');
  const path = queryStart === -1 ? url : url.slice(0, queryStart);
  const rawQuery = queryStart === -1 ? '' : url.slice(queryStart + 1);
  return {
    method,
    path,
    query: Object.fromEntries(new URLSearchParams(rawQuery)),
    headers: flattenHeaders(headers),
    ...describeBody(body, maxTextBytes),
    at,
  };
}
