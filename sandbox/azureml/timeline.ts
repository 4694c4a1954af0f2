/**
 * Run status over time, computed lazily: a run stores only when it was created, how it will end and when a
 * cancel arrived; its status at any instant follows from those and the configured delays. So a test can
 * inject a clock and jump, and nothing runs in the background. Path: NotStarted → Starting → Queued →
 * Running → Finalizing → Completed|Failed (§7); a cancel moves any active run to CancelRequested and then
 * Canceled. A seeded run may instead be pinned in one status from its creation: an active one stays there
 * until cancelled, a terminal one (or CancelRequested) for good.
 * @module
 */
import { FORWARD_PATH, RunStatus, TERMINAL_STATUSES } from './constants.js';
import type { ResolvedDelays } from './options.js';

export interface TimelineInput {
  createdAt: number;
  finalStatus: 'Completed' | 'Failed';
  cancelRequestedAt?: number;
  /** Seeded runs only: the status the run stays in from `createdAt` instead of walking the path. */
  pinnedStatus?: RunStatus;
}

export interface Transition {
  status: RunStatus;
  /** Epoch ms the run entered `status`. */
  at: number;
}

const DELAY_OF: Record<(typeof FORWARD_PATH)[number], keyof ResolvedDelays> = {
  NotStarted: 'notStarted',
  Starting: 'starting',
  Queued: 'queued',
  Running: 'running',
  Finalizing: 'finalizing',
};

/**
 * Every status a run passes through, with entry times, oldest first.
 * @example transitions({ createdAt: 0, finalStatus: 'Completed' }, delays)[0] // { status: 'NotStarted', at: 0 }
 */
function transitions(run: TimelineInput, delays: ResolvedDelays): Transition[] {
  const list: Transition[] = [];
  if (run.pinnedStatus !== undefined) {
    list.push({ status: run.pinnedStatus, at: run.createdAt });
    if (TERMINAL_STATUSES.has(run.pinnedStatus) || run.pinnedStatus === RunStatus.CancelRequested)
      return list;
  } else {
    let at = run.createdAt;
    for (const status of FORWARD_PATH) {
      const delay = delays[DELAY_OF[status]];
      if (delay === 0) continue;
      list.push({ status, at });
      at += delay;
    }
    list.push({ status: run.finalStatus, at });
  }
  const cancelAt = run.cancelRequestedAt;
  if (cancelAt === undefined) return list;
  const before = list.filter((step) => step.at < cancelAt);
  if (delays.cancelRequested > 0) before.push({ status: RunStatus.CancelRequested, at: cancelAt });
  before.push({ status: RunStatus.Canceled, at: cancelAt + delays.cancelRequested });
  return before;
}

/** Status and milestone times of a run at `now`. */
export interface StatusView {
  status: RunStatus;
  /** When it entered Running, if it has. */
  startedAt?: number;
  /** When it reached a terminal status, if it has. */
  endedAt?: number;
}

/** What the run looks like at `now` (before creation it reports its first status). */
export function statusAt(run: TimelineInput, delays: ResolvedDelays, now: number): StatusView {
  const steps = transitions(run, delays);
  let current = steps[0] ?? { status: RunStatus.NotStarted, at: run.createdAt };
  for (const step of steps) if (step.at <= now) current = step;
  const view: StatusView = { status: current.status };
  const running = steps.find((step) => step.status === RunStatus.Running);
  if (running && running.at <= now) view.startedAt = running.at;
  if (TERMINAL_STATUSES.has(current.status)) view.endedAt = current.at;
  return view;
}
