/**
 * @module
 * The one way the gateway calls an upstream: an undici `Pool` per configured origin (made on
 * first use, keep-alive), a per-attempt timeout, the retry policy applied through undici's
 * retry interceptor, the gateway's own credential, and correlation headers. Nothing from the
 * caller's request travels except what the operation put in `UpstreamRequest`. Failures to
 * reach the upstream become `UpstreamTimeoutError` / `UpstreamUnreachableError`; answers of
 * any status come back as they are, for the caller to stream or to turn into a problem.
 */
import { Readable } from 'node:stream';
import type { Dispatcher, Pool, RetryHandler } from 'undici';
import { GatewayError, UpstreamTimeoutError, UpstreamUnreachableError } from '../problems/errors.js';
import type { Correlation } from '../shared/correlation.js';
import { correlationHeaders } from '../shared/correlation.js';
import { undici } from '../shared/lazy-require.js';
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
}

/** What every upstream request of one call carries: its correlation, abort signal and retry mode. */
export interface CallOptions {
  correlation: Correlation;
  signal?: AbortSignal;
  /** `false`: one attempt, no inline retry (batch cancellation retries through its queue). */
  retry?: false;
}

export interface UpstreamResponse {
  /** The upstream's name, for problem details. */
  upstream: string;
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The upstream body, still streaming. Consume or cancel it. */
  body: ReadableStream<Uint8Array>;
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
    const headers: Record<string, string> = {
      // Exactly this value: flyteadmin picks its snake_case marshaler by exact match.
      accept: 'application/json',
      ...correlationHeaders(request.correlation),
    };
    if (request.body !== undefined) headers['content-type'] = 'application/json';
    Object.assign(headers, request.headers);
    if (authorization) headers.authorization = authorization;
    const policy = request.retry === false ? { ...this.options.retry, maxRetries: 0 } : this.options.retry;
    let attempts = 1;
    try {
      const options: Dispatcher.RequestOptions & { retryOptions: RetryHandler.RetryOptions } = {
        method: request.method,
        path: this.basePath + request.path + toQueryString(request.query),
        headers,
        body:
          typeof request.body === 'string' || request.body === undefined
            ? request.body
            : Readable.from(request.body),
        // undici closes the connection after a body on a method that "expects none" (terminate's
        // DELETE carries its cause); flyteadmin reads such bodies, so keep the connection.
        ...(request.method === 'DELETE' && request.body !== undefined ? { reset: false } : {}),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal: request.signal,
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
            });
            if (delay === null) return callback(err);
            attempts += 1;
            setTimeout(() => callback(null), delay).unref();
            return null;
          },
        },
      };
      // No retry wanted: straight to the pool, without the retry handler around the request.
      const dispatcher = this.getDispatcher();
      const response = await (policy.maxRetries === 0 ? (this.pool as Pool) : dispatcher).request(options);
      return {
        upstream: this.name,
        status: response.statusCode,
        headers: response.headers,
        body: Readable.toWeb(response.body) as ReadableStream<Uint8Array>,
        attempts,
      };
    } catch (error) {
      throw this.toGatewayError(error);
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

  private toGatewayError(error: unknown): GatewayError {
    if (error instanceof GatewayError) return error;
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && TIMEOUT_CODES.has(code)) {
      return new UpstreamTimeoutError(this.name, this.options.timeoutMs, error);
    }
    return new UpstreamUnreachableError(this.name, error);
  }
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
