/**
 * @module
 * The gateway's error classes: one base, one subclass per failure, each with a stable
 * problem `type` slug and HTTP status. Callers (and tests) match on `type`, not on the class.
 * Every failure that leaves the gateway is one of these, rendered by `toProblem`.
 */
import {
  describeUpstreamBody,
  redactSecrets,
  summariseUpstream,
  type UpstreamSummary,
} from './upstream-summary.js';

/** Stable problem type slugs; the URI is `/problems/<slug>`. */
export const ProblemTypes = {
  validation: 'validation-failed',
  malformedJson: 'malformed-json',
  malformedMultipart: 'malformed-multipart',
  unsupportedMediaType: 'unsupported-media-type',
  payloadTooLarge: 'payload-too-large',
  forbidden: 'forbidden',
  crossSiteRequest: 'cross-site-request',
  notFound: 'not-found',
  methodNotAllowed: 'method-not-allowed',
  unauthenticated: 'unauthenticated',
  roleRequired: 'role-required',
  upstreamError: 'upstream-error',
  upstreamRateLimited: 'upstream-rate-limited',
  upstreamTimeout: 'upstream-timeout',
  upstreamUnreachable: 'upstream-unreachable',
  upstreamNotConfigured: 'upstream-not-configured',
  upstreamAuthFailed: 'upstream-auth-failed',
  clientClosedRequest: 'client-closed-request',
  config: 'invalid-configuration',
  internal: 'internal-error',
} as const;

export type ProblemType = (typeof ProblemTypes)[keyof typeof ProblemTypes];

/** One field-level complaint, with the full path of the field (`body.spec.launch_plan.version`). */
export interface FieldError {
  path: string;
  message: string;
}

/** What the upstream answered, as read: its status, its (parsed) body and its request id header. */
export interface UpstreamDetail {
  status: number;
  body: unknown;
  requestId?: string;
}

export interface GatewayErrorOptions {
  detail?: string;
  cause?: unknown;
  /** Extra response headers (e.g. `Allow`, `Retry-After`). */
  headers?: Record<string, string>;
}

/** Base class: a status, a stable type and a human detail that is safe to show. */
export class GatewayError extends Error {
  override name = 'GatewayError';
  readonly status: number;
  readonly type: ProblemType;
  readonly title: string;
  readonly headers: Record<string, string>;
  /** Extra problem members (RFC 9457 extensions), e.g. `stagedZipId` after a failed startrun. */
  readonly extensions: Record<string, string | number> = {};

  constructor(status: number, type: ProblemType, title: string, options: GatewayErrorOptions = {}) {
    super(options.detail ?? title, { cause: options.cause });
    this.status = status;
    this.type = type;
    this.title = title;
    this.headers = options.headers ?? {};
  }

  get detail(): string {
    return this.message;
  }
}

/** 400: a route parameter, query parameter or body field broke its schema. */
export class ValidationError extends GatewayError {
  override name = 'ValidationError';
  readonly errors: FieldError[];
  constructor(errors: FieldError[], detail?: string) {
    const first = errors[0];
    super(400, ProblemTypes.validation, 'Request validation failed', {
      detail: detail ?? (first ? `${first.path}: ${first.message}` : 'The request is not valid.'),
    });
    this.errors = errors;
  }
}

/** 400: the body is not parseable JSON (checked before any schema runs). */
export class MalformedJsonError extends GatewayError {
  override name = 'MalformedJsonError';
  constructor(detail = 'The request body is not valid JSON.') {
    super(400, ProblemTypes.malformedJson, 'Malformed JSON', { detail });
  }
}

/** 400: a multipart body that is cut short or not well formed. */
export class MalformedMultipartError extends GatewayError {
  override name = 'MalformedMultipartError';
  constructor(detail = 'The multipart/form-data body is not well formed.') {
    super(400, ProblemTypes.malformedMultipart, 'Malformed multipart body', { detail });
  }
}

/** 415: a body was sent with a media type the operation does not take. */
export class UnsupportedMediaTypeError extends GatewayError {
  override name = 'UnsupportedMediaTypeError';
  /** @param got The request's Content-Type; `null` for a body sent without one. */
  constructor(got: string | null, accepted = 'application/json') {
    super(415, ProblemTypes.unsupportedMediaType, 'Unsupported media type', {
      detail:
        got === null
          ? `A body without a Content-Type is not accepted; send ${accepted}.`
          : `Content-Type ${JSON.stringify(got)} is not accepted; send ${accepted}.`,
    });
  }
}

