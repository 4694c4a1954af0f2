/**
 * In-memory table of executions keyed by (project, domain, name), in insertion order, which stands in for
 * flyteadmin's `executions` table (its unsorted list order is insertion order here). A record holds what
 * admin persists — the admitted spec, the caller's inputs, the launch reference — and the `Timeline` the
 * phase is computed from; nothing in it changes with time except an abort request.
 * @module
 */
import { GrpcCode } from './constants.js';
import type { ProtoObject } from './proto-value.js';
import { executionNotFound, StatusError } from './status-error.js';
import type { Timeline } from './timeline.js';

export interface ExecutionId {
  project: string;
  domain: string;
  name: string;
}

/** How a FAILED execution explains itself (closure `error`). */
export interface ExecutionFailure {
  code: string;
  message: string;
  kind: 'UNKNOWN' | 'USER' | 'SYSTEM';
}

export interface ExecutionRecord {
  /** Auto-increment primary id (`executions.id`), also the tiebreak for sorting. */
  seq: number;
  id: ExecutionId;
  /** Canonical `admin.ExecutionSpec` as admin stored it (principal, system metadata, defaults filled). */
  spec: ProtoObject;
  /** Canonical `core.LiteralMap` the caller sent; relaunch and recover copy it. */
  userInputs?: ProtoObject;
  /** Canonical `core.Identifier` of the workflow behind the launch plan (closure `workflow_id`). */
  workflowId: ProtoObject;
  launchEntity: 'launch_plan' | 'task';
  /** `seq` of the execution this one relaunches/recovers, 0 otherwise (`source_execution_id`). */
  sourceSeq: number;
  timeline: Timeline;
  failure: ExecutionFailure;
}

function key(id: ExecutionId): string {
  return JSON.stringify([id.project, id.domain, id.name]);
}

/**
 * The executions table.
 * @example
 * const store = new ExecutionStore();
 * store.insert(record);            // throws 409 on a second insert with the same id
 * store.get(record.id).spec;       // throws 404 for unknown ids
 */
export class ExecutionStore {
  readonly #records = new Map<string, ExecutionRecord>();
  readonly #entityIds = new Map<string, number>();
  #seq = 0;

  /** Next primary id; ids are never reused, even after `clear()`, as in a database sequence. */
  nextSeq(): number {
    this.#seq += 1;
    return this.#seq;
  }

  /**
   * Stable small integer for a referenced entity (launch plan, workflow, task), standing in for the
   * foreign keys (`launch_plan_id`, …) that filters and sorting can name.
   */
  entityId(kind: string, identifier: ProtoObject): number {
    const entityKey = JSON.stringify([
      kind,
      identifier.project,
      identifier.domain,
      identifier.name,
      identifier.version,
    ]);
    let id = this.#entityIds.get(entityKey);
    if (id === undefined) {
      id = this.#entityIds.size + 1;
      this.#entityIds.set(entityKey, id);
    }
    return id;
  }

  /** Adds a record; an existing (project, domain, name) is Postgres' unique violation, i.e. code 6. */
  insert(record: ExecutionRecord): void {
    const recordKey = key(record.id);
    if (this.#records.has(recordKey)) {
      throw new StatusError(
        GrpcCode.ALREADY_EXISTS,
        'value with matching already exists (duplicate key value violates unique constraint "executions_pkey")',
      );
    }
    this.#records.set(recordKey, record);
  }

  find(id: ExecutionId): ExecutionRecord | undefined {
    return this.#records.get(key(id));
  }

  /** The record, or flyteadmin's NOT_FOUND. */
  get(id: ExecutionId): ExecutionRecord {
    const record = this.find(id);
    if (!record) throw executionNotFound(id);
    return record;
  }

  all(): ExecutionRecord[] {
    return [...this.#records.values()];
  }

  get size(): number {
    return this.#records.size;
  }

  clear(): void {
    this.#records.clear();
  }
}
