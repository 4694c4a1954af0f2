/**
 * @module
 * What one upstream cancel call means for its target. Success → `cancelled`; Flyte's
 * "already terminal" (400 with gRPC code 9, FailedPrecondition) and Azure ML's 409 for a
 * finished run → `alreadyFinished`; 404 → `notFound`; 429, 5xx, timeouts and connection
 * failures → transient (tried again later, honouring `Retry-After`); anything else →
 * `failed` at once. Azure ML's answer to cancelling a finished run is not documented: a 200
 * for it is counted as `cancelled` (reference/azureml-execution.md §3.4).
 */
import { errorName, GatewayError, UpstreamError, UpstreamNotConfiguredError } from '../problems/errors.js';
import { parseRetryAfter } from '../upstream/retry-policy.js';
import type { FinalOutcome } from './store.js';
import type { TargetKind } from './targets.js';

/** gRPC FAILED_PRECONDITION, what flyteadmin answers for terminating a finished execution. */
const GRPC_FAILED_PRECONDITION = 9;

export type CallResult =
  | { outcome: FinalOutcome; status?: number; detail?: string }
  | { outcome: 'transient'; status?: number; detail: string; retryAfterMs?: number };

/**
 * What a failed cancel means: the upstream's answer (an `UpstreamError`), or a call that could
 * not be made — timeouts, unreachable upstreams and credential failures are transient.
 * @example
 * classifyError('azureml', new UpstreamError('Azure ML', { status: 409, body: {} })) // alreadyFinished
 */
export function classifyError(kind: TargetKind, error: unknown): CallResult {
  if (error instanceof UpstreamError) return classifyAnswer(kind, error);
  if (error instanceof UpstreamNotConfiguredError) return { outcome: 'failed', detail: error.detail };
  if (error instanceof GatewayError) {
    return error.status >= 500
      ? { outcome: 'transient', detail: error.detail }
      : { outcome: 'failed', detail: error.detail };
  }
  return { outcome: 'transient', detail: `the call failed (${errorName(error)})` };
}

function classifyAnswer(kind: TargetKind, failure: UpstreamError): CallResult {
  const { status } = failure.upstream;
  const detail = failure.detail;
  const code = (failure.upstream.body as { code?: unknown } | null)?.code;
  if (kind === 'flyte' && status === 400 && code === GRPC_FAILED_PRECONDITION) {
    return { outcome: 'alreadyFinished', status, detail };
  }
  if (kind === 'azureml' && status === 409) return { outcome: 'alreadyFinished', status, detail };
  if (status === 404) return { outcome: 'notFound', status, detail };
  if (status === 408 || status === 429 || status >= 500) {
    const retryAfterMs = parseRetryAfter(failure.headers['Retry-After']) ?? undefined;
    return { outcome: 'transient', status, detail, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
  }
  return { outcome: 'failed', status, detail };
}
