/**
 * Operations on an existing run: `CancelRunWithUri` (`POST …/runId/{runId}/cancel`) and the Run History
 * read the emulator offers for tests (`GET /history/v1.0/…/runs/{runId}`), plus the invocation bundle
 * `startlocalrun` answers with. Cancel is asynchronous as in the service: an active run goes to
 * CancelRequested and later Canceled; cancelling a finished run is configurable (§3.4: unconfirmed).
 * @module
 */
import { InnerCode, TERMINAL_STATUSES } from './constants.js';
import { dotnetUtc, userError } from './errors.js';
import type { ResolvedOptions } from './options.js';
import type { RouteMatch } from './routes.js';
import type { AzureMlRun, RunRecord, RunStore } from './store.js';
import { writeZip } from './zip-writer.js';

function existing(store: RunStore, match: RouteMatch): RunRecord {
  const runId = match.runId ?? '';
  const record = store.find(match.scope, runId);
  if (!record)
    throw userError(
      404,
      InnerCode.NotFoundError,
      `Run ${runId} was not found in experiment ${match.scope.experimentName}.`,
      'runId',
    );
  return record;
}

/**
 * Cancels a run. Active → CancelRequested (now); CancelRequested → unchanged (a retried cancel is
 * harmless); Completed/Failed/Canceled → unchanged 200, or 409 with `cancelTerminal: 'conflict'`.
 */
export function cancelRun(
  store: RunStore,
  options: ResolvedOptions,
  match: RouteMatch,
  now: number,
): { runId: string } {
  const record = existing(store, match);
  const { status } = store.view(record);
  if (TERMINAL_STATUSES.has(status)) {
    if (options.cancelTerminal === 'conflict')
      throw userError(
        409,
        InnerCode.RunInTerminalState,
        `Run ${record.runId} cannot be canceled: it is already ${status}.`,
        'runId',
      );
  } else if (record.cancelRequestedAt === undefined) {
    record.cancelRequestedAt = now;
  }
  return { runId: record.runId };
}

function utc(epochMs: number | undefined): string | null {
  return epochMs === undefined ? null : dotnetUtc(epochMs);
}

/** Run History–style details of one run (a subset of `RunDetails`). */
function runDetails(run: AzureMlRun) {
  return {
    runId: run.runId,
    runUuid: run.runUuid,
    parentRunId: run.parentRunId ?? null,
    rootRunId: run.runId,
    experimentName: run.experimentName,
    status: run.status,
    target: run.target ?? null,
    runType: run.runType ?? 'experiment',
    snapshotId: run.snapshotId ?? null,
    createdUtc: dotnetUtc(run.createdAt),
    startTimeUtc: utc(run.startedAt),
    endTimeUtc: utc(run.endedAt),
    cancelRequestedUtc: utc(run.cancelRequestedAt),
  };
}

/** `GET /history/v1.0/…/experiments/{exp}/runs/{runId}`. */
export function getRun(store: RunStore, match: RouteMatch) {
  return runDetails(store.view(existing(store, match)));
}

/**
 * The `startlocalrun` answer: a zip with `azureml-setup/Invocation.sh` and `.bat`, the scripts the v1 SDK
 * runs after extracting the bundle (§3.3). They only print what would run.
 */
export function invocationBundle(
  run: { runId: string; script?: string },
  experimentName: string,
  now: number,
): Buffer {
  // The script path comes from the caller: keep only characters that are inert in sh and cmd.
  const script = run.script?.replace(/[^\w./-]/g, '_');
  const what = `run ${run.runId} of experiment ${experimentName}${script ? ` (script ${script})` : ''}`;
  return writeZip(
    [
      {
        name: 'azureml-setup/Invocation.sh',
        data: `#!/bin/sh\n# Azure ML emulator invocation bundle.\necho "Would start ${what}"\n`,
        mode: 0o755,
      },
      {
        name: 'azureml-setup/Invocation.bat',
        data: `@echo off\r\nREM Azure ML emulator invocation bundle.\r\necho Would start ${what}\r\n`,
      },
    ],
    now,
  );
}
