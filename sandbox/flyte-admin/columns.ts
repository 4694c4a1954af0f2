/**
 * The database columns list filters and sorting may name, per entity, with their SQL types and how to read
 * them off an execution. flyteadmin validates a filter's field against the gorm column names of the
 * referenced model (`models.ExecutionColumns`, …), so the same names are valid here; columns the emulator
 * has no data for (blobs, digests) exist but read as NULL, which matches nothing, as in SQL.
 * @module
 */
import { EXECUTION_MODES } from './constants.js';
import { messageField, type ProtoObject, stringField } from './proto-value.js';
import type { ExecutionRecord, ExecutionStore } from './store.js';
import { type PhaseState, phaseAt } from './timeline.js';

/** SQL type of a column; decides how filter values are parsed and compared. */
export type ColumnType = 'text' | 'bigint' | 'timestamp' | 'duration' | 'bytea';
/** One cell: text, a number (timestamps as epoch ms, durations as ms) or NULL. */
export type Cell = string | number | null;
/** One joined row, column name → cell. */
export type Row = Record<string, Cell>;

/** Entity codes flyteadmin uses in filters and error messages (`common.Entity`). */
const Entity = {
  execution: 'e',
  launchPlan: 'l',
  workflow: 'w',
  task: 't',
  adminTag: 'at',
  executionTag: 'et',
} as const;

const BASE: Record<string, ColumnType> = {
  id: 'bigint',
  created_at: 'timestamp',
  updated_at: 'timestamp',
  deleted_at: 'timestamp',
};
const NAMED = { ...BASE, project: 'text', domain: 'text', name: 'text', version: 'text' } as const;

/** Column tables by entity code (gorm names of `models.Execution`, `LaunchPlan`, `Workflow`, …). */
export const COLUMNS: Readonly<Record<string, Readonly<Record<string, ColumnType>>>> = {
  e: {
    ...BASE,
    execution_project: 'text',
    execution_domain: 'text',
    execution_name: 'text',
    launch_plan_id: 'bigint',
    workflow_id: 'bigint',
    task_id: 'bigint',
    phase: 'text',
    closure: 'bytea',
    spec: 'bytea',
    started_at: 'timestamp',
    execution_created_at: 'timestamp',
    execution_updated_at: 'timestamp',
    duration: 'duration',
    abort_cause: 'text',
    mode: 'bigint',
    source_execution_id: 'bigint',
    parent_node_execution_id: 'bigint',
    cluster: 'text',
    inputs_uri: 'text',
    user_inputs_uri: 'text',
    error_kind: 'text',
    error_code: 'text',
    user: 'text',
    state: 'bigint',
    launch_entity: 'text',
  },
  l: {
    ...NAMED,
    spec: 'bytea',
    workflow_id: 'bigint',
    closure: 'bytea',
    state: 'bigint',
    digest: 'bytea',
    schedule_type: 'text',
    launch_condition_type: 'text',
  },
  w: { ...NAMED, typed_interface: 'bytea', remote_closure_identifier: 'text', digest: 'bytea' },
  t: { ...NAMED, closure: 'bytea', digest: 'bytea', type: 'text', short_description: 'text' },
  at: { ...BASE, name: 'text' },
  et: {
    ...BASE,
    execution_project: 'text',
    execution_domain: 'text',
    execution_name: 'text',
    key: 'text',
    value: 'text',
  },
};

/** An execution with its phase evaluated once for a whole list request. */
export interface ExecutionRow {
  record: ExecutionRecord;
  state: PhaseState;
}

export function toExecutionRow(record: ExecutionRecord, now: number): ExecutionRow {
  return { record, state: phaseAt(record.timeline, now) };
}

function identifierRow(identifier: ProtoObject, id: number): Row {
  return {
    id,
    project: stringField(identifier, 'project'),
    domain: stringField(identifier, 'domain'),
    name: stringField(identifier, 'name'),
    version: stringField(identifier, 'version'),
  };
}

function executionCells({ record, state }: ExecutionRow, store: ExecutionStore): Row {
  const { id, spec, timeline } = record;
  const metadata = messageField(spec, 'metadata');
  const launchPlan = messageField(spec, 'launch_plan') ?? {};
  const failed = state.phase === 'FAILED' || state.phase === 'FAILING';
  const dataPrefix = `s3://my-s3-bucket/metadata/${id.project}/${id.domain}/${id.name}`;
  return {
    id: record.seq,
    created_at: timeline.createdAt,
    updated_at: state.updatedAt,
    execution_project: id.project,
    execution_domain: id.domain,
    execution_name: id.name,
    launch_plan_id: record.launchEntity === 'launch_plan' ? store.entityId('l', launchPlan) : 0,
    workflow_id: store.entityId('w', record.workflowId),
    task_id: record.launchEntity === 'task' ? store.entityId('t', launchPlan) : 0,
    phase: state.phase,
    started_at: state.startedAt ?? null,
    execution_created_at: timeline.createdAt,
    execution_updated_at: state.updatedAt,
    duration: state.durationMs ?? 0,
    abort_cause: timeline.abort?.cause ?? '',
    mode: EXECUTION_MODES.indexOf((metadata?.mode as (typeof EXECUTION_MODES)[number]) ?? 'MANUAL'),
    source_execution_id: record.sourceSeq,
    parent_node_execution_id: 0,
    cluster: '',
    inputs_uri: `${dataPrefix}/inputs`,
    user_inputs_uri: `${dataPrefix}/user_inputs`,
    error_kind: failed ? record.failure.kind : null,
    error_code: failed ? record.failure.code : null,
    user: stringField(metadata, 'principal'),
    state: 0,
    launch_entity: record.launchEntity,
  };
}

/**
 * The rows an execution joins to in `entity`'s table: one for itself, one for its launch plan/workflow/task
 * (none when it was launched the other way, which drops it from an inner join), one per tag.
 */
export function joinedRows(entity: string, row: ExecutionRow, store: ExecutionStore): Row[] {
  const { record } = row;
  const launchPlan = messageField(record.spec, 'launch_plan') ?? {};
  switch (entity) {
    case Entity.execution:
      return [executionCells(row, store)];
    case Entity.launchPlan:
      return record.launchEntity === 'launch_plan'
        ? [identifierRow(launchPlan, store.entityId('l', launchPlan))]
        : [];
    case Entity.task:
      return record.launchEntity === 'task'
        ? [identifierRow(launchPlan, store.entityId('t', launchPlan))]
        : [];
    case Entity.workflow:
      return [identifierRow(record.workflowId, store.entityId('w', record.workflowId))];
    case Entity.executionTag: {
      // Admin writes one tag per label (key/value) and one per deprecated spec tag (value "").
      const labels = messageField(messageField(record.spec, 'labels'), 'values') ?? {};
      const tags = Array.isArray(record.spec.tags) ? record.spec.tags : [];
      const pairs: Array<[string, string]> = [
        ...Object.entries(labels).map(([k, v]): [string, string] => [k, typeof v === 'string' ? v : '']),
        ...tags.map((tag): [string, string] => [String(tag), '']),
      ];
      const { project, domain, name } = record.id;
      return pairs.map(([key, value]) => ({
        key,
        value,
        execution_project: project,
        execution_domain: domain,
        execution_name: name,
      }));
    }
    default:
      return [];
  }
}
