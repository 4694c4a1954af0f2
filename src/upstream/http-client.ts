/**
 * @module
 * The one way the gateway calls an upstream: an undici `Pool` per configured origin (made on
 * first use, keep-alive), a per-attempt timeout, the retry policy applied through undici's
 * retry interceptor, the gateway's own credential, and correlation headers. Nothing from the
 * caller's request travels except what the operation put in `UpstreamRequest`. Failures to
 * reach the upstream become `UpstreamTimeoutError` / `UpstreamUnreachableError`; answers of
 * any status come back as they are, for the caller to stream or to turn into a problem.
 * A total deadline (deadline.ts) bounds the whole call, its answer body included: when it
 * passes, the call fails, or the body still streaming errors, with an `UpstreamTimeoutError`.
 * A caller that goes away (its `signal`) abandons the call: `ClientClosedRequestError`.
 */
import { Readable } from 'node:stream';
import type { Dispatcher, Pool, RetryHandler } from 'undici';
import {
  ClientClosedRequestError,
  GatewayError,
  UpstreamTimeoutError,
  UpstreamUnreachableError,
} from '../problems/errors.js';
import type { Correlation } from '../shared/correlation.js';
import { correlationHeaders } from '../shared/correlation.js';
import { undici } from '../shared/lazy-require.js';
import { startCallSpan } from '../telemetry/spans.js';
import { CallDeadline, raceAbort } from './deadline.js';
import { type RetryPolicy, retryDelay } from './retry-policy.js';

export interface UpstreamRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path under the upstream's base URL, each segment already percent-encoded. */
  path: string;
  query?: Record<string, string | undefined>;
  /**
   * JSON text (replayable, so retries can resend it), or a stream such as a multipart body
   * built from a staged blob (sent once: a consumed stream is never retried).
   */
  body?: string | AsyncIterable<Uint8Array>;
  /** Headers of this call: content type and length of a streamed body, a different Accept. */
  headers?: Record<string, string>;
  /** Drives the retry policy (see retry-policy.ts). */
  idempotent: boolean;
  correlation: Correlation;
  signal?: AbortSignal;
  /** `false`: a single attempt whatever the policy says (the caller retries in its own way). */
  retry?: false;
  /**
   * Total time for the call, retries and the whole answer body included, in ms; the time
   * spent sending a streamed `body` does not count. Absent: the client's own, if any.
   */
  deadlineMs?: number;
  /**
   * The caller's `signal` abandons the call only while a streamed body is still being sent:
   * once the upstream has it all, the call runs on to its answer (within the deadline), so a
   * start that may have happened is known to have happened or not.
   */
  abandonOnlyWhileSending?: true;
}

/** What every upstream request of one call carries: its correlation, abort signal and retry mode. */
export interface CallOptions {
  correlation: Correlation;
  signal?: AbortSignal;
  /** `false`: one attempt, no inline retry (batch cancellation retries through its queue). */
  retry?: false;
  /** The call's total deadline in ms (`upstreamDeadline(settings)`). */
  deadlineMs?: number;
  /** See `UpstreamRequest.abandonOnlyWhileSending`. */
  abandonOnlyWhileSending?: true;
}

export interface UpstreamResponse {
  /** The upstream's name, for problem details. */
  upstream: string;
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The upstream body, still streaming (or made from `bytes`). Consume or cancel it. */
  body: ReadableStream<Uint8Array>;
  /** The whole body, when it was small enough to be read at once (then `body` streams these). */
  bytes?: Uint8Array;
  /** How many attempts were made (1 = no retry). */
  attempts: number;
  /** Problem members to add if this answer is a failure (e.g. `stagedZipId`). */
  extensions?: Record<string, string | number>;
}

/** Returns the `Authorization` header value for the next call, or undefined for none. */
export type CredentialProvider = () => Promise<string | undefined>;