/** 413: the body grew past its cap while streaming in. */
export class PayloadTooLargeError extends GatewayError {
  override name = 'PayloadTooLargeError';
  readonly limit: number;
  constructor(limit: number, detail = `The request body exceeds the limit of ${limit} bytes.`) {
    super(413, ProblemTypes.payloadTooLarge, 'Payload too large', { detail });
    this.limit = limit;
  }
}

/** 413 for a project zip sent inline that a Functions request cannot carry: use an upload slot. */
export class InlineZipTooLargeError extends PayloadTooLargeError {
  override name = 'InlineZipTooLargeError';
  constructor(limit: number) {
    super(
      limit,
      `The project zip exceeds the ${limit} bytes a startrun request can carry inline. Send larger zips ` +
        'through an upload slot: POST /v1/uploads, PUT the zip to its uploadUrl, then startrun with ' +
        'JSON {"runDefinition": ..., "stagedZipId": "<uploadId>"}.',
    );
  }
}

/** 403: the target (Flyte project, workspace) is not on the gateway's allow-list. */
export class NotAllowedError extends GatewayError {
  override name = 'NotAllowedError';
  /** One entry per refused item when several were checked at once (a batch's targets). */
  readonly errors: FieldError[] | undefined;
  constructor(detail: string, errors?: FieldError[]) {
    super(403, ProblemTypes.forbidden, 'Forbidden', { detail });
    this.errors = errors;
  }
}

/**
 * 403: a browser request from another site (a foreign `Origin`, `Sec-Fetch-Site: cross-site`),
 * or, on the loopback local host, a `Host` that is not a loopback name (DNS rebinding).
 */
export class CrossSiteRequestError extends GatewayError {
  override name = 'CrossSiteRequestError';
  constructor(detail: string) {
    super(403, ProblemTypes.crossSiteRequest, 'Cross-site request refused', { detail });
  }
}

/** 404: no route matches the path. */
export class RouteNotFoundError extends GatewayError {
  override name = 'RouteNotFoundError';
  constructor(path: string) {
    super(404, ProblemTypes.notFound, 'Not found', { detail: `No operation is served at ${path}.` });
  }
}

/** 405: the path exists but not with this method. */
export class MethodNotAllowedError extends GatewayError {
  override name = 'MethodNotAllowedError';
  constructor(method: string, allowed: readonly string[]) {
    super(405, ProblemTypes.methodNotAllowed, 'Method not allowed', {
      detail: `${method} is not allowed here; use ${allowed.join(', ')}.`,
      headers: { Allow: allowed.join(', ') },
    });
  }
}

/**
 * The upstream answered with a failure. 4xx keep their status, 429 keeps `Retry-After`,
 * 5xx (and any other non-2xx) become 502: the gateway is the one answering, and the
 * upstream failed it. The answer is summarised, never relayed (see `upstream-summary.ts`):
 * `upstream` holds the status, the error code, correlation/request ids and, on 4xx, the
 * cleaned message — the raw body is not kept, so nothing else can be rendered or logged.
 */
export class UpstreamError extends GatewayError {
  override name = 'UpstreamError';
  /** The allow-listed summary; what problems render and what classifiers read (`body.code`). */
  readonly upstream: UpstreamSummary;
  constructor(upstreamName: string, upstream: UpstreamDetail, retryAfter?: string) {
    // Only 4xx pass through; 5xx and anything unexpected (1xx/3xx) are the gateway's 502.
    const status = upstream.status >= 400 && upstream.status < 500 ? upstream.status : 502;
    const rateLimited = upstream.status === 429;
    const summary = summariseUpstream(upstream.status, upstream.body, upstream.requestId);
    super(
      status,
      rateLimited ? ProblemTypes.upstreamRateLimited : ProblemTypes.upstreamError,
      rateLimited ? 'Upstream rate limited' : 'Upstream error',
      {
        detail: redactSecrets(
          `${upstreamName} answered ${upstream.status}${describeUpstreamBody(summary.body)}`,
        ),
        headers: retryAfter ? { 'Retry-After': retryAfter } : {},
      },
    );
    this.upstream = summary;
  }
}

/**
 * 504: the upstream stayed silent longer than the per-read timeout (`silence`), or its whole
 * answer did not arrive within the call's total deadline (`deadline`, retries included).
 */
