/**
 * Lazy phase machine. An execution stores only when it was created, its delays, its outcome and (after a
 * terminate) when the abort was asked for; its phase at any instant is computed from those and the clock.
 * No timers means nothing to cancel on close, and a test that injects `now()` can jump straight to any phase.
 * Paths follow flyteadmin/propeller: UNDEFINED → RUNNING → [SUCCEEDING|FAILING →] outcome, and
 * <non-terminal> → ABORTING → ABORTED once terminated.
 * @module
 */
import { type Phase, TERMINAL_PHASES } from './constants.js';
import type { ResolvedDelays, TerminalOutcome } from './options.js';

/** Everything the phase of one execution depends on. */
export interface Timeline {
  createdAt: number;
  delays: ResolvedDelays;
  initialPhase: Extract<Phase, 'UNDEFINED' | 'QUEUED'>;
  outcome: TerminalOutcome;
  /** Seeded executions may sit in a fixed phase instead of progressing. */
  pinned?: { phase: Phase; startedAt?: number; updatedAt: number };
  /** Set by terminate; later terminates overwrite cause/principal but keep `requestedAt`. */
  abort?: { requestedAt: number; cause: string; principal: string };
}

/** The closure-relevant view of an execution at one instant. */
export interface PhaseState {
  phase: Phase;
  /** When RUNNING was reported; undefined until then (closure `started_at` is null). */
  startedAt?: number;
  /** Time of the last phase event (closure `updated_at`). */
  updatedAt: number;
  /** Terminal phases only: `updatedAt − startedAt` when it ever started. */
  durationMs?: number;
}

function finished(phase: Phase, startedAt: number | undefined, at: number): PhaseState {
  return {
    phase,
    startedAt,
    updatedAt: at,
    durationMs: startedAt === undefined ? undefined : at - startedAt,
  };
}

function naturalPhase(timeline: Timeline, at: number): PhaseState {
  const { pinned } = timeline;
  if (pinned) {
    return TERMINAL_PHASES.has(pinned.phase)
      ? finished(pinned.phase, pinned.startedAt, pinned.updatedAt)
      : { phase: pinned.phase, startedAt: pinned.startedAt, updatedAt: pinned.updatedAt };
  }
  const { createdAt, delays, outcome } = timeline;
  const runningAt = createdAt + delays.queued;
  const finishingAt = runningAt + delays.running;
  const doneAt = finishingAt + delays.finishing;
  if (at < runningAt) return { phase: timeline.initialPhase, updatedAt: createdAt };
  if (at < finishingAt) return { phase: 'RUNNING', startedAt: runningAt, updatedAt: runningAt };
  if (at < doneAt) {
    // A time-out has no intermediate phase in propeller; it simply stays RUNNING until it is cut off.
    if (outcome === 'TIMED_OUT') return { phase: 'RUNNING', startedAt: runningAt, updatedAt: runningAt };
    return {
      phase: outcome === 'FAILED' ? 'FAILING' : 'SUCCEEDING',
      startedAt: runningAt,
      updatedAt: finishingAt,
    };
  }
  return finished(outcome, runningAt, doneAt);
}

/**
 * Phase of an execution at `at` (epoch ms).
 * @example
 * const t = { createdAt: 0, delays: { queued: 50, running: 200, finishing: 0, aborting: 50 },
 *             initialPhase: 'UNDEFINED', outcome: 'SUCCEEDED' } as const;
 * phaseAt(t, 100).phase; // 'RUNNING'
 * phaseAt(t, 250);       // { phase: 'SUCCEEDED', startedAt: 50, updatedAt: 250, durationMs: 200 }
 */
export function phaseAt(timeline: Timeline, at: number): PhaseState {
  const { abort } = timeline;
  if (!abort || at < abort.requestedAt) return naturalPhase(timeline, at);
  const before = naturalPhase(timeline, abort.requestedAt);
  const abortedAt = abort.requestedAt + timeline.delays.aborting;
  // flyteadmin records ABORTING without touching updated_at; only propeller's ABORTED event moves it.
  if (at < abortedAt) return { phase: 'ABORTING', startedAt: before.startedAt, updatedAt: before.updatedAt };
  return finished('ABORTED', before.startedAt, abortedAt);
}