export interface UpstreamClientOptions {
  /** Human name used in problem details and logs, e.g. `Flyte Admin`. */
  name: string;
  /** From settings only, never from a request. May carry a path prefix. */
  baseUrl: string;
  timeoutMs: number;
  /** Total deadline of a call that names none itself. @default none */
  deadlineMs?: number;
  connections: number;
  retry: RetryPolicy;
  credential?: CredentialProvider;
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/**
 * @example
 * const flyte = new UpstreamClient({ name: 'Flyte Admin', baseUrl: 'http://127.0.0.1:8089',
 *   timeoutMs: 30_000, connections: 64, retry: { maxRetries: 2, baseDelayMs: 100, maxDelayMs: 2000, maxRetryAfterMs: 10_000 } });
 * const res = await flyte.send({ method: 'GET', path: '/api/v1/executions/p/d/n', idempotent: true, correlation });
 */
export class UpstreamClient {
  readonly name: string;
  private readonly origin: string;
  private readonly basePath: string;
  private dispatcher: Dispatcher | undefined;
  private pool: Pool | undefined;

  constructor(private readonly options: UpstreamClientOptions) {
    const url = new URL(options.baseUrl);
    this.name = options.name;
    this.origin = url.origin;
    this.basePath = url.pathname.replace(/\/+$/, '');
  }

  async send(request: UpstreamRequest): Promise<UpstreamResponse> {
    const { timeoutMs } = this.options;
    const authorization = await this.options.credential?.();
    const path = this.basePath + request.path + toQueryString(request.query);
    // With telemetry on, this call's client span: its id is the parent id the upstream receives.
    const span = startCallSpan(this.name, request.method, this.origin, path, request.correlation);
    const headers: Record<string, string> = {
      // Exactly this value: flyteadmin picks its snake_case marshaler by exact match.
      accept: 'application/json',
      ...correlationHeaders(request.correlation),
      ...(span ? { traceparent: span.traceparent } : {}),
    };
    if (request.body !== undefined) headers['content-type'] = 'application/json';
    Object.assign(headers, request.headers);
    if (authorization) headers.authorization = authorization;
    const policy = request.retry === false ? { ...this.options.retry, maxRetries: 0 } : this.options.retry;
    const deadline = new CallDeadline(this.name, request.deadlineMs ?? this.options.deadlineMs);
    const streamed = typeof request.body === 'object';
    // Whether the upstream has the whole request (and so may have acted on it).
    let sent = !streamed;
    if (!streamed) deadline.start();
    const caller = request.abandonOnlyWhileSending
      ? whileSending(request.signal, () => sent)
      : request.signal;
    deadline.follow(caller);
    const signal = deadline.signal;
    let attempts = 1;
    try {
      const options: Dispatcher.RequestOptions & { retryOptions: RetryHandler.RetryOptions } = {
        method: request.method,
        path,
        headers,
        body:
          typeof request.body === 'string' || request.body === undefined
            ? request.body
            : Readable.from(
                onEnd(request.body, () => {
                  sent = true;
                  deadline.start();
                }),
              ),
        // undici closes the connection after a body on a method that "expects none" (terminate's
        // DELETE carries its cause); flyteadmin reads such bodies, so keep the connection.
        ...(request.method === 'DELETE' && request.body !== undefined ? { reset: false } : {}),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        // Aborting after the headers destroys the answer body with the signal's reason.
        signal,
        retryOptions: {
          throwOnError: false,
          maxRetries: policy.maxRetries,
          retry: (err, { state }, callback) => {
            const failure = err as Error & {
              statusCode?: number;
              code?: string;
              headers?: Record<string, unknown>;
            };
            const delay = retryDelay(policy, {
              attempt: state.counter,
              idempotent: request.idempotent,
              statusCode: failure.statusCode,
              errorCode: failure.code,
              retryAfter: headerValue(failure.headers?.['retry-after']),
              remainingMs: deadline.remainingMs(),
            });
            if (delay === null || signal.aborted) return callback(err);
            attempts += 1;
            span?.retried(attempts, delay, failure.statusCode ?? failure.code);
            setTimeout(() => callback(null), delay).unref();
            return null;
          },
        },
      };
      // No retry wanted: straight to the pool, without the retry handler around the request.
      const dispatcher = this.getDispatcher();
      const response = await raceAbort(
        (policy.maxRetries === 0 ? (this.pool as Pool) : dispatcher).request(options),
        signal,
        (late) => late.body.destroy(),
      );
      // An upstream answering before it took all of a streamed body: its answer is timed now.
      deadline.start();
      if (smallAnswer(response.headers)) {
        // Read at once, under the same deadline and signal: most answers are a few KiB, and
        // carrying them through web streams costs more than the bytes.
        const bytes = await response.body.bytes();
        deadline.clear();
        span?.end({ status: response.statusCode, attempts });
        return bufferedAnswer(this.name, response.statusCode, response.headers, bytes, attempts);
      }
      response.body.once('close', () => {
        deadline.clear();
        span?.end({ status: response.statusCode, attempts });
      });
      return {
        upstream: this.name,
        status: response.statusCode,
        headers: response.headers,
        body: toWebStream(response.body),
        attempts,
      };
    } catch (error) {
      deadline.clear();
      const failure = this.toGatewayError(error, caller, sent);
      span?.end({ error: failure.name, attempts });
      throw failure;
    }
  }

