/**
 * Seeding: put runs into the Azure ML emulator's store directly, without HTTP — e.g. hundreds of Running
 * runs for a batch cancel, or a Completed one that a cancel must refuse. A seeded run with `status` stays in
 * that status: an active one until cancelled (then CancelRequested → Canceled as usual), a terminal one
 * (or CancelRequested) for good. Without `status` it progresses like a started run from `createdAt`.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { EXPERIMENT_NAME_PATTERN, RUN_ID_PATTERN, type RunStatus, UUID_PATTERN } from './constants.js';
import type { ResolvedOptions } from './options.js';
import type { JsonObject } from './run-definition.js';
import { readFields } from './run-definition.js';
import type { RunStore, StartOperation } from './store.js';

export interface SeedRun {
  /** A GUID. @default '00000000-0000-0000-0000-000000000000' */
  subscriptionId?: string;
  /** @default 'rg-ml' */
  resourceGroupName?: string;
  /** @default 'ws-demo' */
  workspaceName?: string;
  /** @default 'exp' */
  experimentName?: string;
  /** @default a service-style `{experiment}_{epochMillis}` id, unique in the experiment */
  runId?: string;
  /** Pin the run in this status. @default progress from `createdAt` through the configured delays */
  status?: RunStatus;
  /** How an unpinned run ends. @default the emulator's `finalStatus` option */
  finalStatus?: 'Completed' | 'Failed';
  /** Epoch ms on the emulator clock. @default now() */
  createdAt?: number;
  /** @default 'snapshotrun' */
  operation?: StartOperation;
  /** The RunDefinition as if received. @default `{ snapshotId: <a new GUID> }` */
  definition?: JsonObject;
}

export const SEED_DEFAULTS = {
  subscriptionId: '00000000-0000-0000-0000-000000000000',
  resourceGroupName: 'rg-ml',
  workspaceName: 'ws-demo',
  experimentName: 'exp',
} as const;

function check(name: string, value: string, pattern: RegExp): string {
  if (!pattern.test(value)) throw new TypeError(`seed ${name} is not valid: ${JSON.stringify(value)}`);
  return value;
}

/**
 * Inserts one seeded run and returns its id.
 * @throws TypeError on an invalid subscription, experiment or run id; Error on a run id already used in the
 * experiment; AzureMlError (400) on a malformed `definition`
 * @example
 * seedRun(ctx, { runId: 'exp_1', status: 'Running' }); // 'exp_1', Running until cancelled
 */
export function seedRun(ctx: { options: ResolvedOptions; store: RunStore }, seed: SeedRun): string {
  const { options, store } = ctx;
  const scope = {
    subscriptionId: check(
      'subscriptionId',
      seed.subscriptionId ?? SEED_DEFAULTS.subscriptionId,
      UUID_PATTERN,
    ),
    resourceGroupName: seed.resourceGroupName ?? SEED_DEFAULTS.resourceGroupName,
    workspaceName: seed.workspaceName ?? SEED_DEFAULTS.workspaceName,
    experimentName: check(
      'experimentName',
      seed.experimentName ?? SEED_DEFAULTS.experimentName,
      EXPERIMENT_NAME_PATTERN,
    ),
  };
  const createdAt = seed.createdAt ?? options.now();
  const runId =
    seed.runId === undefined
      ? store.generateRunId(scope, createdAt)
      : check('runId', seed.runId, RUN_ID_PATTERN);
  if (store.has(scope, runId))
    throw new Error(`seed runId ${runId} already exists in experiment ${scope.experimentName}`);
  const definition = structuredClone(seed.definition ?? { snapshotId: randomUUID() });
  const { experimentName } = scope;
  store.insert({
    ...scope,
    ...readFields(definition, false),
    runId,
    operation: seed.operation ?? 'snapshotrun',
    definition,
    createdAt,
    // A pinned run never reaches its final status; the option is asked only about runs that will.
    finalStatus:
      seed.finalStatus ??
      (seed.status === undefined
        ? options.finalStatus({ experimentName, runId, definition: structuredClone(definition) })
        : 'Completed'),
    ...(seed.status === undefined ? {} : { pinnedStatus: seed.status }),
  });
  return runId;
}
