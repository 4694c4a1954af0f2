/**
 * @module
 * Processes one cancellation message: gives a producer's targets their batch indexes, skips
 * targets that already have a final outcome (so a redelivered message cancels nothing
 * twice), cancels the rest through the catalog's cancel operation for their kind — the same
 * `invoke` REST and MCP use, from the guard on (targets were validated when accepted) — with at
 * most `CANCEL_CONCURRENCY` calls in flight and no inline retry, records each outcome, and
 * re-enqueues only the transient failures, with a visibility delay that honours
 * `Retry-After`, until `CANCEL_MAX_ATTEMPTS` calls have been made for a target.
 */
import { invokeValidated } from '../catalog/invoke.js';
import type { OperationServices } from '../catalog/operation.js';
import { correlate } from '../shared/correlation.js';
import type { Logger } from '../shared/log.js';
import { readCapped } from '../shared/read-capped.js';
import { type DecodedMessage, encodeMessages } from './messages.js';
import { type CallResult, classifyError } from './outcomes.js';
import type { CancellationQueue } from './queue.js';
import { type CancellationStore, type Chunk, chunkKey, pendingRecord, type TargetRecord } from './store.js';
import { cancelInput, type Target } from './targets.js';

/** The batch's queue and report table. */
export interface Cancellations {
  store: CancellationStore;
  queue: CancellationQueue;
}

/** What batch cancellation needs of the app: the operations' services, plus its queue and table. */
export interface CancellationServices extends OperationServices {
  /** Throws `UpstreamNotConfiguredError` without storage settings. */
  cancellations(): Cancellations;
}

export interface ProcessorDeps {
  services: OperationServices;
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
  /** Time to read (or record) the chunk, to make the calls, and to write the outcomes. */
  readMs: number;
  callsMs: number;
  recordMs: number;
}

/** While a message runs, its chunk's outcomes are written at least this often. */
const SAVE_INTERVAL_MS = 250;

/**
 * @example
 * const summary = await processMessage(decoded, { id: message.messageId, dequeueCount: 1 }, deps);
 */
export async function processMessage(
  message: DecodedMessage,
  info: MessageInfo,
  deps: ProcessorDeps,
): Promise<ProcessSummary> {
  const { store, services } = deps;
  const settings = services.settings;
  const batchId = message.batchId ?? info.id;
  const first = message.indexed
    ? 0
    : await store.reserve(batchId, info.id, message.entries.length, message.cause);
  const entries = message.entries.map((entry, position) => ({
    ...entry,
    index: entry.index ?? first + position,
  }));
  const key = message.chunk ?? chunkKey(first);
  // The chunk is on record before the message was sent (REST) or is recorded now (a
  // producer's message, or a chunk lost in between): every target listed as pending.
  const started = performance.now();
  const chunk =
    (message.indexed ? await store.readChunk(batchId, key) : undefined) ??
    (await store.createChunk(
      batchId,
      key,
      entries.map((e) =>
        'target' in e
          ? pendingRecord(e.index, e.target)
          : pendingRecord(e.index, { ...e.identity, kind: e.kind }),
      ),
    ));
  const read = performance.now();
  const saver = new ChunkSaver(store, batchId, chunk);
  const stored = new Map(chunk.targets.map((t) => [t.index, t]));

  const work: { index: number; target: Target; attempts: number }[] = [];
  let skipped = 0;
  for (const entry of entries) {
    const row = stored.get(entry.index);
    if (row && row.outcome !== 'pending') {
      skipped += 1;
      continue;
    }
    if ('problem' in entry) {
      saver.record({
        index: entry.index,
        kind: entry.kind,
        identity: entry.identity,
        outcome: 'failed',
        attempts: row?.attempts ?? 0,
        detail: entry.problem,
      });
      continue;
    }
    work.push({ index: entry.index, target: entry.target, attempts: row?.attempts ?? 0 });
  }

  // The message id is the request id of every call it makes.
  const correlation = correlate(new Headers({ 'x-request-id': info.id }));
  const ctx = { services, correlation, log: deps.log, retry: false as const };
  const retries = new Map<number, (Target & { index: number })[]>();
  let calls = 0;

  await forEachConcurrently(work, settings.CANCEL_CONCURRENCY, async ({ index, target, attempts }) => {
    const record = pendingRecord(index, target);
    if (attempts >= settings.CANCEL_MAX_ATTEMPTS) {
      saver.record({ ...record, outcome: 'failed', attempts, detail: 'no attempts left' });
      return;
    }
    let result: CallResult;
    try {
      const { op, input } = cancelInput(target, message.cause);
      const calling = () => {
        calls += 1;
        attempts += 1;
      };
      const { answer } = await invokeValidated(op, input, { ...ctx, calling });
      // Read to the end (it is small): the connection goes back to the pool.
      await readCapped(answer.body, 64 * 1024);
      result = { outcome: 'cancelled', status: answer.status };
    } catch (error) {
      result = classifyError(target.kind, error);
    }
    const { outcome, status, detail } = result;
    const base = {
      ...record,
      attempts,
      ...(status === undefined ? {} : { status }),
      ...(detail ? { detail } : {}),
    };
    if (outcome !== 'transient') return saver.record({ ...base, outcome });
    if (attempts >= settings.CANCEL_MAX_ATTEMPTS) return saver.record({ ...base, outcome: 'failed' });
    saver.record({ ...base, outcome: 'pending' });
    const delay = retryDelaySeconds(attempts, result.retryAfterMs);
    const group = retries.get(delay) ?? [];
    group.push({ ...target, index });
    retries.set(delay, group);
  });
  // Attempts are on record before the retries exist, so a crash in between only repeats work.
  const called = performance.now();
  await saver.close();
  const recorded = performance.now();
  let retried = 0;
  for (const [delay, targets] of retries) {
    for (const { text } of encodeMessages(batchId, message.cause, targets, key))
      await deps.queue.send(text, delay);
    retried += targets.length;
  }
  return {
    batchId,
    targets: entries.length,
    skipped,
    calls,
    retried,
    readMs: Math.round(read - started),
    callsMs: Math.round(called - read),
    recordMs: Math.round(recorded - called),
  };
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
export async function forEachConcurrently<T>(
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
 * Collects a message's outcomes and writes them into its chunk row: at most one write in
 * flight, the next one at least `SAVE_INTERVAL_MS` later, and a last one on `close`, which
 * also reports a failed write.
 */
class ChunkSaver {
  private readonly changed = new Map<number, TargetRecord>();
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private failure: unknown;

  constructor(
    private readonly store: CancellationStore,
    private readonly batchId: string,
    private chunk: Chunk,
  ) {}

  record(target: TargetRecord): void {
    this.changed.set(target.index, target);
    this.timer ??= setTimeout(() => this.save(), SAVE_INTERVAL_MS);
  }

  private save(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.writing = this.writing.then(async () => {
      if (this.changed.size === 0) return;
      const changed = new Map(this.changed);
      this.changed.clear();
      try {
        this.chunk = await this.store.saveChunk(this.batchId, this.chunk, changed);
      } catch (error) {
        this.failure ??= error;
        for (const [index, target] of changed) if (!this.changed.has(index)) this.changed.set(index, target);
      }
    });
    return this.writing;
  }

  async close(): Promise<void> {
    await this.save();
    if (this.failure) throw this.failure;
  }
}
