/**
 * Small node:http helpers shared by the sandbox emulators: read a body (as text, or as bytes with a cap
 * and, by default, a running SHA-256), write JSON answers, wait. Emulators buffer bodies because they are
 * test doubles and the journal needs them; the byte reader keeps reading past its cap without keeping the
 * excess, so a client that is still uploading gets a proper answer (e.g. 413) instead of a reset
 * connection. Answers always carry `Content-Length` so keep-alive clients can reuse the connection.
 * @module
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Reads the whole request body as UTF-8 text. */
export async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** A request body read by {@link readBodyBytes}. */
export interface BodyBytes {
  /** The bytes kept: the whole body, or only the first `maxBytes` when it overflowed. */
  bytes: Buffer;
  /** Every byte received, including the ones not kept. */
  totalBytes: number;
  /** SHA-256 (hex) over every byte received; absent when read with `hash: false`. */
  sha256?: string;
  /** True when the body was longer than `maxBytes` (then `bytes` is incomplete). */
  overflowed: boolean;
}

/** How {@link readBodyBytes} reads. */
export interface ReadBodyOptions {
  /** Called with each chunk as it arrives and the count so far, this chunk included. */
  onChunk?: (chunk: Buffer, totalBytes: number) => void;
  /** Hash every byte received (SHA-256); false spares that CPU when nobody needs the digest. @default true */
  hash?: boolean;
}

/**
 * Reads the whole body, keeping at most `maxBytes` of it; counts and (unless `hash: false`) hashes
 * everything, and hands each chunk to `onChunk` as it arrives.
 * @example const body = await readBodyBytes(req, 1024 * 1024); if (body.overflowed) answer413();
 */
export async function readBodyBytes(
  request: IncomingMessage,
  maxBytes: number,
  { onChunk, hash: hashing = true }: ReadBodyOptions = {},
): Promise<BodyBytes> {
  const chunks: Buffer[] = [];
  const hash = hashing ? createHash('sha256') : undefined;
  let kept = 0;
  let totalBytes = 0;
  for await (const raw of request) {
    const chunk = raw as Buffer;
    hash?.update(chunk);
    totalBytes += chunk.length;
    onChunk?.(chunk, totalBytes);
    if (kept < maxBytes) {
      const take = Math.min(chunk.length, maxBytes - kept);
      chunks.push(take === chunk.length ? chunk : chunk.subarray(0, take));
      kept += take;
    }
  }
  const body: BodyBytes = {
    bytes: Buffer.concat(chunks, kept),
    totalBytes,
    overflowed: totalBytes > maxBytes,
  };
  if (hash) body.sha256 = hash.digest('hex');
  return body;
}

/**
 * Writes a JSON answer. `Content-Type` defaults to `application/json` (what both gateway marshalers of
 * flyteadmin declare); pass a `content-type` header to override it.
 * @example sendJson(res, 200, { id: { project: 'p' } });
 */
export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    ...headers,
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