export class UpstreamTimeoutError extends GatewayError {
  override name = 'UpstreamTimeoutError';
  readonly limit: 'silence' | 'deadline';
  constructor(
    upstreamName: string,
    timeoutMs: number,
    cause?: unknown,
    limit: 'silence' | 'deadline' = 'silence',
  ) {
    super(504, ProblemTypes.upstreamTimeout, 'Upstream timeout', {
      detail:
        limit === 'deadline'
          ? `${upstreamName} did not answer in full within the deadline of ${timeoutMs} ms (UPSTREAM_DEADLINE_MS).`
          : `${upstreamName} did not answer within ${timeoutMs} ms.`,
      cause,
    });
    this.limit = limit;
  }
}

/**
 * 499 (nginx's "client closed request"): the caller went away before its answer; the upstream
 * call is abandoned. Only ever logged: nobody is left to read it.
 */
export class ClientClosedRequestError extends GatewayError {
  override name = 'ClientClosedRequestError';
  /** The upstream had the whole request before it was abandoned: it may have acted on it. */
  readonly upstreamMayHaveActed: boolean;
  constructor(cause?: unknown, upstreamMayHaveActed = false) {
    super(499, ProblemTypes.clientClosedRequest, 'Client closed request', {
      detail: 'The caller closed the connection before the answer was complete.',
      cause,
    });
    this.upstreamMayHaveActed = upstreamMayHaveActed;
  }
}

/** 502: the upstream could not be reached (refused, reset, DNS). */
export class UpstreamUnreachableError extends GatewayError {
  override name = 'UpstreamUnreachableError';
  constructor(upstreamName: string, cause?: unknown) {
    const code = (cause as { code?: unknown } | undefined)?.code;
    super(502, ProblemTypes.upstreamUnreachable, 'Upstream unreachable', {
      detail: `${upstreamName} could not be reached${typeof code === 'string' ? ` (${code})` : ''}.`,
      cause,
    });
  }
}

/** 502: the gateway could not obtain its own credential for the upstream. */
export class UpstreamAuthError extends GatewayError {
  override name = 'UpstreamAuthError';
  constructor(upstreamName: string, reason: string, cause?: unknown) {
    super(502, ProblemTypes.upstreamAuthFailed, 'Upstream credential unavailable', {
      detail: `The gateway could not get a credential for ${upstreamName}: ${reason}`,
      cause,
    });
  }
}

/** 503: the operation's upstream has no endpoint in this deployment's settings. */
export class UpstreamNotConfiguredError extends GatewayError {
  override name = 'UpstreamNotConfiguredError';
  constructor(upstreamName: string, setting: string) {
    super(503, ProblemTypes.upstreamNotConfigured, 'Upstream not configured', {
      detail: `${upstreamName} is not configured: set ${setting}.`,
    });
  }
}

/** Settings failed their schema; thrown at start-up, never rendered to a caller. */
export class ConfigError extends GatewayError {
  override name = 'ConfigError';
  readonly errors: FieldError[];
  constructor(errors: FieldError[]) {
    super(500, ProblemTypes.config, 'Invalid configuration', {
      detail: `Invalid settings: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
    });
    this.errors = errors;
  }
}

/**
 * What a log line may say about any thrown value: its class, and its code when it has one
 * (`TypeError`, `Error (ECONNRESET)`), never its message, which may quote request data.
 * @example
 * errorName(Object.assign(new Error('secret'), { code: 'ECONNRESET' })) // 'Error (ECONNRESET)'
 */
export function errorName(error: unknown): string {
  const e = error as { name?: unknown; code?: unknown } | undefined;
  const name = typeof e?.name === 'string' ? e.name : 'Error';
  return typeof e?.code === 'string' ? `${name} (${e.code})` : name;
}

/** 401: no caller could be identified (no token, or a token that failed validation). */
export class UnauthenticatedError extends GatewayError {
  override name = 'UnauthenticatedError';
  constructor(detail: string) {
    super(401, ProblemTypes.unauthenticated, 'Unauthenticated', {
      detail,
      headers: { 'WWW-Authenticate': 'Bearer' },
    });
  }
}

/** 403: the caller is known but lacks the app role the operation needs. */
export class RoleRequiredError extends GatewayError {
  override name = 'RoleRequiredError';
  constructor(role: string, what: string) {
    super(403, ProblemTypes.roleRequired, 'Role required', {
      detail: `${what} needs the app role ${role}, which the caller does not have.`,
    });
  }
}

/** 400: JSON nested deeper than `MAX_JSON_DEPTH`; refused before anything is staged or forwarded. */
export class JsonTooDeepError extends MalformedJsonError {
  override name = 'JsonTooDeepError';
  readonly limit: number;
  constructor(limit: number, what = 'The request body') {
    super(`${what} nests objects and arrays deeper than ${limit} levels (MAX_JSON_DEPTH).`);
    this.limit = limit;
  }
}
