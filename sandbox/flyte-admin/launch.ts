/**
 * The shared tail of CreateExecution, RelaunchExecution and RecoverExecution (flyteadmin's
 * `launchExecutionAndPrepareModel` + `createExecutionModel`): validate, pick a name, let admin overwrite
 * the fields it owns (principal, system metadata, config defaults), and insert. Relaunch and recover build a
 * create request from the source and come through here too, so name rules and the 409 apply to them alike.
 * @module
 */
import { DEFAULTS } from './constants.js';
import type { ResolvedOptions } from './options.js';
import { cloneProto, messageField, type ProtoObject, stringField } from './proto-value.js';
import type { ExecutionId, ExecutionRecord, ExecutionStore } from './store.js';
import { generateExecutionName, validateCreateRequest } from './validation.js';

export interface LaunchContext {
  options: ResolvedOptions;
  store: ExecutionStore;
  /** Authenticated caller; `""` with auth off, as in flyteadmin. */
  principal: string;
}

/** Overrides for how a launched execution behaves, used by `seed()`. */
export interface LaunchExtras {
  sourceSeq?: number;
  createdAt?: number;
  pinned?: ExecutionRecord['timeline']['pinned'];
  failure?: ExecutionRecord['failure'];
  /** Skip project/domain/name validation (seeding may populate anything). */
  trusted?: boolean;
}

function hasLiterals(map: ProtoObject | undefined): boolean {
  return Object.keys(messageField(map, 'literals') ?? {}).length > 0;
}

/**
 * Fields flyteadmin fills from the caller and its configuration before storing a spec. The config-derived
 * values (parallelism, empty security context, …) are the sandbox defaults; real deployments differ.
 */
function admitSpec(requested: ProtoObject, id: ExecutionId, principal: string): ProtoObject {
  const spec = cloneProto(requested);
  const metadata = messageField(spec, 'metadata') ?? {};
  metadata.principal = principal;
  metadata.system_metadata = { execution_cluster: '', namespace: `${id.project}-${id.domain}` };
  spec.metadata = metadata;
  spec.security_context ??= { run_as: {} };
  if (!spec.max_parallelism) spec.max_parallelism = DEFAULTS.maxParallelism;
  spec.raw_output_data_config ??= {};
  spec.labels ??= {};
  spec.annotations ??= {};
  spec.envs ??= {};
  return spec;
}

/**
 * Validates and stores a canonical `admin.ExecutionCreateRequest`; returns the new execution's id.
 * @example
 * launchExecution(ctx, { project: 'flytesnacks', domain: 'development', spec: { launch_plan: lp } });
 * // { project: 'flytesnacks', domain: 'development', name: 'a…' }
 */
export function launchExecution(
  ctx: LaunchContext,
  request: ProtoObject,
  extras: LaunchExtras = {},
): ExecutionId {
  const { options, store } = ctx;
  const spec = messageField(request, 'spec');
  // Clients older than flyteidl v0.15 put inputs in the spec; admin reads them from there when needed.
  const inputs = hasLiterals(messageField(request, 'inputs'))
    ? messageField(request, 'inputs')
    : messageField(spec, 'inputs');
  if (!extras.trusted) validateCreateRequest({ ...request, inputs }, options);
  const id: ExecutionId = {
    project: stringField(request, 'project'),
    domain: stringField(request, 'domain'),
    name: stringField(request, 'name') || generateExecutionName(),
  };
  const launchPlan = messageField(spec, 'launch_plan') ?? {};
  const isTask = launchPlan.resource_type === 'TASK';
  const lp = {
    project: stringField(launchPlan, 'project'),
    domain: stringField(launchPlan, 'domain'),
    name: stringField(launchPlan, 'name'),
    version: stringField(launchPlan, 'version'),
  };
  const createdAt = extras.createdAt ?? options.now();
  const record: ExecutionRecord = {
    seq: store.nextSeq(),
    id,
    spec: admitSpec(spec ?? {}, id, ctx.principal),
    userInputs: inputs === undefined ? undefined : cloneProto(inputs),
    // Single-task executions run a workflow admin generates around the task, named `.flytegen.<task>`.
    workflowId: { resource_type: 'WORKFLOW', ...lp, name: isTask ? `.flytegen.${lp.name}` : lp.name },
    launchEntity: isTask ? 'task' : 'launch_plan',
    sourceSeq: extras.sourceSeq ?? 0,
    timeline: {
      createdAt,
      delays: options.delays,
      initialPhase: options.initialPhase,
      outcome: options.outcome({ ...id, launchPlan: lp }),
      pinned: extras.pinned,
    },
    failure: extras.failure ?? {
      code: 'USER:RuntimeError',
      message: `Execution ${id.name} failed (emulated outcome).`,
      kind: 'USER',
    },
  };
  store.insert(record);
  return id;
}
