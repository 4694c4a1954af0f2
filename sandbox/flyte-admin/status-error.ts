/**
 * The one error type of the emulator: a `google.rpc.Status` (code, message, Any details) that knows its HTTP
 * status. Handlers throw it; the server renders it through the request's marshaler, exactly as grpc-gateway's
 * `DefaultHTTPErrorHandler` does, so every failure body is `{"code","message","details"}`.
 * @module
 */
import { GrpcCode, HTTP_STATUS_BY_CODE } from './constants.js';
import type { ProtoObject } from './proto-value.js';

/** One `google.protobuf.Any` detail: the message type (emulator short name) and its canonical value. */
export interface StatusDetail {
  typeName: string;
  value: ProtoObject;
}

/**
 * A gRPC status on its way to the client.
 * @example
 * throw new StatusError(GrpcCode.NOT_FOUND, 'missing entity of type execution with identifier name:"x"');
 */
export class StatusError extends Error {
  override readonly name = 'StatusError';
  readonly code: GrpcCode;
  readonly details: StatusDetail[];
  /** Extra response headers (e.g. `Retry-After` for an injected 429). */
  readonly headers: Record<string, string>;

  constructor(
    code: GrpcCode,
    message: string,
    details: StatusDetail[] = [],
    headers: Record<string, string> = {},
  ) {
    super(message);
    this.code = code;
    this.details = details;
    this.headers = headers;
  }

  get httpStatus(): number {
    return HTTP_STATUS_BY_CODE[this.code];
  }
}

/** flyteadmin's `shared.GetMissingArgumentError`. */
export function missingArgument(field: string): StatusError {
  return new StatusError(GrpcCode.INVALID_ARGUMENT, `missing ${field}`);
}

/** flyteadmin's `shared.GetInvalidArgumentError`. */
export function invalidArgument(field: string): StatusError {
  return new StatusError(GrpcCode.INVALID_ARGUMENT, `invalid value for ${field}`);
}

/** Shorthand for a code-3 error with free text (gateway parse errors, validation messages). */
export function badRequest(message: string): StatusError {
  return new StatusError(GrpcCode.INVALID_ARGUMENT, message);
}

/**
 * Go's prototext rendering of an identifier inside messages: only non-empty fields, `key:"value"` pairs.
 * flyteadmin prints ids this way in NOT_FOUND messages (its exact spacing is randomised, so clients must not
 * parse it; the single-space form is what most builds print).
 */
function protoText(fields: Record<string, string>): string {
  return Object.entries(fields)
    .filter(([, value]) => value !== '')
    .map(([key, value]) => `${key}:${JSON.stringify(value)}`)
    .join(' ');
}

/** The repository's NOT_FOUND for an execution (`GetMissingEntityError("execution", core.Identifier)`). */
export function executionNotFound(id: { project: string; domain: string; name: string }): StatusError {
  return new StatusError(
    GrpcCode.NOT_FOUND,
    `missing entity of type execution with identifier ${protoText({ project: id.project, domain: id.domain, name: id.name })}`,
  );
}
