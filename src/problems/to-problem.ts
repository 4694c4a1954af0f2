/**
 * @module
 * The one place that renders failures as `application/problem+json` (RFC 9457).
 * A `GatewayError` becomes its status, type, detail, field errors and upstream answer;
 * anything else becomes a bare 500 with the correlation id and nothing else, so no
 * stack trace, token or internal message can leave.
 */
import {
  type FieldError,
  GatewayError,
  NotAllowedError,
  ProblemTypes,
  UpstreamError,
  ValidationError,
} from './errors.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface ProblemBody {
  [extension: string]: unknown;
  type: string;
  title: string;
  status: number;
  detail: string;
  correlationId: string;
  instance?: string;
  errors?: FieldError[];
  upstream?: { status: number; body: unknown };
}

/**
 * Builds the problem body for any thrown value.
 * @example
 * toProblem(new NotAllowedError('project x is not allowed'), 'req-1').status // 403
 */
export function toProblem(error: unknown, correlationId: string, instance?: string): ProblemBody {
  if (!(error instanceof GatewayError)) {
    return {
      type: `/problems/${ProblemTypes.internal}`,
      title: 'Internal error',
      status: 500,
      detail: 'The gateway failed to handle the request. Quote the correlation id when reporting it.',
      correlationId,
      ...(instance ? { instance } : {}),
    };
  }
  const body: ProblemBody = {
    ...error.extensions,
    type: `/problems/${error.type}`,
    title: error.title,
    status: error.status,
    detail: error.detail,
    correlationId,
    ...(instance ? { instance } : {}),
  };
  if (error instanceof ValidationError) body.errors = error.errors;
  if (error instanceof NotAllowedError && error.errors) body.errors = error.errors;
  if (error instanceof UpstreamError) body.upstream = error.upstream;
  return body;
}

/** Renders any thrown value as a web-standard problem+json `Response`. */
export function problemResponse(
  error: unknown,
  correlationId: string,
  instance?: string,
  headers: Record<string, string> = {},
): Response {
  const body = toProblem(error, correlationId, instance);
  const extra = error instanceof GatewayError ? error.headers : {};
  return new Response(JSON.stringify(body), {
    status: body.status,
    headers: { ...headers, ...extra, 'content-type': PROBLEM_CONTENT_TYPE },
  });
}