  /** Closes the pool's keep-alive connections. */
  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    this.dispatcher = undefined;
    await pool?.close();
  }

  private getDispatcher(): Dispatcher {
    if (!this.dispatcher) {
      const { Pool, interceptors } = undici();
      this.pool = new Pool(this.origin, {
        connections: this.options.connections,
        keepAliveTimeout: 10_000,
        connect: { timeout: Math.min(this.options.timeoutMs, 10_000) },
      });
      // Retry decisions are ours (retryOptions.retry); undici only replays the request.
      this.dispatcher = this.pool.compose(interceptors.retry({ statusCodes: [429, 500, 502, 503, 504] }));
    }
    return this.dispatcher;
  }

  private toGatewayError(error: unknown, caller: AbortSignal | undefined, sent: boolean): GatewayError {
    if (error instanceof GatewayError) return error;
    if (caller?.aborted) return new ClientClosedRequestError(error, sent);
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && TIMEOUT_CODES.has(code)) {
      return new UpstreamTimeoutError(this.name, this.options.timeoutMs, error);
    }
    return new UpstreamUnreachableError(this.name, error);
  }
}

/** Answers up to this size, with a Content-Length, are read whole before `send` returns. */
const SMALL_ANSWER_BYTES = 16 * 1024;

function smallAnswer(headers: Record<string, string | string[] | undefined>): boolean {
  const length = headers['content-length'];
  return typeof length === 'string' && Number(length) <= SMALL_ANSWER_BYTES;
}

/** An answer read whole: `bytes` for those who take them as they are, `body` made on demand. */
function bufferedAnswer(
  upstream: string,
  status: number,
  headers: UpstreamResponse['headers'],
  bytes: Uint8Array,
  attempts: number,
): UpstreamResponse {
  let body: ReadableStream<Uint8Array> | undefined;
  return {
    upstream,
    status,
    headers,
    bytes,
    attempts,
    get body() {
      body ??= new Response(bytes).body as ReadableStream<Uint8Array>;
      return body;
    },
  };
}

/**
 * The answer body as a web stream. Not `Readable.toWeb`: cancelling its stream while the body
 * still flows throws "Controller is already closed" as an uncaught exception (a caller that
 * leaves mid-answer would crash the process).
 */
function toWebStream(body: Readable): ReadableStream<Uint8Array> {
  const chunks = body[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { done, value } = await chunks.next();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      async cancel() {
        // Ends the iteration and destroys the body: its connection is released.
        await chunks.return?.();
      },
    },
    { highWaterMark: 0 },
  );
}

/** Passes a streamed body through, telling `done` once all of it has been taken. */
async function* onEnd(body: AsyncIterable<Uint8Array>, done: () => void): AsyncIterable<Uint8Array> {
  yield* body;
  done();
}

/** A signal that follows `signal` only while `sent()` is false. */
function whileSending(signal: AbortSignal | undefined, sent: () => boolean): AbortSignal | undefined {
  if (!signal) return undefined;
  const gate = new AbortController();
  const follow = () => {
    if (!sent()) gate.abort(signal.reason);
  };
  if (signal.aborted) follow();
  else signal.addEventListener('abort', follow, { once: true });
  return gate.signal;
}

function toQueryString(query: Record<string, string | undefined> | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.append(key, value);
  const text = params.toString();
  return text ? `?${text}` : '';
}

function headerValue(value: unknown): string | undefined {
  if (Array.isArray(value)) return headerValue(value[0]);
  return typeof value === 'string' ? value : undefined;
}
