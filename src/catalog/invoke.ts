/**
 * @module
 * The one way every surface runs an operation — REST routes, MCP tools and batch
 * cancellation alike: check the caller's app role, validate the input, resolve the operation's upstream (503 when it has
 * no settings), run its allow-list guard, call it, and turn a non-2xx answer into the typed
 * `UpstreamError`. What comes back is a 2xx answer, still streaming, and the input it answered.
 */
import type { Caller } from '../auth/caller.js';
import { authorize } from '../auth/identify.js';
import { upstreamDeadline } from '../config.js';
import type { Correlation } from '../shared/correlation.js';
import type { LogFields, Logger } from '../shared/log.js';
import { upstreamFailure } from '../upstream/failure.js';
import type { UpstreamResponse } from '../upstream/http-client.js';
import type { Operation, OperationInput, OperationServices } from './operation.js';
import { type RawInput, validateInput } from './validate.js';

export interface InvokeContext {
  services: OperationServices;
  /** The Entra ID caller (AUTH_MODE=entra): must hold the operation's role. Absent: no role check. */
  caller?: Caller;
  /** Whose staged zips the call may stage and use (auth/owner.ts); a surface without one stages nothing. */
  owner?: string;
  correlation: Correlation;
  log: Logger;
  /** Aborted when the caller goes away, so the upstream call is abandoned too. */
  signal?: AbortSignal;
  /** `false`: one upstream attempt, no inline retry (batch cancellation retries through its queue). */
  retry?: false;
  /** Told when the upstream call starts: validation, configuration and guard have passed. */
  calling?: () => void;
  /** Told the upstream status and attempts, for the request's log line. */
  note?: (fields: LogFields) => void;
}

export interface Invocation {
  /** The validated input, completed (e.g. with the run id a start used). */
  input: OperationInput<unknown, unknown, unknown>;
  /** A 2xx answer; its body still streams. */
  answer: UpstreamResponse;
}

/**
 * @example
 * const { answer } = await invoke(getExecution, { params, query: {}, body: undefined }, ctx);
 */
export function invoke(op: Operation, raw: RawInput, ctx: InvokeContext): Promise<Invocation> {
  // Before validation: a caller without the role learns nothing about the input's shape.
  authorize(ctx.caller, op.role, op.operationId);
  return invokeValidated(op, validateInput(op, raw, ctx.services.settings), ctx);
}

/**
 * From the guard on, for input that has already passed the operation's own schemas (batch
 * targets are validated with them when accepted, and not again per call).
 * @example
 * await invokeValidated(cancelRun, { params, query: {}, body: undefined }, { ...ctx, retry: false });
 */
export async function invokeValidated(
  op: Operation,
  validated: OperationInput<unknown, unknown, unknown>,
  ctx: InvokeContext,
): Promise<Invocation> {
  authorize(ctx.caller, op.role, op.operationId);
  const { services } = ctx;
  const upstream = services.upstream(op.capability);
  const input = op.complete ? op.complete(validated) : validated;
  op.guard?.(input, services.settings);
  ctx.calling?.();
  const answer = await op.call(input, {
    settings: services.settings,
    upstream,
    options: {
      correlation: ctx.correlation,
      signal: ctx.signal,
      retry: ctx.retry,
      // Every surface's calls end by then, the answer body included (http-client.ts).
      deadlineMs: upstreamDeadline(services.settings),
    },
    log: ctx.log,
    staging: () => {
      if (ctx.owner === undefined) throw new Error(`${op.operationId}: this surface names no staging owner`);
      return services.staging().for(ctx.owner);
    },
  });
  ctx.note?.({ upstreamStatus: answer.status, attempts: answer.attempts });
  if (answer.status < 200 || answer.status > 299) throw await upstreamFailure(answer);
  return { input, answer };
}
