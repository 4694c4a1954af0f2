/**
 * @module
 * Request bodies as the Functions host treats them, for the local host and the test surface:
 * a body with a Content-Length is read whole before the function runs (the HTTP trigger reads
 * it for binding data); a chunked one streams to the function, but the host still forwards all
 * of it before it sends the function's answer; and no body may pass
 * `FUNCTIONS_REQUEST_BODY_SIZE_LIMIT` (Kestrel's MaxRequestBodySize). Over the limit the host
 * answers a bare 500, never the function's own answer (docs/functions-host.md).
 */
import type { IncomingMessage } from 'node:http';

/** The host's default request body limit (ScriptConstants.DefaultMaxRequestBodySize). */
const HOST_DEFAULT_BODY_LIMIT = 104_857_600;

/** `FUNCTIONS_REQUEST_BODY_SIZE_LIMIT` as the host reads it (a long), else its default. */
export function hostBodyLimit(env: NodeJS.ProcessEnv = process.env): number {
  const value = env.FUNCTIONS_REQUEST_BODY_SIZE_LIMIT;
  return value !== undefined && /^\d+$/.test(value.trim()) ? Number(value) : HOST_DEFAULT_BODY_LIMIT;
}

/** The declared Content-Length, or undefined for a chunked (or empty) body. */
function declaredLength(req: IncomingMessage): number | undefined {
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
async function readWholeBody(req: IncomingMessage, limit: number): Promise<Buffer> {
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

/** A request's body as the host hands it to the function. */
export interface HostBody {
  /** What the function reads; null for GET and HEAD. */
  stream: ReadableStream<Uint8Array> | null;
  /** The body, when it had a Content-Length and was read whole first. */
  whole?: Buffer;
  /** The body, when it streams (chunked): read it to its end before answering. */
  streamed?: StreamedBody;
}

/**
 * Takes in a request body as the host does: whole first when it has a Content-Length
 * (rejects with `HostBodyLimitError` past `limit`), else as a stream capped at `limit`.
 */
export async function receiveBody(req: IncomingMessage, limit: number): Promise<HostBody> {
  if (req.method === 'GET' || req.method === 'HEAD') return { stream: null };
  if ((declaredLength(req) ?? 0) > 0) {
    const whole = await readWholeBody(req, limit);
    return { stream: replay(whole), whole };
  }
  const streamed = new StreamedBody(req, limit);
  return { stream: streamed.stream, streamed };
}

/** A body read whole, handed to the function as a stream again (in 64 KiB chunks). */
function replay(body: Buffer): ReadableStream<Uint8Array> {
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
 * A streamed (chunked) body, which the host does not read for binding data but forwards to
 * the function as it arrives, and still caps at `limit` (Kestrel's read fails past it).
 */
export class StreamedBody {
  /** The body as a web stream with back-pressure; it errors once the body passes the limit. */
  readonly stream: ReadableStream<Uint8Array>;
  /** True once more than `limit` bytes arrived: the host then fails the request with a 500. */
  overLimit = false;
  private size = 0;
  private open = true;
  private draining = false;
  private controller!: ReadableStreamDefaultController<Uint8Array>;

  constructor(
    private readonly req: IncomingMessage,
    private readonly limit: number,
  ) {
    this.stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.controller = controller;
          req.on('data', (chunk: Buffer) => this.take(chunk));
          req.once('end', () => this.end(() => controller.close()));
          req.once('error', (error) => this.end(() => controller.error(error)));
        },
        pull: () => {
          req.resume();
        },
        // A handler that stops reading (a refused body) leaves the rest to `finish`.
        cancel: () => {
          this.open = false;
          req.pause();
        },
      },
      { highWaterMark: 64 * 1024, size: (chunk) => chunk.byteLength },
    );
  }

  /**
   * Reads and drops what the function left unread: the host forwards the whole body before it
   * sends the function's answer. Resolves once the body has ended (or broke off).
   */
  finish(): Promise<void> {
    this.draining = true;
    this.end(() => this.controller.close());
    if (this.req.readableEnded || this.req.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      this.req.once('end', () => resolve());
      this.req.once('close', () => resolve());
      this.req.resume();
    });
  }

  private take(chunk: Buffer): void {
    this.size += chunk.byteLength;
    if (this.size > this.limit && !this.overLimit) {
      this.overLimit = true;
      this.end(() => this.controller.error(new HostBodyLimitError(this.limit)));
    }
    if (!this.open || this.draining) return;
    this.controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    if ((this.controller.desiredSize ?? 0) <= 0) this.req.pause();
  }

  private end(close: () => void): void {
    if (this.open) close();
    this.open = false;
  }
}
