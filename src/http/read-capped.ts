/**
 * @module
 * Reads a web stream into memory up to a byte cap, counting bytes as they arrive and
 * cancelling the stream at the cap, so an oversized body is never held whole.
 */

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
