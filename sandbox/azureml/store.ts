/**
 * In-memory run store of the Azure ML emulator, keyed by (subscription, resource group, workspace,
 * experiment, run id). ARM names (subscription, resource group, workspace) compare case-insensitively as
 * ARM does; experiment and run id exactly. Records keep what arrived — the run definition as parsed, and
 * for `startrun` the zip's size and SHA-256 — so a test can check byte for byte what a gateway sent.
 * Statuses are not stored but computed on read (see `timeline.ts`).
 * @module
 */
import { randomUUID } from 'node:crypto';
import { RUN_ID_PATTERN, type RunStatus } from './constants.js';
import type { ResolvedOptions } from './options.js';
import type { ExperimentScope } from './routes.js';
import type { JsonObject, RunDefinitionFields } from './run-definition.js';
import { statusAt, type TimelineInput } from './timeline.js';

/** Which operation created a run. */
export type StartOperation = 'startrun' | 'snapshotrun' | 'startlocalrun';

/** What arrived in `projectZipFile`. */
export interface ReceivedZip {
  bytes: number;
  /** SHA-256 of the part's bytes, lower-case hex. */
  sha256: string;
  /** `filename` of the part as sent. */
  filename: string;
}

/** A stored run as tests see it: everything received plus the status at the time of reading. */
export interface AzureMlRun extends ExperimentScope, RunDefinitionFields {
  runId: string;
  runUuid: string;
  operation: StartOperation;
  status: RunStatus;
  /** The RunDefinition JSON as received (original key casing). */
  definition: JsonObject;
  /** `startrun` only: the `runDefinitionFile` part's filename. */
  definitionFilename?: string;
  /** `startrun` only: the received project zip. */
  zip?: ReceivedZip;
  /** Epoch ms on the emulator clock. */
  createdAt: number;
  startedAt?: number;
  endedAt?: number;
  cancelRequestedAt?: number;
}

/** The stored part of a run: everything but the computed status fields. */
export type RunRecord = Omit<AzureMlRun, 'status' | 'startedAt' | 'endedAt'> & TimelineInput;

/** Read access to the stored runs, as exposed on the emulator. */
export interface RunReader {
  /** The run `runId` of `experimentName` in workspace `workspaceName` (any subscription/resource group). */
  getRun(workspaceName: string, experimentName: string, runId: string): AzureMlRun | undefined;
  /** Every run, oldest first. */
  listRuns(): AzureMlRun[];
}

export class RunStore implements RunReader {
  private readonly runs = new Map<string, RunRecord>();

  constructor(private readonly options: ResolvedOptions) {}

  private static key(scope: ExperimentScope, runId: string): string {
    return [
      scope.subscriptionId.toLowerCase(),
      scope.resourceGroupName.toLowerCase(),
      scope.workspaceName.toLowerCase(),
      scope.experimentName,
      runId,
    ].join('\u0000');
  }

  /** The stored record (not a view), for operations that change it. */
  find(scope: ExperimentScope, runId: string): RunRecord | undefined {
    return this.runs.get(RunStore.key(scope, runId));
  }

  has(scope: ExperimentScope, runId: string): boolean {
    return this.runs.has(RunStore.key(scope, runId));
  }

  /**
   * A service-style id `{experiment}_{epochMillis}` (§6), made unique with `_1`, `_2`, … when that id is
   * taken, e.g. by a second run started in the same millisecond.
   */
  generateRunId(scope: ExperimentScope, now: number): string {
    const base = `${scope.experimentName}_${now}`;
    let candidate = base;
    for (let n = 1; this.has(scope, candidate); n++) candidate = `${base}_${n}`;
    if (!RUN_ID_PATTERN.test(candidate)) candidate = `run_${now}_${randomUUID().slice(0, 8)}`;
    return candidate;
  }

  insert(record: Omit<RunRecord, 'runUuid'>): RunRecord {
    const stored: RunRecord = { ...record, runUuid: randomUUID() };
    this.runs.set(RunStore.key(record, record.runId), stored);
    return stored;
  }

  /** A copy of the record with its status at the emulator's `now`. */
  view(record: RunRecord): AzureMlRun {
    const { finalStatus: _final, pinnedStatus: _pinned, ...rest } = record;
    return {
      ...structuredClone(rest),
      ...statusAt(record, this.options.delays, this.options.now()),
    };
  }

  getRun(workspaceName: string, experimentName: string, runId: string): AzureMlRun | undefined {
    const workspace = workspaceName.toLowerCase();
    for (const record of this.runs.values())
      if (
        record.workspaceName.toLowerCase() === workspace &&
        record.experimentName === experimentName &&
        record.runId === runId
      )
        return this.view(record);
    return undefined;
  }

  listRuns(): AzureMlRun[] {
    return [...this.runs.values()].map((record) => this.view(record));
  }

  clear(): void {
    this.runs.clear();
  }
}
