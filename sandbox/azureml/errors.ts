/**
 * Errors of the Azure ML emulator and their one rendering: the Execution Service's `ErrorResponse` (swagger)
 * with the extra fields real AML data-plane bodies carry (§5 of the reference): `error{code, severity,
 * message, messageFormat, messageParameters, referenceCode, detailsUri, target, details, innerError,
 * debugInfo, additionalInfo}`, `correlation{operation, request}`, `environment`, `location`, `time` and
 * `componentName`. Every failing answer of the API goes through {@link errorBody}.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { COMPONENT_NAME, InnerCode, RootCode } from './constants.js';

/** A failure with its HTTP status, root code and (optional) inner code chain, outermost first. */
export class AzureMlError extends Error {
  override readonly name = 'AzureMlError';

  constructor(
    readonly status: number,
    readonly code: RootCode,
    message: string,
    readonly innerCodes: readonly string[] = [],
    readonly target: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** 400 `UserError` → `ValidationError`, naming the offending input in `target`. */
export function validationError(message: string, target: string | null = null): AzureMlError {
  return new AzureMlError(400, RootCode.UserError, message, [InnerCode.ValidationError], target);
}

/** A `UserError` with one inner code (404, 409, 413, …). */
export function userError(
  status: number,
  inner: string,
  message: string,
  target: string | null = null,
  headers: Record<string, string> = {},
): AzureMlError {
  return new AzureMlError(status, RootCode.UserError, message, [inner], target, headers);
}

/** The root code an injected or unexpected HTTP status is reported with (§5 table). */
export function rootCodeForStatus(status: number): RootCode {
  if (status === 429) return RootCode.RequestThrottled;
  if (status === 502 || status === 503 || status === 504) return RootCode.TransientError;
  return RootCode.ServiceError;
}

/** `innerError` chain: `{code, innerError: {code, innerError: null}}`. */
function innerChain(codes: readonly string[]): unknown {
  return codes.reduceRight<unknown>((inner, code) => ({ code, innerError: inner }), null);
}

/** .NET round-trip ("o") format with a `+00:00` offset, as AML bodies print `time`. */
export function dotnetUtc(epochMs: number): string {
  const iso = new Date(epochMs).toISOString(); // 2024-05-01T10:00:00.123Z
  return `${iso.slice(0, 23)}0000+00:00`;
}

/** Fresh correlation ids: operation 32 hex, request 16 hex (the shape seen in AML bodies). */
export function newCorrelation(): { operation: string; request: string } {
  return { operation: randomBytes(16).toString('hex'), request: randomBytes(8).toString('hex') };
}

/**
 * The error body for one failure.
 * @example
 * errorBody(userError(404, 'NotFoundError', 'Run x not found.'), { region: 'eastus', now: 0,
 *   correlation: newCorrelation() }).error.innerError // { code: 'NotFoundError', innerError: null }
 */
export function errorBody(
  error: AzureMlError,
  context: { region: string; now: number; correlation: { operation: string; request: string } },
) {
  return {
    error: {
      code: error.code,
      severity: null,
      message: error.message,
      messageFormat: null,
      messageParameters: null,
      referenceCode: null,
      detailsUri: null,
      target: error.target,
      details: [],
      innerError: innerChain(error.innerCodes),
      debugInfo: null,
      additionalInfo: null,
    },
    correlation: { ...context.correlation },
    environment: context.region,
    location: context.region,
    time: dotnetUtc(context.now),
    componentName: COMPONENT_NAME,
  };
}
