/**
 * @module
 * Where batch cancellations are recorded: one Azure Table, one partition per batch. Rows:
 * `batch` (total, cause, source, creation time); one **chunk** row per queue message the
 * batch was split into, `c0000128` keyed by its first index, holding its targets with their
 * outcomes and attempts (JSON, split over properties of at most 32K characters) and a count
 * per outcome; `m<messageId>` for the chunk a producer's message was given; `r<messageId>`
 * for a message that was rejected. A chunk row, not a row per target, is what keeps a batch of
 * 10,000 to a few hundred table operations: one write per message to record it pending and a
 * few to record its outcomes. Concurrent writers of one chunk (a retry and a redelivery) are
 * reconciled with ETags. A target not yet on record counts as pending.
 */
import type { TableClient } from '@azure/data-tables';
import type { TargetKind } from './targets.js';

export const OUTCOMES = ['pending', 'cancelled', 'alreadyFinished', 'notFound', 'failed'] as const;
export type Outcome = (typeof OUTCOMES)[number];
export type FinalOutcome = Exclude<Outcome, 'pending'>;

/** What is stored for one target. */
export interface TargetRecord {
  index: number;
  kind: TargetKind;
  /** The target's fields without `kind`. */
  identity: Record<string, string>;
  outcome: Outcome;
  /** Upstream calls made for it so far. */
  attempts: number;
  /** Status of the last upstream answer, when there was one. */
  status?: number;
  /** Why it failed, or what the upstream said last. */
  detail?: string;
  /** A copy of the target at this index in the batch: its outcome is that target's. */
  sameAs?: number;
  /** The attempts on record when its retry was queued: a retry is out while `attempts` equals it. */
  queued?: number;
}

/** One chunk row as read: its key, its targets in index order, and its ETag for the next write. */
export interface Chunk {
  key: string;
  targets: TargetRecord[];
  etag?: string;
}

export interface BatchRecord {
  batchId: string;
  total: number;
  cause?: string;
  source: 'rest' | 'queue';
  createdAt: string;
  /** Who submitted it (AUTH_MODE=entra): the caller's object id and app id. */
  submittedBy?: { objectId?: string; appId?: string };
}

export interface RejectedMessage {
  messageId: string;
  reason: string;
  at: string;
}

export interface BatchReport {
  batch: BatchRecord;
  counts: Record<Outcome, number>;
  targets: TargetRecord[];
  rejectedMessages: RejectedMessage[];
  nextToken?: string;
}

const BATCH_ROW = 'batch';
/** Table string properties hold 64 KiB of UTF-16: 32K characters. */
const PART_CHARS = 30_000;
const MAX_DETAIL_CHARS = 300;

/** The row key of the chunk whose first target has this index. */
export const chunkKey = (first: number) => `c${String(first).padStart(7, '0')}`;
/** Report page tokens: the index of the last target returned. */
const tokenOf = (index: number) => `t${String(index).padStart(7, '0')}`;

export class CancellationStore {
  private ready: Promise<void> | undefined;

  constructor(private readonly table: TableClient) {}

