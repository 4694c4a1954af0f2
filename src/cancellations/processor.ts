/**
 * @module
 * Processes one cancellation message: gives a producer's targets their batch indexes, skips
 * targets that already have a final outcome (so a redelivered message cancels nothing
 * twice), cancels the rest through the catalog's cancel operation for their kind with at most
 * `CANCEL_CONCURRENCY` calls in flight and no inline retry, records each outcome, and
 * re-enqueues only the transient failures, with a visibility delay that honours
 * `Retry-After`, until `CANCEL_MAX_ATTEMPTS` calls have been made for a target.
 */
import { correlate } from '../http/correlation.js';
import type { Logger } from '../log.js';
import type { Runtime } from '../runtime.js';
import { type DecodedMessage, encodeMessages } from './messages.js';
import { type CallResult, classifyAnswer, classifyError } from './outcomes.js';
import type { CancellationQueue } from './queue.js';
import type { CancellationStore, TargetRecord } from './store.js';
import { pendingRecord } from './store.js';
import { cancelInput, type Target } from './targets.js';

export interface ProcessorDeps {
  runtime: Runtime;
  store: CancellationStore;
  queue: CancellationQueue;
  log: Logger;
}

/** The queue message being processed, as the trigger's metadata gives it. */
export interface MessageInfo {
  id: string;
  dequeueCount: number;
}

export interface ProcessSummary {
  batchId: string;
  targets: number;
  /** Targets that already had a final outcome (a redelivered message). */
  skipped: number;
  calls: number;
  /** Targets put back on the queue for a later attempt. */
  retried: number;
}

/** Outcomes are written in transactions of up to 100 rows, at least this often. */
const RECORD_INTERVAL_MS = 25;
const RECORD_BATCH = 100;

/**
 * @example
 * const summary = await processMessage(decoded, { id: message.messageId, dequeueCount: 1 }, deps);
 */
export async function processMessage(
  message: DecodedMessage,
  info: MessageInfo,
  deps: ProcessorDeps,
): Promise<ProcessSummary> {
  const { store, runtime } = deps;
  const settings = runtime.settings;
  const batchId = message.batchId ?? info.id;
  const first = message.indexed
    ? 0
    : await store.reserve(batchId, info.id, message.entries.length, message.cause);
  const entries = message.entries.map((entry, position) => ({
    ...entry,
    index: entry.index ?? first + position,
  }));
  const stored = await store.readTargets(
    batchId,
    entries.map((e) => e.index),
  );

  const recorder = new Recorder(store, batchId);
  const work: { index: number; target: Target; attempts: number }[] = [];
  const unseen: TargetRecord[] = [];
  let skipped = 0;
  for (const entry of entries) {
    const row = stored.get(entry.index);
    if (row && row.outcome !== 'pending') {
      skipped += 1;
      continue;
    }
    if ('problem' in entry) {
      recorder.add({
        index: entry.index,
        kind: row?.kind ?? 'flyte',
        identity: row?.identity ?? {},
        outcome: 'failed',
        attempts: row?.attempts ?? 0,
        detail: entry.problem,
      });
      continue;
    }
    if (!row) unseen.push(pendingRecord(entry.index, entry.target));
    work.push({ index: entry.index, target: entry.target, attempts: row?.attempts ?? 0 });
  }
  // A producer's targets are listed as pending before any is called.
  await store.write(batchId, unseen);

  const correlation = correlate(new Headers({ 'x-request-id': info.id }));
  const ctx = { runtime, correlation, log: deps.log, retry: false as const };
  const retries = new Map<number, (Target & { index: number })[]>();
  let calls = 0;

  await forEachConcurrently(work, settings.CANCEL_CONCURRENCY, async ({ index, target, attempts }) => {
    const record = pendingRecord(index, target);
    if (attempts >= settings.CANCEL_MAX_ATTEMPTS) {
      recorder.add({ ...record, outcome: 'failed', attempts, detail: 'no attempts left' });
      return;
    }
    let result: CallResult;
    try {
      const { op, input } = cancelInput(target, message.cause, settings);
      runtime.assertConfigured(op.capability);
      op.guard?.(input, ctx);
      calls += 1;
      attempts += 1;
      result = await classifyAnswer(target.kind, await op.call(input, ctx));
    } catch (error) {
      result = classifyError(error);
    }
    const { outcome, status, detail } = result;
    const base = {
      ...record,
      attempts,
      ...(status === undefined ? {} : { status }),
      ...(detail ? { detail } : {}),
    };
    if (outcome !== 'transient') return recorder.add({ ...base, outcome });
    if (attempts >= settings.CANCEL_MAX_ATTEMPTS) return recorder.add({ ...base, outcome: 'failed' });
    recorder.add({ ...base, outcome: 'pending' });
    const delay = retryDelaySeconds(attempts, result.retryAfterMs);
    retries.set(delay, [...(retries.get(delay) ?? []), { ...target, index }]);
  });
  // Attempts are on record before the retries exist, so a crash in between only repeats work.
  await recorder.close();
  let retried = 0;
  for (const [delay, targets] of retries) {
    for (const { text } of encodeMessages(batchId, message.cause, targets))
      await deps.queue.send(text, delay);
    retried += targets.length;
  }
  return { batchId, targets: entries.length, skipped, calls, retried };
}

/**
 * Seconds before a transient failure is tried again: 1, 2, 4, … up to 60 with ±25 % jitter,
 * and never sooner than the upstream's `Retry-After`. Queue visibility counts whole seconds.
 */
export function retryDelaySeconds(attempts: number, retryAfterMs?: number, random = Math.random): number {
  const backoff = Math.min(60, 2 ** (attempts - 1)) * (0.75 + random() * 0.5);
  return Math.max(1, Math.ceil(Math.max(backoff, (retryAfterMs ?? 0) / 1000)));
}

/** Runs `fn` over `items` with at most `limit` calls in flight. */
async function forEachConcurrently<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * Buffers outcomes and writes them in transactions: when 100 have gathered or 25 ms have
 * passed, whichever comes first. `close` writes the rest and reports any failed write.
 */
class Recorder {
  private buffer: TargetRecord[] = [];
  private readonly writes: Promise<void>[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: CancellationStore,
    private readonly batchId: string,
  ) {}

  add(record: TargetRecord): void {
    this.buffer.push(record);
    if (this.buffer.length >= RECORD_BATCH) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), RECORD_INTERVAL_MS);
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.buffer.length === 0) return;
    const records = this.buffer;
    this.buffer = [];
    const write = this.store.write(this.batchId, records);
    write.catch(() => undefined); // reported by close()
    this.writes.push(write);
  }

  async close(): Promise<void> {
    this.flush();
    await Promise.all(this.writes);
  }
}
