/**
 * @module
 * Writes a message's outcomes into its chunk row while the message runs, and queues each
 * target's retry as soon as its record is written — not when the message ends, so a slow call
 * holds back no other target's retry. At most one write is in flight, the next at least
 * `intervalMs` later. Order per target: its attempts are on record, then its retry is queued,
 * then the chunk notes that a retry is out (`queued`), so that a redelivered message leaves
 * that target to the retry. `close` writes the rest, and through a storage outage keeps trying
 * for `patienceMs` before it reports the failure (the message then comes again).
 */
import type { QueuedTarget } from './messages.js';
import type { CancellationStore, Chunk, TargetRecord } from './store.js';

/** A target to put back on the queue once its record is written. */
export interface QueuedRetry {
  delaySeconds: number;
  /** What the retry message carries: the target with its index and marks. */
  target: QueuedTarget;
  /** Its record as written with it. */
  record: TargetRecord;
}

export interface SaverOptions {
  /** @default 250 */
  intervalMs?: number;
  /** @default 20 s, within the local poller's 30 s lease */
  patienceMs?: number;
}

/** Sends retries that share one delay; throws if any could not be queued. */
export type RetrySender = (delaySeconds: number, retries: QueuedRetry[]) => Promise<void>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class ChunkSaver {
  private readonly changed = new Map<number, TargetRecord>();
  /** Retries whose records are not written yet, and retries written but not yet queued. */
  private readonly waiting = new Map<number, QueuedRetry>();
  private readonly unsent = new Map<number, QueuedRetry>();
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private failure: unknown;
  private readonly intervalMs: number;
  private readonly patienceMs: number;

  constructor(
    private readonly store: CancellationStore,
    private readonly batchId: string,
    private chunk: Chunk,
    private readonly send: RetrySender,
    options: SaverOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 250;
    this.patienceMs = options.patienceMs ?? 20_000;
  }

  /** Notes a target's record, and the retry to queue once it is written. */
  record(target: TargetRecord, retry?: Omit<QueuedRetry, 'record'>): void {
    this.changed.set(target.index, target);
    if (retry) this.waiting.set(target.index, { ...retry, record: target });
    else this.waiting.delete(target.index);
    this.timer ??= setTimeout(() => this.save(), this.intervalMs);
  }

  private save(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.writing = this.writing.then(() => this.flush());
    return this.writing;
  }

  private get idle(): boolean {
    return this.changed.size === 0 && this.waiting.size === 0 && this.unsent.size === 0;
  }

  /** One round: write what changed, queue the retries now on record, note them queued. */
  private async flush(): Promise<void> {
    let failed: unknown;
    if (this.changed.size > 0) {
      const changed = new Map(this.changed);
      const retries = new Map([...this.waiting].filter(([index]) => changed.has(index)));
      this.changed.clear();
      for (const index of retries.keys()) this.waiting.delete(index);
      try {
        this.chunk = await this.store.saveChunk(this.batchId, this.chunk, changed);
        for (const [index, retry] of retries) this.unsent.set(index, retry);
      } catch (error) {
        failed = error;
        // Put back what was not written, unless the target was recorded again meanwhile.
        for (const [index, target] of changed) {
          if (this.changed.has(index)) continue;
          this.changed.set(index, target);
          const retry = retries.get(index);
          if (retry) this.waiting.set(index, retry);
        }
      }
    }
    const groups = new Map<number, QueuedRetry[]>();
    for (const retry of this.unsent.values()) {
      const group = groups.get(retry.delaySeconds) ?? [];
      group.push(retry);
      groups.set(retry.delaySeconds, group);
    }
    for (const [delay, group] of groups) {
      try {
        await this.send(delay, group);
      } catch (error) {
        failed ??= error;
        continue;
      }
      for (const { target, record } of group) {
        this.unsent.delete(target.index);
        // A retry of an attempt is noted; a copy looking again needs no note (it calls nothing).
        if (target.attempt !== undefined && !this.changed.has(target.index))
          this.changed.set(target.index, { ...record, queued: record.attempts });
      }
    }
    this.failure = failed;
  }

  /** Writes and queues everything left; throws if storage stays unreachable for `patienceMs`. */
  async close(): Promise<void> {
    const deadline = Date.now() + this.patienceMs;
    let pause = 100;
    for (;;) {
      await this.save();
      if (this.idle) return;
      if (this.failure === undefined) continue; // notes of retries just queued
      if (Date.now() + pause > deadline) throw this.failure;
      await sleep(pause);
      pause = Math.min(pause * 2, 2_000);
    }
  }
}
