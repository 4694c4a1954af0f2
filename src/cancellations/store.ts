/**
 * @module
 * Where batch cancellations are recorded: one Azure Table, one partition per batch. Rows:
 * `batch` (total, cause, source, creation time), `t0000042` per target (kind, identity,
 * outcome, attempts, last status and detail), `m<messageId>` for the index range a
 * producer's message was given, `r<messageId>` for a message that was rejected. Writes of
 * many rows go in entity-group transactions of 100 (one partition), which is what keeps
 * recording 10,000 outcomes cheap. A target without a row yet counts as pending.
 */
import type { TableClient, TransactionAction } from '@azure/data-tables';
import type { Target, TargetKind } from './targets.js';

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
}

export interface BatchRecord {
  batchId: string;
  total: number;
  cause?: string;
  source: 'rest' | 'queue';
  createdAt: string;
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

const TRANSACTION_SIZE = 100;
/** Transactions in flight at once when writing many rows. */
const PARALLEL_WRITES = 4;
const BATCH_ROW = 'batch';
const targetRow = (index: number) => `t${String(index).padStart(7, '0')}`;
const indexOfRow = (rowKey: string) => Number(rowKey.slice(1));

type TargetEntity = {
  partitionKey: string;
  rowKey: string;
  kind: string;
  identity: string;
  outcome: string;
  attempts: number;
  status?: number;
  detail?: string;
};

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

  /** Writes the batch row (targets are written with `write`). */
  async createBatch(batch: BatchRecord): Promise<void> {
    await this.ensureTable();
    await this.table.createEntity({ partitionKey: batch.batchId, rowKey: BATCH_ROW, ...batchEntity(batch) });
  }

  async getBatch(batchId: string): Promise<BatchRecord | undefined> {
    await this.ensureTable();
    try {
      const entity = await this.table.getEntity<Record<string, unknown>>(batchId, BATCH_ROW);
      return toBatch(batchId, entity);
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  /**
   * Upserts target rows in transactions of 100 (one partition), a few at a time.
   * @example
   * await store.write('b-1', [{ index: 0, kind: 'flyte', identity, outcome: 'cancelled', attempts: 1, status: 200 }]);
   */
  async write(batchId: string, records: readonly TargetRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.ensureTable();
    const groups: TransactionAction[][] = [];
    for (let i = 0; i < records.length; i += TRANSACTION_SIZE) {
      groups.push(
        records.slice(i, i + TRANSACTION_SIZE).map((r) => ['upsert', toEntity(batchId, r), 'Replace']),
      );
    }
    let next = 0;
    const worker = async () => {
      while (next < groups.length) {
        const group = groups[next++] as TransactionAction[];
        await this.table.submitTransaction(group);
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_WRITES, groups.length) }, worker));
  }

  /** The stored rows of these indexes (missing ones are absent from the map). */
  async readTargets(batchId: string, indexes: readonly number[]): Promise<Map<number, TargetRecord>> {
    const found = new Map<number, TargetRecord>();
    if (indexes.length === 0) return found;
    await this.ensureTable();
    const low = Math.min(...indexes);
    const high = Math.max(...indexes);
    const wanted = new Set(indexes);
    const filter = odata`PartitionKey eq ${batchId} and RowKey ge ${targetRow(low)} and RowKey le ${targetRow(high)}`;
    for await (const entity of this.table.listEntities<TargetEntity>({ queryOptions: { filter } })) {
      const index = indexOfRow(entity.rowKey);
      if (wanted.has(index)) found.set(index, toRecord(entity));
    }
    return found;
  }

