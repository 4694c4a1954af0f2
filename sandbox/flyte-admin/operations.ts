/**
 * The seven execution operations, each taking the decoded canonical request message and returning the
 * canonical response with its message type. They mirror flyteadmin's `ExecutionManager` methods: same
 * validation order, same error codes and messages, same side effects on the stored execution. Transport
 * concerns (routing, marshalers, auth, faults) live in the server.
 * @module
 */
import { GrpcCode, TERMINAL_PHASES } from './constants.js';
import { type LaunchContext, launchExecution } from './launch.js';
import { listExecutions } from './list.js';
import { executionSpan } from './metrics.js';
import { cloneProto, messageField, type ProtoObject, stringField } from './proto-value.js';
import { renderExecution } from './render.js';
import { missingArgument, StatusError } from './status-error.js';
import type { ExecutionId, ExecutionRecord } from './store.js';
import { phaseAt } from './timeline.js';

export interface OperationContext extends LaunchContext {
  /** Request time on the emulator clock; one value per request keeps a response self-consistent. */
  now: number;
}

/** A canonical response and the message type it encodes as. */
export interface OperationResult {
  typeName: string;
  value: ProtoObject;
}

export type Operation = (ctx: OperationContext, request: ProtoObject) => OperationResult;

function idOf(request: ProtoObject): ExecutionId {
  const id = messageField(request, 'id');
  return {
    project: stringField(id, 'project'),
    domain: stringField(id, 'domain'),
    name: stringField(id, 'name'),
  };
}

/** `ValidateWorkflowExecutionIdentifier`: Get, Terminate and Metrics check the id before looking it up. */
function validatedId(request: ProtoObject): ExecutionId {
  if (messageField(request, 'id') === undefined) throw missingArgument('id');
  const id = idOf(request);
  for (const field of ['project', 'domain', 'name'] as const)
    if (id[field] === '') throw missingArgument(field);
  return id;
}

function created(id: ExecutionId): OperationResult {
  return { typeName: 'admin.ExecutionCreateResponse', value: { id: { ...id } } };
}

export const createExecution: Operation = (ctx, request) => created(launchExecution(ctx, request));

/** Relaunch and recover start from the source's stored spec and inputs, in the source's project and domain. */
function launchFrom(
  ctx: OperationContext,
  request: ProtoObject,
  adjust: (metadata: ProtoObject, spec: ProtoObject) => void,
): OperationResult {
  // No id validation here: flyteadmin goes straight to the lookup, so a missing id is a NOT_FOUND.
  const source: ExecutionRecord = ctx.store.get(idOf(request));
  const spec = cloneProto(source.spec);
  const metadata = messageField(spec, 'metadata') ?? {};
  spec.metadata = metadata;
  metadata.reference_execution = { ...source.id };
  adjust(metadata, spec);
  const inputs = source.userInputs === undefined ? undefined : cloneProto(source.userInputs);
  const { project, domain } = source.id;
  const id = launchExecution(
    ctx,
    { project, domain, name: stringField(request, 'name'), spec, inputs },
    { sourceSeq: source.seq },
  );
  return created(id);
}

export const relaunchExecution: Operation = (ctx, request) =>
  launchFrom(ctx, request, (metadata, spec) => {
    metadata.mode = 'RELAUNCH';
    spec.overwrite_cache = request.overwrite_cache === true;
  });

export const recoverExecution: Operation = (ctx, request) =>
  launchFrom(ctx, request, (metadata) => {
    metadata.mode = 'RECOVERED';
    // Only the parent node execution is taken from the request's metadata (and cleared if it has none).
    const requested = messageField(request, 'metadata');
    if (requested !== undefined) metadata.parent_node_execution = requested.parent_node_execution;
  });

export const getExecution: Operation = (ctx, request) => {
  const record = ctx.store.get(validatedId(request));
  return { typeName: 'admin.Execution', value: renderExecution(record, ctx.now, 'get') };
};

export const listExecutionsOperation: Operation = (ctx, request) => ({
  typeName: 'admin.ExecutionList',
  value: listExecutions(ctx.store, request, ctx.now),
});

export const terminateExecution: Operation = (ctx, request) => {
  const record = ctx.store.get(validatedId(request));
  const { phase } = phaseAt(record.timeline, ctx.now);
  if (TERMINAL_PHASES.has(phase)) {
    throw new StatusError(
      GrpcCode.FAILED_PRECONDITION,
      'Cannot abort an already terminated workflow execution',
      [
        {
          typeName: 'admin.EventFailureReason',
          value: { already_in_terminal_state: { current_phase: phase } },
        },
      ],
    );
  }
  // A repeated terminate while ABORTING rewrites the metadata but not when propeller will finish aborting.
  record.timeline.abort = {
    requestedAt: record.timeline.abort?.requestedAt ?? ctx.now,
    cause: stringField(request, 'cause'),
    principal: ctx.principal,
  };
  return { typeName: 'admin.ExecutionTerminateResponse', value: {} };
};

export const getExecutionMetrics: Operation = (ctx, request) => {
  const record = ctx.store.get(validatedId(request));
  const depth = typeof request.depth === 'number' ? request.depth : 0;
  return {
    typeName: 'admin.WorkflowExecutionGetMetricsResponse',
    value: { span: executionSpan(record, ctx.now, depth) },
  };
};
