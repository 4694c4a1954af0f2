/**
 * @module
 * Reads a web stream into memory up to a byte cap, counting bytes as they arrive and
 * cancelling the stream at the cap, so an oversized body is never held whole.
 */
import { PayloadTooLargeError } from '../problems/errors.js';

export interface CappedRead {
  bytes: Buffer;
  /** True when the stream had more than `limit` bytes; `bytes` then holds the first `limit`. */
  truncated: boolean;
}

/**
 * @example
 * const { bytes, truncated } = await readCapped(request.body, 4 * 1024 * 1024);
 */
export async function readCapped(stream: ReadableStream<Uint8Array>, limit: number): Promise<CappedRead> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { bytes: Buffer.concat(chunks), truncated: false };
    size += value.byteLength;
    chunks.push(value);
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      return { bytes: Buffer.concat(chunks).subarray(0, limit), truncated: true };
    }
  }
}

/**
 * A request body under a byte cap: refused with 413 when `Content-Length` already says more
 * (a hint only, so bytes are also counted as they stream in), or when more arrives. Empty
 * when there is no body.
 * @example
 * const bytes = await readBodyUnder(request.body, request.headers, settings.MAX_JSON_BODY_BYTES);
 */
export async function readBodyUnder(
  body: ReadableStream<Uint8Array> | null,
  headers: Headers,
  limit: number,
): Promise<Buffer> {
  if (declaresMoreThan(headers, limit)) {
    await body?.cancel().catch(() => undefined);
    throw new PayloadTooLargeError(limit);
  }
  if (!body) return Buffer.alloc(0);
  const { bytes, truncated } = await readCapped(body, limit);
  if (truncated) throw new PayloadTooLargeError(limit);
  return bytes;
}

/**
 * True when the request's `Content-Length` already says its body is over `limit`, so it can be
 * refused before a byte is read (with Transfer-Encoding the length is not what comes).
 * @example
 * if (declaresMoreThan(request.headers, cap)) throw new PayloadTooLargeError(cap);
 */
export function declaresMoreThan(headers: Headers, limit: number): boolean {
  const declared = Number(headers.get('content-length') ?? Number.NaN);
  return !headers.has('transfer-encoding') && Number.isFinite(declared) && declared > limit;
}