  /**
   * The first index of the range given to a producer's message, reserving `count` indexes
   * at the end of the batch (creating the batch) the first time the message is seen. The
   * batch row and the reservation change in one transaction, so a redelivered message gets
   * the same range and two messages never overlap.
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
      const reservation: TransactionAction = [
        'create',
        { partitionKey: batchId, rowKey: reservationKey, first, count },
      ];
      const batchUpdate: TransactionAction = row
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
              ...batchEntity({
                batchId,
                total: count,
                cause,
                source: 'queue',
                createdAt: new Date().toISOString(),
              }),
            },
          ];
      try {
        await this.table.submitTransaction([batchUpdate, reservation]);
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
   * The batch's report: counts over every target, one page of targets (optionally of one
   * outcome) after `token`, and rejected messages. Undefined for an unknown batch.
   */
  async report(
    batchId: string,
    page: { outcome?: Outcome; token?: string; limit: number },
  ): Promise<BatchReport | undefined> {
    const batch = await this.getBatch(batchId);
    if (!batch) return undefined;
    const counts = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
    const rejectedMessages: RejectedMessage[] = [];
    const partition = odata`PartitionKey eq ${batchId}`;
    for await (const e of this.table.listEntities<Record<string, unknown>>({
      queryOptions: { filter: partition, select: ['RowKey', 'outcome', 'reason', 'at'] },
    })) {
      const rowKey = String(e.rowKey);
      if (rowKey.startsWith('t') && e.outcome !== 'pending') counts[e.outcome as FinalOutcome] += 1;
      if (rowKey.startsWith('r')) {
        rejectedMessages.push({ messageId: rowKey.slice(1), reason: String(e.reason), at: String(e.at) });
      }
    }
    const final = OUTCOMES.reduce((sum, o) => (o === 'pending' ? sum : sum + counts[o]), 0);
    counts.pending = Math.max(0, batch.total - final);

    const after = page.token ?? 't';
    let filter = odata`PartitionKey eq ${batchId} and RowKey gt ${after} and RowKey lt ${'u'}`;
    if (page.outcome) filter += odata` and outcome eq ${page.outcome}`;
    const targets: TargetRecord[] = [];
    let more = false;
    for await (const entity of this.table.listEntities<TargetEntity>({ queryOptions: { filter } })) {
      if (targets.length === page.limit) {
        more = true;
        break;
      }
      targets.push(toRecord(entity));
    }
    const last = targets.at(-1);
    return {
      batch,
      counts,
      targets,
      rejectedMessages,
      ...(more && last ? { nextToken: targetRow(last.index) } : {}),
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

/** A target with its index, as the store and the messages carry it. */
export function pendingRecord(index: number, target: Target): TargetRecord {
  const { kind, ...identity } = target;
  return { index, kind, identity, outcome: 'pending', attempts: 0 };
}

function batchEntity(batch: BatchRecord) {
  return {
    total: batch.total,
    source: batch.source,
    createdAt: batch.createdAt,
    ...(batch.cause === undefined ? {} : { cause: batch.cause }),
  };
}

function toBatch(batchId: string, e: Record<string, unknown>): BatchRecord {
  return {
    batchId,
    total: Number(e.total),
    source: e.source === 'queue' ? 'queue' : 'rest',
    createdAt: String(e.createdAt),
    ...(typeof e.cause === 'string' ? { cause: e.cause } : {}),
  };
}

function toEntity(batchId: string, r: TargetRecord): TargetEntity {
  return {
    partitionKey: batchId,
    rowKey: targetRow(r.index),
    kind: r.kind,
    identity: JSON.stringify(r.identity),
    outcome: r.outcome,
    attempts: r.attempts,
    ...(r.status === undefined ? {} : { status: r.status }),
    ...(r.detail === undefined ? {} : { detail: r.detail.slice(0, 1024) }),
  };
}

function toRecord(e: TargetEntity): TargetRecord {
  return {
    index: indexOfRow(e.rowKey),
    kind: e.kind as TargetKind,
    identity: JSON.parse(e.identity) as Record<string, string>,
    outcome: e.outcome as Outcome,
    attempts: Number(e.attempts),
    ...(typeof e.status === 'number' ? { status: e.status } : {}),
    ...(typeof e.detail === 'string' ? { detail: e.detail } : {}),
  };
}

/**
 * An OData filter with every interpolated value quoted as a string literal (quotes doubled),
 * like the SDK's own `odata` tag, which lives in the lazily loaded package.
 */
function odata(strings: TemplateStringsArray, ...values: string[]): string {
  return strings.reduce((out, text, i) => {
    const value = values[i - 1] as string;
    return `${out}'${value.replace(/'/g, "''")}'${text}`;
  });
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' ? status : undefined;
}
