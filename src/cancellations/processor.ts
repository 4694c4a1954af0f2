/**
 * @module
 * Processes one cancellation message: gives a producer's targets their batch indexes, skips
 * targets that already have a final outcome or whose retry is out (so a redelivered message
 * cancels nothing twice), cancels the rest through the catalog's cancel operation for their
 * kind — the same `invoke` REST and MCP use, from the guard on (targets were validated when
 * accepted) — with at most `CANCEL_CONCURRENCY` calls in flight and no inline retry, and
 * records each outcome as it comes. A transient failure goes back on the queue as soon as its
 * record is written (`chunk-saver.ts`), with a delay that honours `Retry-After` up to a cap
 * (`retry-plan.ts`), until `CANCEL_MAX_ATTEMPTS` calls have been made. A copy of a target met
 * earlier in the batch (`sameAs`) makes no call: it takes that target's outcome, here or, when
 * that is not final yet, on a later look.
 */
import { invokeValidated } from '../catalog/invoke.js';
import type { OperationServices } from '../catalog/operation.js';
import { errorName } from '../problems/errors.js';
import { correlate } from '../shared/correlation.js';
import type { Logger } from '../shared/log.js';
import { readCapped } from '../shared/read-capped.js';
import { countBatchOutcome, startWorkSpan } from '../telemetry/spans.js';
import { ChunkSaver, type QueuedRetry, type SaverOptions } from './chunk-saver.js';
import { firstCopies } from './duplicates.js';
import { type DecodedMessage, encodeMessages, type MessageEntry } from './messages.js';
import { type CallResult, classifyError } from './outcomes.js';
import { type CancellationQueue, MAX_DELAY_SECONDS } from './queue.js';
import { planRetry } from './retry-plan.js';
import { type CancellationStore, chunkKey, pendingRecord, type TargetRecord } from './store.js';
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
  /** How the chunk is written (tests shorten the patience). */
  saving?: SaverOptions;
}

/** The queue message being processed, as the trigger's metadata gives it. */
export interface MessageInfo {
  id: string;
  dequeueCount: number;
}

export interface ProcessSummary {
  batchId: string;
  targets: number;
  /** Targets that already had a final outcome, or whose retry another message makes. */
  skipped: number;
  calls: number;
  /** Targets put back on the queue for a later attempt. */
  retried: number;
  /** Copies of an earlier target that took its outcome, or will look for it again later. */
  copies: number;
  /** Time to read (or record) the chunk, to make the calls, and to write the outcomes. */
  readMs: number;
  callsMs: number;
  recordMs: number;
}

