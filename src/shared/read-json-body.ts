/**
 * @module
 * Reads a JSON request body under a byte cap. Bytes are counted as they stream in and the
 * read stops at the cap with 413, whatever `Content-Length` claims (a hint only). Malformed
 * JSON is its own 400, before any schema runs, and so are bytes that are not UTF-8 and nesting
 * deeper than `maxDepth` (json-text.ts). A body must say it is JSON (`application/json`
 * or `+json`): one without a Content-Type is a 415 like any other type, so that a browser page
 * cannot send it without a CORS preflight (a type-less `Blob` needs none).
 */

import { MalformedJsonError, UnsupportedMediaTypeError, ValidationError } from '../problems/errors.js';
import { DEFAULT_MAX_JSON_DEPTH, parseJsonBytes } from './json-text.js';
import { readBodyUnder } from './read-capped.js';
import { reservedFieldErrors } from './reserved-fields.js';

/**
 * Returns the parsed body, or `undefined` when there is none.
 * @example
 * const body = await readJsonBody(request.body, request.headers, 4 * 1024 * 1024, settings.MAX_JSON_DEPTH);
 */
export async function readJsonBody(
  body: ReadableStream<Uint8Array> | null,
  headers: Headers,
  limit: number,
  maxDepth = DEFAULT_MAX_JSON_DEPTH,
): Promise<unknown> {
  const bytes = await readBodyUnder(body, headers, limit);
  if (bytes.every(isJsonWhiteSpace)) return undefined;
  const type = headers.get('content-type');
  if (type !== null && !isJsonMediaType(type)) throw new UnsupportedMediaTypeError(type);
  let parsed: unknown;
  try {
    parsed = parseJsonBytes(bytes, { maxDepth });
  } catch (error) {
    if (type === null && error instanceof MalformedJsonError) throw new UnsupportedMediaTypeError(type);
    throw error;
  }
  if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
    const reserved = reservedFieldErrors('body', Object.keys(parsed));
    if (reserved.length > 0) throw new ValidationError(reserved);
  }
  // Without a Content-Type only after the reserved names: under the real host a body field
  // `Headers` displaces the caller's headers, Content-Type included, and naming it helps more.
  if (type === null) throw new UnsupportedMediaTypeError(type);
  return parsed;
}

/** `application/json` or any `+json` type, with or without parameters. */
export function isJsonMediaType(contentType: string): boolean {
  const essence = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return essence === 'application/json' || /^application\/[a-z0-9.+-]*\+json$/.test(essence);
}

/** RFC 8259 white space: what a body may hold and still count as none. */
function isJsonWhiteSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;
}