  /** Creates the table on first use (it exists in Azure; Azurite starts empty). */
  private ensureTable(): Promise<void> {
    this.ready ??= this.table.createTable().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  async createBatch(batch: BatchRecord): Promise<void> {
    await this.ensureTable();
    await this.table.createEntity({ partitionKey: batch.batchId, rowKey: BATCH_ROW, ...batchEntity(batch) });
  }

  async getBatch(batchId: string): Promise<BatchRecord | undefined> {
    await this.ensureTable();
    const entity = await this.getRow(batchId, BATCH_ROW);
    return entity && toBatch(batchId, entity);
  }

  /**
   * Records a chunk's targets (normally all pending). A chunk that exists already (a message
   * seen before) is left as it is and read back.
   * @example
   * const chunk = await store.createChunk('b-1', chunkKey(0), targets.map((t, i) => pendingRecord(i, t)));
   */
  async createChunk(batchId: string, key: string, targets: TargetRecord[]): Promise<Chunk> {
    await this.ensureTable();
    try {
      const { etag } = await this.table.createEntity({
        partitionKey: batchId,
        rowKey: key,
        ...chunkEntity(targets),
      });
      return { key, targets, etag };
    } catch (error) {
      if (statusOf(error) !== 409) throw error;
      const existing = await this.readChunk(batchId, key);
      if (!existing) throw error;
      return existing;
    }
  }

  async readChunk(batchId: string, key: string): Promise<Chunk | undefined> {
    await this.ensureTable();
    const entity = await this.getRow(batchId, key);
    return entity && toChunk(key, entity);
  }

  /**
   * Writes these targets' records into their chunk. If another writer changed the chunk since
   * it was read, the chunk is read again and these records applied on top, so neither writer's
   * outcomes are lost. Returns the chunk as written.
   */
  async saveChunk(batchId: string, chunk: Chunk, changed: ReadonlyMap<number, TargetRecord>): Promise<Chunk> {
    let current = chunk;
    for (let attempt = 0; ; attempt++) {
      const targets = current.targets.map((t) => newer(changed.get(t.index), t));
      try {
        const { etag } = await this.table.updateEntity(
          { partitionKey: batchId, rowKey: current.key, ...chunkEntity(targets) },
          'Replace',
          { etag: current.etag ?? '*' },
        );
        return { key: current.key, targets, etag };
      } catch (error) {
        if (statusOf(error) !== 412 || attempt >= 20) throw error;
        const fresh = await this.readChunk(batchId, current.key);
        if (!fresh) throw error;
        current = fresh;
      }
    }
  }

  /**
   * The first index of the chunk given to a producer's message, reserving `count` indexes at
   * the end of the batch (creating the batch) the first time the message is seen. The batch
   * row and the reservation change in one transaction, so a redelivered message gets the same
   * range and two messages never overlap.
   */
  async reserve(
    batchId: string,
    messageId: string,
    count: number,
    cause: string | undefined,
  ): Promise<number> {
    await this.ensureTable();
    const reservationKey = `m${messageId}`;
    for (let attempt = 0; attempt < 20; attempt++) {
      const existing = await this.getRow(batchId, reservationKey);
      if (existing) return Number(existing.first);
      const row = await this.getRow(batchId, BATCH_ROW);
      const first = row ? Number(row.total) : 0;
      const created = new Date().toISOString();
      try {
        await this.table.submitTransaction([
          row
            ? [
                'update',
                { partitionKey: batchId, rowKey: BATCH_ROW, total: first + count },
                'Merge',
                { etag: row.etag },
              ]
            : [
                'create',
                {
                  partitionKey: batchId,
                  rowKey: BATCH_ROW,
                  ...batchEntity({ batchId, total: count, cause, source: 'queue', createdAt: created }),
                },
              ],
          ['create', { partitionKey: batchId, rowKey: reservationKey, first, count }],
        ]);
        return first;
      } catch (error) {
        // Another message of the same batch got there first: read again and retry.
        if (![409, 412].includes(statusOf(error) ?? 0)) throw error;
      }
    }
    throw new Error(`could not reserve indexes in batch ${batchId}: too much contention`);
  }

  /** Records a rejected message in its batch's report (creating an empty batch if needed). */
  async recordRejected(batchId: string, rejected: RejectedMessage): Promise<void> {
    await this.ensureTable();
    await this.table
      .createEntity({
        partitionKey: batchId,
        rowKey: BATCH_ROW,
        ...batchEntity({ batchId, total: 0, source: 'queue', createdAt: rejected.at }),
      })
      .catch((error: unknown) => {
        if (statusOf(error) !== 409) throw error;
      });
    await this.table.upsertEntity(
      { partitionKey: batchId, rowKey: `r${rejected.messageId}`, reason: rejected.reason, at: rejected.at },
      'Replace',
    );
  }

  /**
   * The batch's report: counts over every target (from the chunks' count columns, without
   * reading their targets), one page of targets (optionally of one outcome) after `token`,
   * and rejected messages. Undefined for an unknown batch.
   */
  async report(
    batchId: string,
    page: { outcome?: Outcome; token?: string; limit: number },
  ): Promise<BatchReport | undefined> {
    const batch = await this.getBatch(batchId);
    if (!batch) return undefined;
    const counts = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
    const rejectedMessages: RejectedMessage[] = [];
    const chunks: { key: string; first: number; size: number; matching: number }[] = [];
    const partition = odata`PartitionKey eq ${batchId} and RowKey gt ${'c'}`;
    for await (const e of this.table.listEntities<Record<string, unknown>>({
      queryOptions: { filter: partition, select: ['RowKey', 'size', 'reason', 'at', ...OUTCOMES] },
    })) {
      const key = String(e.rowKey);
      if (key.startsWith('c')) {
        for (const o of OUTCOMES) if (o !== 'pending') counts[o] += Number(e[o] ?? 0);
        const matching = page.outcome ? Number(e[page.outcome] ?? 0) : Number(e.size ?? 0);
        chunks.push({ key, first: Number(key.slice(1)), size: Number(e.size ?? 0), matching });
      } else if (key.startsWith('r')) {
        rejectedMessages.push({ messageId: key.slice(1), reason: String(e.reason), at: String(e.at) });
      }
    }
    const final = OUTCOMES.reduce((sum, o) => (o === 'pending' ? sum : sum + counts[o]), 0);
    counts.pending = Math.max(0, batch.total - final);

    const after = page.token ? Number(page.token.slice(1)) : -1;
    const targets: TargetRecord[] = [];
    let more = false;
    for (const chunk of chunks.sort((a, b) => a.first - b.first)) {
      if (chunk.first + chunk.size <= after + 1 || chunk.matching === 0) continue;
      if (targets.length === page.limit) {
        more = true;
        break;
      }
      const full = await this.readChunk(batchId, chunk.key);
      for (const target of full?.targets ?? []) {
        if (target.index <= after || (page.outcome && target.outcome !== page.outcome)) continue;
        if (targets.length === page.limit) {
          more = true;
          break;
        }
        targets.push(target);
      }
      if (more) break;
    }
    const last = targets.at(-1);
    return {
      batch,
      counts,
      targets,
      rejectedMessages,
      ...(more && last ? { nextToken: tokenOf(last.index) } : {}),
    };
  }

  private async getRow(
    batchId: string,
    rowKey: string,
  ): Promise<(Record<string, unknown> & { etag: string }) | undefined> {
    try {
      return await this.table.getEntity<Record<string, unknown>>(batchId, rowKey);
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }
}

/** A target with its index, not yet called. */
export function pendingRecord(
  index: number,
  target: { kind: TargetKind } & Record<string, unknown>,
): TargetRecord {
  // Queue marks are not part of a target's identity.
  const { kind, index: _i, attempt: _a, sameAs, in: _in, round: _r, ...identity } = target;
  return {
    index,
    kind,
    identity: identity as Record<string, string>,
    outcome: 'pending',
    attempts: 0,
    ...(typeof sameAs === 'number' ? { sameAs } : {}),
  };
}

/** Of two records of one target, the one that knows more: final beats pending, then more attempts. */
function newer(mine: TargetRecord | undefined, stored: TargetRecord): TargetRecord {
  if (!mine) return stored;
  if (stored.outcome !== 'pending' && mine.outcome === 'pending') return stored;
  if (stored.outcome === 'pending' && mine.outcome !== 'pending') return mine;
  if (mine.attempts !== stored.attempts) return mine.attempts > stored.attempts ? mine : stored;
  // Same attempt: a retry either writer queued is out.
  const queued = Math.max(mine.queued ?? -1, stored.queued ?? -1);
  return queued < 0 ? mine : { ...mine, queued };
}

/** Compact wire form of a chunk's targets: short keys, since a chunk holds many. */
interface StoredTarget {
  i: number;
  k: TargetKind;
  t: Record<string, string>;
  o: Outcome;
  a: number;
  s?: number;
  d?: string;
  x?: number;
  q?: number;
}

function chunkEntity(targets: readonly TargetRecord[]): Record<string, string | number> {
  const stored: StoredTarget[] = targets.map((t) => ({
    i: t.index,
    k: t.kind,
    t: t.identity,
    o: t.outcome,
    a: t.attempts,
    ...(t.status === undefined ? {} : { s: t.status }),
    ...(t.detail === undefined ? {} : { d: t.detail.slice(0, MAX_DETAIL_CHARS) }),
    ...(t.sameAs === undefined ? {} : { x: t.sameAs }),
    ...(t.queued === undefined ? {} : { q: t.queued }),
  }));
  const json = JSON.stringify(stored);
  const entity: Record<string, string | number> = {
    size: targets.length,
    parts: Math.ceil(json.length / PART_CHARS),
  };
  for (let p = 0; p * PART_CHARS < json.length; p++)
    entity[`p${p}`] = json.slice(p * PART_CHARS, (p + 1) * PART_CHARS);
  for (const o of OUTCOMES) entity[o] = targets.filter((t) => t.outcome === o).length;
  return entity;
}

function toChunk(key: string, e: Record<string, unknown> & { etag: string }): Chunk {
  let json = '';
  for (let p = 0; p < Number(e.parts); p++) json += String(e[`p${p}`] ?? '');
  const stored = JSON.parse(json) as StoredTarget[];
  return {
    key,
    etag: e.etag,
    targets: stored.map((s) => ({
      index: s.i,
      kind: s.k,
      identity: s.t,
      outcome: s.o,
      attempts: s.a,
      ...(s.s === undefined ? {} : { status: s.s }),
      ...(s.d === undefined ? {} : { detail: s.d }),
      ...(s.x === undefined ? {} : { sameAs: s.x }),
      ...(s.q === undefined ? {} : { queued: s.q }),
    })),
  };
}

function batchEntity(batch: BatchRecord) {
  return {
    total: batch.total,
    source: batch.source,
    createdAt: batch.createdAt,
    ...(batch.cause === undefined ? {} : { cause: batch.cause }),
    ...(batch.submittedBy?.objectId ? { submittedByOid: batch.submittedBy.objectId } : {}),
    ...(batch.submittedBy?.appId ? { submittedByAppId: batch.submittedBy.appId } : {}),
  };
}

function toBatch(batchId: string, e: Record<string, unknown>): BatchRecord {
  return {
    batchId,
    total: Number(e.total),
    source: e.source === 'queue' ? 'queue' : 'rest',
    createdAt: String(e.createdAt),
    ...(typeof e.cause === 'string' ? { cause: e.cause } : {}),
    ...(typeof e.submittedByOid === 'string' || typeof e.submittedByAppId === 'string'
      ? {
          submittedBy: {
            ...(typeof e.submittedByOid === 'string' ? { objectId: e.submittedByOid } : {}),
            ...(typeof e.submittedByAppId === 'string' ? { appId: e.submittedByAppId } : {}),
          },
        }
      : {}),
  };
}

/**
 * An OData filter with every interpolated value quoted as a string literal (quotes doubled),
 * like the SDK's own `odata` tag, which lives in the lazily loaded package.
 */
function odata(strings: TemplateStringsArray, ...values: string[]): string {
  return strings.reduce((out, text, i) => `${out}'${(values[i - 1] as string).replace(/'/g, "''")}'${text}`);
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' ? status : undefined;
}
