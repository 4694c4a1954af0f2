/**
 * @module
 * Request bodies as the Functions host treats them, for the local host and the test surface:
 * a body with a Content-Length is read whole before the function runs (the HTTP trigger reads
 * it for binding data); a chunked one streams to the function, but the host still forwards all
 * of it before it sends the function's answer; and no body may pass
 * `FUNCTIONS_REQUEST_BODY_SIZE_LIMIT` (Kestrel's MaxRequestBodySize). Over the limit the host
 * answers a bare 500, never the function's own answer (docs/functions-host.md).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

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
 * Content-Length. Rejects with `HostBodyLimitError` past `limit` (a declared length past it
 * before a byte is read), leaving the rest unread for `lingerOnRest`: not `for await`, whose
 * early exit destroys the request and with it the connection the answer must go out on.
 */
function readWholeBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = declaredLength(req);
  if (declared !== undefined && declared > limit) return Promise.reject(new HostBodyLimitError(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      req.off('data', take);
      req.off('end', done);
      req.off('close', cut);
    };
    const take = (chunk: Buffer) => {
      size += chunk.byteLength;
      chunks.push(chunk);
      if (size <= limit) return;
      stop();
      req.pause();
      reject(new HostBodyLimitError(limit));
    };
    const done = () => {
      stop();
      resolve(Buffer.concat(chunks, size));
    };
    const cut = () => {
      stop();
      reject(new Error('the request body broke off'));
    };
    req.on('data', take);
    req.once('end', done);
    req.once('close', cut);
  });
}

/** How long and how much `lingerOnRest` reads of a body left unread; nginx's lingering close. */
export interface LingerBounds {
  /** Bytes read and dropped at most. */
  bytes: number;
  /** Time at most, from the answer (nginx `lingering_time`, 30 s). */
  totalMs: number;
  /** Silence at most between reads (nginx `lingering_timeout`, 5 s). */
  idleMs: number;
}

export const DEFAULT_LINGER: LingerBounds = { bytes: 1024 * 1024 * 1024, totalMs: 30_000, idleMs: 5_000 };

/**
 * Call before answering a request whose body has not all come in (a refusal): reads and drops
 * the rest, within `bounds`, and keeps the connection open meanwhile. A client that writes its
 * whole body before it reads (curl, node:http, fetch) then reads the answer; closed at once, it
 * would meet EPIPE or a reset instead (a reset also throws away the answer it had not read yet).
 * Past a bound the connection is closed. The answer is sent as keep-alive even when the client
 * asked to close (Node would destroy the socket as soon as a `Connection: close` answer is
 * written), and the connection is ended once the body has all come in.
 * @example
 * lingerOnRest(req, res);
 * res.writeHead(413, headers).end(problem);
 */
export function lingerOnRest(
  req: IncomingMessage,
  res: ServerResponse,
  bounds: LingerBounds = DEFAULT_LINGER,
): void {
  if (req.complete || req.destroyed) return;
  const clientCloses = /\bclose\b/i.test(req.headers.connection ?? '');
  if (!res.headersSent) res.shouldKeepAlive = true;
  let size = 0;
  const give = () => {
    clear();
    req.socket.destroy();
  };
  const total = setTimeout(give, bounds.totalMs);
  const idle = setTimeout(give, bounds.idleMs);
  const drop = (chunk: Buffer) => {
    size += chunk.byteLength;
    idle.refresh();
    if (size > bounds.bytes) give();
  };
  const clear = () => {
    clearTimeout(total);
    clearTimeout(idle);
    req.off('data', drop);
  };
  req.on('data', drop);
  req.once('end', () => {
    clear();
    if (!clientCloses) return;
    if (res.writableFinished) req.socket.end();
    else res.once('finish', () => req.socket.end());
  });
  req.once('close', clear);
  req.resume();
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
  private overLimitReached?: () => void;
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
   * sends the function's answer. Resolves once the body has ended (or broke off), or as soon as
   * it is over the limit: the answer is then the host's 500, and the rest is left to
   * `lingerOnRest`, bounded, rather than read to its end whatever its size.
   */
  finish(): Promise<void> {
    this.draining = true;
    this.end(() => this.controller.close());
    if (this.req.readableEnded || this.req.destroyed || this.overLimit) return Promise.resolve();
    return new Promise((resolve) => {
      this.overLimitReached = resolve;
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
      // Nothing more is read until the answer is out (lingerOnRest reads on, bounded).
      this.req.pause();
      this.overLimitReached?.();
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