type Entry = MessageEntry & { index: number };
type Copy = Entry & { target: Target; sameAs: number };

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
  const entries = withCopies(
    message.entries.map((entry, position) => ({ ...entry, index: entry.index ?? first + position })),
    message.indexed,
  );
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
          ? pendingRecord(e.index, { ...e.target, sameAs: e.sameAs })
          : pendingRecord(e.index, { ...e.identity, kind: e.kind }),
      ),
    ));
  const read = performance.now();
  const send = async (delaySeconds: number, retries: QueuedRetry[]) => {
    const targets = retries.map((r) => r.target);
    for (const { text } of encodeMessages(batchId, message.cause, targets, key))
      await deps.queue.send(text, delaySeconds);
  };
  const saver = new ChunkSaver(store, batchId, chunk, send, deps.saving);
  const stored = new Map(chunk.targets.map((t) => [t.index, t]));

  const work: { index: number; target: Target; attempts: number }[] = [];
  const waitingFor = new Map<number, Copy[]>();
  const elsewhere: Copy[] = [];
  const here = new Set(entries.map((e) => e.index));
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
    if (entry.sameAs !== undefined) {
      const copy = entry as Copy;
      if (here.has(copy.sameAs)) waitingFor.set(copy.sameAs, [...(waitingFor.get(copy.sameAs) ?? []), copy]);
      else elsewhere.push(copy);
      continue;
    }
    const attempts = row?.attempts ?? 0;
    // A retry made stale by a later attempt, or (in any other message) a target whose retry is out.
    const another = entry.attempt !== undefined ? attempts !== entry.attempt : row?.queued === attempts;
    if (another) {
      skipped += 1;
      continue;
    }
    work.push({ index: entry.index, target: entry.target, attempts });
  }
  const called = new Set(work.map((w) => w.index));
  for (const [sameAs, copies] of waitingFor) if (!called.has(sameAs)) elsewhere.push(...copies);
  let copies = 0;
  let retried = 0;

  /** A copy takes its first copy's final outcome, or looks again later. */
  const follow = (copy: Copy, first: TargetRecord | undefined, delaySeconds?: number) => {
    copies += 1;
    const record = pendingRecord(copy.index, { ...copy.target, sameAs: copy.sameAs });
    if (first && first.outcome !== 'pending') {
      const { outcome, attempts, status, detail } = first;
      return saver.record({
        ...record,
        outcome,
        attempts,
        ...(status === undefined ? {} : { status }),
        ...(detail === undefined ? {} : { detail }),
      });
    }
    const round = copy.round ?? 0;
    if (round >= maxFollowRounds(settings)) {
      return saver.record({
        ...record,
        outcome: 'failed',
        detail: `the same target at index ${copy.sameAs} had no final outcome after ${round} looks`,
      });
    }
    const again = {
      ...copy.target,
      index: copy.index,
      sameAs: copy.sameAs,
      in: copy.in ?? key,
      round: round + 1,
    };
    saver.record(record, { delaySeconds: delaySeconds ?? Math.min(60, 2 ** round), target: again });
  };
  await followElsewhere(elsewhere, key, stored, (k) => store.readChunk(batchId, k), follow);

  // The message id is the request id of every call it makes.
  const given = correlate(new Headers({ 'x-request-id': info.id }));
  // With telemetry on, one span per message, parent of its upstream calls.
  const span = startWorkSpan('cancellations process', 'consumer', given, {
    'messaging.operation.type': 'process',
    'messaging.message.id': info.id,
    'gateway.batch_id': batchId,
  });
  const correlation = span?.correlation ?? given;
  const ctx = { services, correlation, log: deps.log.child({}, correlation.trace), retry: false as const };
  const limits = { maxRetryAfterS: settings.CANCEL_MAX_RETRY_AFTER_S, maxDelayS: MAX_DELAY_SECONDS };
  let calls = 0;

  /** Records a target's outcome (and queues its retry) at once, and its copies' in this message. */
  const settle = (record: TargetRecord, retryIn?: number) => {
    countBatchOutcome(retryIn === undefined ? record.outcome : 'retried');
    if (retryIn === undefined) saver.record(record);
    else {
      retried += 1;
      const target = { ...record.identity, kind: record.kind, index: record.index, attempt: record.attempts };
      saver.record(record, { delaySeconds: retryIn, target: target as QueuedRetry['target'] });
    }
    // Copies look again just after the retry.
    for (const copy of waitingFor.get(record.index) ?? [])
      follow(copy, record, retryIn === undefined ? undefined : retryIn + 1);
  };

  await forEachConcurrently(work, settings.CANCEL_CONCURRENCY, async ({ index, target, attempts }) => {
    const record = pendingRecord(index, target);
    if (attempts >= settings.CANCEL_MAX_ATTEMPTS) {
      return settle({ ...record, outcome: 'failed', attempts, detail: 'no attempts left' });
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
    if (outcome !== 'transient') return settle({ ...base, outcome });
    if (attempts >= settings.CANCEL_MAX_ATTEMPTS) return settle({ ...base, outcome: 'failed' });
    const plan = planRetry(attempts, result.retryAfterMs, limits);
    if ('reason' in plan)
      return settle({ ...base, outcome: 'failed', detail: `${detail}; not retried: ${plan.reason}` });
    settle({ ...base, outcome: 'pending' }, plan.delaySeconds);
  });
  const callsDone = performance.now();
  await saver.close().catch((error: unknown) => {
    span?.end(errorName(error));
    throw error;
  });
  span?.end();
  const recorded = performance.now();
  return {
    batchId,
    targets: entries.length,
    skipped,
    calls,
    retried,
    copies,
    readMs: Math.round(read - started),
    callsMs: Math.round(callsDone - read),
    recordMs: Math.round(recorded - callsDone),
  };
}

/** A producer's message: a target met earlier in it becomes a copy (the gateway marks its own). */
function withCopies(entries: Entry[], indexed: boolean): Entry[] {
  if (indexed) return entries;
  const copies = firstCopies(
    entries.map((e) => ({ index: e.index, target: 'target' in e ? e.target : undefined })),
  );
  return entries.map((e) => {
    const sameAs = copies.get(e.index);
    return sameAs === undefined ? e : { ...e, sameAs };
  });
}

/** Copies whose first copy is not called by this message: read its record, chunk by chunk. */
async function followElsewhere(
  copies: Copy[],
  key: string,
  stored: ReadonlyMap<number, TargetRecord>,
  readChunk: (key: string) => Promise<{ targets: TargetRecord[] } | undefined>,
  follow: (copy: Copy, first: TargetRecord | undefined) => void,
): Promise<void> {
  const byChunk = new Map<string, Copy[]>();
  for (const copy of copies) {
    const home = copy.in ?? key;
    byChunk.set(home, [...(byChunk.get(home) ?? []), copy]);
  }
  for (const [home, group] of byChunk) {
    const rows =
      home === key ? stored : new Map(((await readChunk(home))?.targets ?? []).map((t) => [t.index, t]));
    for (const copy of group) follow(copy, rows.get(copy.sameAs));
  }
}

/**
 * How often a copy looks for its first copy's outcome before it gives up: enough for that
 * target's every attempt to wait out the longest Retry-After twice over, plus an hour.
 */
function maxFollowRounds(settings: {
  CANCEL_MAX_ATTEMPTS: number;
  CANCEL_MAX_RETRY_AFTER_S: number;
}): number {
  const lifetimeS = 2 * settings.CANCEL_MAX_ATTEMPTS * Math.max(75, settings.CANCEL_MAX_RETRY_AFTER_S) + 3600;
  return Math.ceil(lifetimeS / 60) + 7;
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
