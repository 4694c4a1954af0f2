/**
 * @module
 * What one upstream cancel call means for its target. Success → `cancelled`; Flyte's
 * "already terminal" (400 with gRPC code 9, FailedPrecondition) and Azure ML's 409 for a
 * finished run → `alreadyFinished`; 404 → `notFound`; 429, 5xx, timeouts and connection
 * failures → transient (tried again later, honouring `Retry-After`); anything else →
 * `failed` at once. Azure ML's answer to cancelling a finished run is not documented: a 200
 * for it is counted as `cancelled` (reference/azureml-execution.md §3.4).
 */
import { upstreamFailure } from '../http/operation-handler.js';
import { readCapped } from '../http/read-capped.js';
import { GatewayError, UpstreamNotConfiguredError } from '../problems/errors.js';
import type { UpstreamResponse } from '../upstream/http-client.js';
import { parseRetryAfter } from '../upstream/retry-policy.js';
import type { FinalOutcome } from './store.js';
import type { TargetKind } from './targets.js';

/** gRPC FAILED_PRECONDITION, what flyteadmin answers for terminating a finished execution. */
const GRPC_FAILED_PRECONDITION = 9;

export type CallResult =
  | { outcome: FinalOutcome; status?: number; detail?: string }
  | { outcome: 'transient'; status?: number; detail: string; retryAfterMs?: number };

/**
 * @example
 * const result = await classifyAnswer('flyte', await op.call(input, ctx));
 */
export async function classifyAnswer(kind: TargetKind, response: UpstreamResponse): Promise<CallResult> {
  const { status } = response;
  if (status >= 200 && status < 300) {
    // Read to the end (it is small): the connection goes back to the pool.
    await readCapped(response.body, 64 * 1024);
    return { outcome: 'cancelled', status };
  }
  const failure = await upstreamFailure(response);
  const detail = failure.detail;
  const code = (failure.upstream.body as { code?: unknown } | null)?.code;
  if (kind === 'flyte' && status === 400 && code === GRPC_FAILED_PRECONDITION) {
    return { outcome: 'alreadyFinished', status, detail };
  }
  if (kind === 'azureml' && status === 409) return { outcome: 'alreadyFinished', status, detail };
  if (status === 404) return { outcome: 'notFound', status, detail };
  if (status === 408 || status === 429 || status >= 500) {
    const header = response.headers['retry-after'];
    const retryAfterMs = parseRetryAfter(Array.isArray(header) ? header[0] : header) ?? undefined;
    return { outcome: 'transient', status, detail, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
  }
  return { outcome: 'failed', status, detail };
}

/** A call that threw: timeouts, unreachable upstreams and credential failures are transient. */
export function classifyError(error: unknown): CallResult {
  if (error instanceof UpstreamNotConfiguredError) return { outcome: 'failed', detail: error.detail };
  if (error instanceof GatewayError) {
    return error.status >= 500
      ? { outcome: 'transient', detail: error.detail }
      : { outcome: 'failed', detail: error.detail };
  }
  return { outcome: 'transient', detail: `the call failed (${(error as Error)?.name ?? 'Error'})` };
}
