/**
 * @module
 * Request bodies as the Functions host treats them, for the local host and the test surface:
 * a body with a Content-Length is read whole before the function runs (the HTTP trigger reads
 * it for binding data), and no body may pass `FUNCTIONS_REQUEST_BODY_SIZE_LIMIT` (Kestrel's
 * MaxRequestBodySize). Over the limit the host answers a bare 500, never the function's own
 * answer (docs/functions-host.md, "Request bodies").
 */
import type { IncomingMessage } from 'node:http';

/** The host's default request body limit (ScriptConstants.DefaultMaxRequestBodySize). */
export const HOST_DEFAULT_BODY_LIMIT = 104_857_600;

/** `FUNCTIONS_REQUEST_BODY_SIZE_LIMIT` as the host reads it (a long), else its default. */
export function hostBodyLimit(env: NodeJS.ProcessEnv = process.env): number {
  const value = env.FUNCTIONS_REQUEST_BODY_SIZE_LIMIT;
  return value !== undefined && /^\d+$/.test(value.trim()) ? Number(value) : HOST_DEFAULT_BODY_LIMIT;
}

/** The declared Content-Length, or undefined for a chunked (or empty) body. */
export function declaredLength(req: IncomingMessage): number | undefined {
  const value = req.headers['content-length'];
  return value === undefined ? undefined : Number(value);
}

/** Thrown when a body passes the host's limit; the host then answers 500 with no body. */
export class HostBodyLimitError extends Error {
  constructor(readonly limit: number) {
    super(`request body over the host's limit of ${limit} bytes`);
  }
}

/**
 * The whole body, read before the function runs as the host does for a body with a
 * Content-Length. Rejects with `HostBodyLimitError` past `limit`.
 */
export async function readWholeBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = declaredLength(req);
  if (declared !== undefined && declared > limit) throw new HostBodyLimitError(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > limit) throw new HostBodyLimitError(limit);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

/** A body read whole, handed to the function as a stream again (in 64 KiB chunks). */
export function replay(body: Buffer): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= body.byteLength) return controller.close();
      const end = Math.min(offset + 64 * 1024, body.byteLength);
      controller.enqueue(new Uint8Array(body.buffer, body.byteOffset + offset, end - offset));
      offset = end;
    },
  });
}

/**
 * A streamed (chunked) body as a web stream with back-pressure that errors once it passes
 * `limit`, as Kestrel's read does, and calls `onLimit` (the host then fails the request).
 * Cancelling it (a handler that stops reading at a cap) pauses the socket rather than
 * destroying it, so the answer still goes out.
 */
export function limitedStream(
  req: IncomingMessage,
  limit: number,
  onLimit: () => void,
): ReadableStream<Uint8Array> {
  let open = true;
  let size = 0;
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        const finish = (end: () => void) => {
          if (open) end();
          open = false;
        };
        req.on('data', (chunk: Buffer) => {
          if (!open) return;
          size += chunk.byteLength;
          if (size > limit) {
            onLimit();
            return finish(() => controller.error(new HostBodyLimitError(limit)));
          }
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          if ((controller.desiredSize ?? 0) <= 0) req.pause();
        });
        req.once('end', () => finish(() => controller.close()));
        req.once('error', (error) => finish(() => controller.error(error)));
      },
      pull() {
        req.resume();
      },
      cancel() {
        open = false;
        req.pause();
      },
    },
    { highWaterMark: 64 * 1024, size: (chunk) => chunk.byteLength },
  );
}
