/**
 * Small node:http helpers: read a body as text, write JSON answers, wait. The emulator buffers bodies
 * (they are small JSON documents and the journal needs the raw text); answers always carry
 * `Content-Length` so keep-alive clients can reuse the connection.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Reads the whole request body as UTF-8 text. */
export async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Writes a JSON answer (`Content-Type: application/json`, as both gateway marshalers declare).
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
    ...headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
