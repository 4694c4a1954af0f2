/**
 * Seeding: put executions into the store directly, without HTTP or validation, in any phase and at any
 * time — e.g. a FAILED run from yesterday to recover, or a RUNNING one pinned in place to cancel. A seeded
 * execution with `phase` stays in that phase (until terminated); without `phase` it progresses like a
 * created one from `createdAt`.
 * @module
 */
import type { ExecutionMode, Phase } from './constants.js';
import { type LaunchContext, launchExecution } from './launch.js';
import { decodeMessage } from './proto-decode.js';
import { messageField, type ProtoObject } from './proto-value.js';
import type { ExecutionFailure, ExecutionId } from './store.js';

export interface SeedExecution {
  /** @default the first registered project */
  project?: string;
  /** @default the first configured domain */
  domain?: string;
  /** @default a generated name */
  name?: string;
  /** @default { name: 'sandbox.workflows.hello', version: 'v1', resourceType: 'LAUNCH_PLAN' } in the same project/domain */
  launchPlan?: {
    project?: string;
    domain?: string;
    name?: string;
    version?: string;
    resourceType?: 'LAUNCH_PLAN' | 'TASK';
  };
  /** Pin the execution in this phase. @default progress from `createdAt` */
  phase?: Phase;
  /** Epoch ms. @default now() */
  createdAt?: number;
  /** When it started running (pinned, started phases only). @default createdAt */
  startedAt?: number;
  /** Last phase change (pinned only). @default createdAt */
  updatedAt?: number;
  /** `spec.metadata.mode`. @default 'MANUAL' */
  mode?: ExecutionMode;
  /** `spec.metadata.principal`. @default '' */
  principal?: string;
  /** `spec.labels.values`. */
  labels?: Record<string, string>;
  /** `core.LiteralMap` JSON (either casing) kept as the user inputs (relaunch/recover copy them). */
  inputs?: unknown;
  /** Further `admin.ExecutionSpec` JSON (either casing); `launchPlan`, `mode` and `labels` win over it. */
  spec?: unknown;
  /** Closure error shown while FAILING/FAILED. */
  failure?: ExecutionFailure;
}

const NOT_STARTED: ReadonlySet<Phase> = new Set<Phase>(['UNDEFINED', 'QUEUED']);

/**
 * Inserts one seeded execution and returns its id; throws a `StatusError` (409) on a duplicate id.
 * @example
 * seedExecution(ctx, { name: 'nightly-0001', phase: 'FAILED', createdAt: Date.parse('2026-01-15T02:00:00Z') });
 */
export function seedExecution(ctx: LaunchContext, seed: SeedExecution): ExecutionId {
  const { options } = ctx;
  const project = seed.project ?? options.projects[0] ?? 'flytesnacks';
  const domain = seed.domain ?? options.domains[0] ?? 'development';
  const strict = { discardUnknown: false };
  const spec: ProtoObject =
    seed.spec === undefined ? {} : decodeMessage('admin.ExecutionSpec', seed.spec, strict);
  const lp = seed.launchPlan ?? {};
  spec.launch_plan = {
    resource_type: lp.resourceType ?? 'LAUNCH_PLAN',
    project: lp.project ?? project,
    domain: lp.domain ?? domain,
    name: lp.name ?? 'sandbox.workflows.hello',
    version: lp.version ?? 'v1',
  };
  const metadata = messageField(spec, 'metadata') ?? {};
  if (seed.mode !== undefined) metadata.mode = seed.mode;
  spec.metadata = metadata;
  if (seed.labels !== undefined) spec.labels = { values: { ...seed.labels } };
  const createdAt = seed.createdAt ?? options.now();
  const { phase } = seed;
  return launchExecution(
    { ...ctx, principal: seed.principal ?? '' },
    {
      project,
      domain,
      name: seed.name ?? '',
      spec,
      inputs: seed.inputs === undefined ? undefined : decodeMessage('core.LiteralMap', seed.inputs, strict),
    },
    {
      trusted: true,
      createdAt,
      failure: seed.failure,
      pinned:
        phase === undefined
          ? undefined
          : {
              phase,
              startedAt: NOT_STARTED.has(phase) ? undefined : (seed.startedAt ?? createdAt),
              updatedAt: seed.updatedAt ?? createdAt,
            },
    },
  );
}
