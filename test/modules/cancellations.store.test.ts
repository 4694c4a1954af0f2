/**
 * The cancellation report table on real Azurite: index reservations, chunk rows (idempotent
 * creation, parts, ETag reconciliation of concurrent writers), and the report — counts from
 * the chunks' count columns, paging with `nextToken`, the outcome filter and rejected
 * messages. Each case checks what the store answered and what the table holds.
 */
import { randomUUID } from 'node:crypto';
import type { TableClient } from '@azure/data-tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Azurite, startAzurite } from '../../sandbox/azurite.js';
import {
  type CancellationStore,
  chunkKey,
  type Outcome,
  pendingRecord,
  type TargetRecord,
} from '../../src/cancellations/store.js';
import { loadSettings, type Settings } from '../../src/config.js';
import { createServices, type Services } from '../../src/services.js';
import { tableClient } from '../../src/storage/clients.js';
import { flyteTarget } from '../helpers/cancellations.js';

describe('CancellationStore (real Azurite)', () => {
  let azurite: Azurite;
  let settings: Settings;
  let services: Services;
  let store: CancellationStore;
  /** A plain client on the same table, to read rows as stored. */
  let table: TableClient;

  beforeAll(async () => {
    azurite = await startAzurite();
    settings = loadSettings({ AzureWebJobsStorage: azurite.connectionString, CANCEL_TABLE: 'storeunit' });
    services = createServices(settings);
    store = services.cancellations().store;
    table = tableClient(settings, settings.CANCEL_TABLE);
  }, 30_000);

  afterAll(async () => {
    await services?.close();
    await azurite?.stop();
  });

  const newBatchId = () => `b-${randomUUID()}`;

  /** A record of target `index` (Flyte execution `run-<index>`) with this outcome. */
  function record(index: number, outcome: Outcome = 'pending', attempts = outcome === 'pending' ? 0 : 1) {
    const status = { pending: undefined, cancelled: 200, alreadyFinished: 400, notFound: 404, failed: 500 }[
      outcome
    ];
    return {
      ...pendingRecord(index, flyteTarget(`run-${index}`)),
      outcome,
      attempts,
      ...(status === undefined ? {} : { status }),
    };
  }

  async function createBatch(total: number, cause?: string): Promise<string> {
    const batchId = newBatchId();
    await store.createBatch({
      batchId,
      total,
      source: 'rest',
      createdAt: '2026-01-15T02:00:00.000Z',
      ...(cause ? { cause } : {}),
    });
    return batchId;
  }

  /**
   * Ten targets over three chunks (of 4, 4 and 2), out of a batch of twelve: 10 and 11 were
   * never recorded (their message was not written yet).
   */
  async function threeChunkBatch(): Promise<{ batchId: string; outcomes: Outcome[] }> {
    const outcomes: Outcome[] = [
      'cancelled',
      'failed',
      'pending',
      'cancelled',
      'notFound',
      'failed',
      'alreadyFinished',
      'cancelled',
      'failed',
      'pending',
    ];
    const batchId = await createBatch(12, 'sweep 12');
    const records = outcomes.map((o, i) => record(i, o));
    // Out of key order, as parallel messages would write them
    await store.createChunk(batchId, chunkKey(8), records.slice(8, 10));
    await store.createChunk(batchId, chunkKey(0), records.slice(0, 4));
    await store.createChunk(batchId, chunkKey(4), records.slice(4, 8));
    return { batchId, outcomes };
  }

  it('records a chunk once: creating it again (a message seen before) reads back what is stored', async () => {
    // Prepare
    const batchId = await createBatch(2);
    const first = await store.createChunk(batchId, chunkKey(0), [record(0), record(1)]);
    await store.saveChunk(batchId, first, new Map([[0, record(0, 'cancelled')]]));

    // Act
    const again = await store.createChunk(batchId, chunkKey(0), [record(0), record(1)]);

    // Assess
    expect(again.targets.map((t) => [t.index, t.outcome, t.attempts])).toStrictEqual([
      [0, 'cancelled', 1],
      [1, 'pending', 0],
    ]);
    expect(again.targets[0]).toStrictEqual(record(0, 'cancelled'));
    const row = await table.getEntity<Record<string, unknown>>(batchId, chunkKey(0));
    expect(row.etag).toBe(again.etag);
    expect(row).toMatchObject({ size: 2, parts: 1, pending: 1, cancelled: 1, failed: 0 });
  });

  it('splits a large chunk over several properties and reads it back whole, details capped', async () => {
    // Prepare: 128 targets with long names and details make well over 30,000 characters of JSON
    const batchId = await createBatch(128);
    const records: TargetRecord[] = Array.from({ length: 128 }, (_, i) => ({
      ...pendingRecord(i, flyteTarget(`run-${i}-${'x'.repeat(40)}`)),
      outcome: 'failed',
      attempts: 5,
      status: 503,
      detail: `Flyte Admin answered 503 ${'y'.repeat(400)}`,
    }));

    // Act
    await store.createChunk(batchId, chunkKey(0), records);
    const read = await store.readChunk(batchId, chunkKey(0));

    // Assess
    const row = await table.getEntity<Record<string, unknown>>(batchId, chunkKey(0));
    expect(row.parts).toBeGreaterThan(1);
    expect(row).toMatchObject({ size: 128, failed: 128, pending: 0 });
    expect(read?.targets).toHaveLength(128);
    expect(read?.targets.map((t) => t.identity.name)).toStrictEqual(records.map((t) => t.identity.name));
    expect(read?.targets.every((t) => t.detail?.length === 300 && t.status === 503)).toBe(true);
    expect(read?.targets[0]?.detail).toBe(records[0]?.detail?.slice(0, 300));
  });

  it('reconciles two writers of one chunk through its ETag: both outcomes are kept', async () => {
    // Prepare: two writers hold the same version of the chunk
    const batchId = await createBatch(4);
    await store.createChunk(
      batchId,
      chunkKey(0),
      [0, 1, 2, 3].map((i) => record(i)),
    );
    const writerA = await store.readChunk(batchId, chunkKey(0));
    const writerB = await store.readChunk(batchId, chunkKey(0));
    if (!writerA || !writerB) throw new Error('chunk not recorded');
    expect(writerB.etag).toBe(writerA.etag);

    // Act: A records target 0 cancelled; B, still on the old version, records 1 notFound and
    // its own stale view of 0 (pending after a throttled attempt)
    const savedA = await store.saveChunk(batchId, writerA, new Map([[0, record(0, 'cancelled')]]));
    const savedB = await store.saveChunk(
      batchId,
      writerB,
      new Map([
        [0, { ...record(0), attempts: 1, status: 429 }],
        [1, record(1, 'notFound')],
      ]),
    );

    // Assess: B's write went in on top of A's, not over it
    expect(savedA.etag).not.toBe(writerA.etag);
    expect(savedB.etag).not.toBe(savedA.etag);
    const stored = await store.readChunk(batchId, chunkKey(0));
    expect(stored?.etag).toBe(savedB.etag);
    expect(stored?.targets.map((t) => [t.index, t.outcome, t.attempts])).toStrictEqual([
      [0, 'cancelled', 1],
      [1, 'notFound', 1],
      [2, 'pending', 0],
      [3, 'pending', 0],
    ]);
    expect(savedB.targets).toStrictEqual(stored?.targets);
    const row = await table.getEntity<Record<string, unknown>>(batchId, chunkKey(0));
    expect(row).toMatchObject({ pending: 2, cancelled: 1, notFound: 1 });
    const report = await store.report(batchId, { limit: 10 });
    expect(report?.counts).toStrictEqual({
      pending: 2,
      cancelled: 1,
      alreadyFinished: 0,
      notFound: 1,
      failed: 0,
    });
  });

  it('keeps every outcome when several writers save the same stale chunk at once', async () => {
    // Prepare
    const batchId = await createBatch(6);
    const chunk = await store.createChunk(
      batchId,
      chunkKey(0),
      [0, 1, 2, 3, 4, 5].map((i) => record(i)),
    );
    const outcomes: Outcome[] = ['cancelled', 'notFound', 'failed', 'alreadyFinished', 'cancelled', 'failed'];

    // Act: six writers, each with the version read at the start and one target's outcome
    await Promise.all(outcomes.map((o, i) => store.saveChunk(batchId, chunk, new Map([[i, record(i, o)]]))));

    // Assess
    const stored = await store.readChunk(batchId, chunkKey(0));
    expect(stored?.targets.map((t) => t.outcome)).toStrictEqual(outcomes);
    const report = await store.report(batchId, { limit: 10 });
    expect(report?.counts).toStrictEqual({
      pending: 0,
      cancelled: 2,
      alreadyFinished: 1,
      notFound: 1,
      failed: 2,
    });
  });

  it('of two records of one target keeps the one that knows more: final over pending, then more attempts', async () => {
    // Prepare
    const batchId = await createBatch(3);
    const chunk = await store.createChunk(batchId, chunkKey(0), [
      record(0, 'cancelled'),
      { ...record(1), attempts: 2, status: 503 },
      { ...record(2, 'failed'), attempts: 3 },
    ]);

    // Act: a writer that knows less about each of them
    await store.saveChunk(
      batchId,
      chunk,
      new Map([
        [0, { ...record(0), attempts: 2 }],
        [1, { ...record(1), attempts: 1, status: 429 }],
        [2, { ...record(2, 'notFound'), attempts: 4 }],
      ]),
    );

    // Assess: 0 stays final; 1 keeps the record with more attempts; 2 takes the later final one
    const stored = await store.readChunk(batchId, chunkKey(0));
    expect(stored?.targets.map((t) => [t.outcome, t.attempts, t.status])).toStrictEqual([
      ['cancelled', 1, 200],
      ['pending', 2, 503],
      ['notFound', 4, 404],
    ]);
  });

  it('reserves index ranges per message: a redelivery gets its own range again, messages never overlap', async () => {
    // Prepare
    const batchId = newBatchId();
    const messages = Array.from({ length: 6 }, (_, i) => ({ id: `msg-${i}`, count: i + 1 }));

    // Act: the first message, six messages at once (the first of them redelivered), then a redelivery
    const first = await store.reserve(batchId, 'msg-0', 1, 'nightly');
    const firsts = await Promise.all(messages.map((m) => store.reserve(batchId, m.id, m.count, 'nightly')));
    const again = await store.reserve(batchId, 'msg-3', 4, 'nightly');

    // Assess
    expect(first).toBe(0);
    expect(firsts[0]).toBe(0);
    expect(again).toBe(firsts[3]);
    const ranges = messages
      .map((m, i) => ({ from: firsts[i] as number, to: (firsts[i] as number) + m.count }))
      .sort((a, b) => a.from - b.from);
    expect(ranges[0]?.from).toBe(0);
    for (let i = 1; i < ranges.length; i++) expect(ranges[i]?.from).toBe(ranges[i - 1]?.to);
    const total = messages.reduce((sum, m) => sum + m.count, 0);
    expect(await store.getBatch(batchId)).toMatchObject({
      batchId,
      total,
      cause: 'nightly',
      source: 'queue',
    });
    const reservation = await table.getEntity<Record<string, unknown>>(batchId, 'mmsg-3');
    expect(reservation).toMatchObject({ first: firsts[3], count: 4 });
  });

  it('counts every target over several chunks, unrecorded ones as pending', async () => {
    // Prepare
    const { batchId } = await threeChunkBatch();

    // Act
    const report = await store.report(batchId, { limit: 100 });

    // Assess
    expect(report?.batch).toStrictEqual({
      batchId,
      total: 12,
      cause: 'sweep 12',
      source: 'rest',
      createdAt: '2026-01-15T02:00:00.000Z',
    });
    expect(report?.counts).toStrictEqual({
      pending: 4,
      cancelled: 3,
      alreadyFinished: 1,
      notFound: 1,
      failed: 3,
    });
    expect(report?.targets.map((t) => t.index)).toStrictEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(report?.targets[4]).toStrictEqual(record(4, 'notFound'));
    expect(report?.rejectedMessages).toStrictEqual([]);
    expect(report?.nextToken).toBeUndefined();
  });

  it('pages through the targets in index order with nextToken, across chunk boundaries', async () => {
    // Prepare
    const { batchId, outcomes } = await threeChunkBatch();

    // Act
    const pages: { indexes: number[]; nextToken?: string }[] = [];
    let token: string | undefined;
    do {
      const report = await store.report(batchId, { limit: 3, ...(token ? { token } : {}) });
      pages.push({ indexes: report?.targets.map((t) => t.index) ?? [], nextToken: report?.nextToken });
      token = report?.nextToken;
    } while (token && pages.length < 10);
    const fromMiddle = await store.report(batchId, { limit: 2, token: 't0000005' });

    // Assess
    expect(pages).toStrictEqual([
      { indexes: [0, 1, 2], nextToken: 't0000002' },
      { indexes: [3, 4, 5], nextToken: 't0000005' },
      { indexes: [6, 7, 8], nextToken: 't0000008' },
      { indexes: [9], nextToken: undefined },
    ]);
    expect(fromMiddle?.targets.map((t) => [t.index, t.outcome])).toStrictEqual([
      [6, outcomes[6]],
      [7, outcomes[7]],
    ]);
    expect(fromMiddle?.nextToken).toBe('t0000007');
    // Counts are over the whole batch on every page
    expect(fromMiddle?.counts.failed).toBe(3);
  });

  it('filters the targets by outcome, and pages the filtered list', async () => {
    // Prepare
    const { batchId } = await threeChunkBatch();

    // Act
    const failed1 = await store.report(batchId, { outcome: 'failed', limit: 2 });
    const failed2 = await store.report(batchId, { outcome: 'failed', limit: 2, token: failed1?.nextToken });
    const pending = await store.report(batchId, { outcome: 'pending', limit: 10 });
    const alreadyFinished = await store.report(batchId, { outcome: 'alreadyFinished', limit: 1 });

    // Assess
    expect(failed1?.targets.map((t) => [t.index, t.outcome])).toStrictEqual([
      [1, 'failed'],
      [5, 'failed'],
    ]);
    expect(failed1?.nextToken).toBe('t0000005');
    expect(failed2?.targets.map((t) => [t.index, t.outcome])).toStrictEqual([[8, 'failed']]);
    expect(failed2?.nextToken).toBeUndefined();
    // Only recorded targets are listed; the counts also include the two never recorded
    expect(pending?.targets.map((t) => t.index)).toStrictEqual([2, 9]);
    expect(pending?.counts.pending).toBe(4);
    expect(alreadyFinished?.targets.map((t) => t.index)).toStrictEqual([6]);
    expect(alreadyFinished?.nextToken).toBeUndefined();
  });

  it('lists rejected messages, and records one for a batch it has not seen as an empty batch', async () => {
    // Prepare
    const { batchId } = await threeChunkBatch();
    const unknown = newBatchId();

    // Act
    await store.recordRejected(batchId, {
      messageId: 'm-1',
      reason: 'first try',
      at: '2026-01-15T03:00:00.000Z',
    });
    await store.recordRejected(batchId, {
      messageId: 'm-1',
      reason: 'not base64',
      at: '2026-01-15T03:00:01.000Z',
    });
    await store.recordRejected(batchId, {
      messageId: 'm-2',
      reason: 'not an envelope',
      at: '2026-01-15T03:00:02.000Z',
    });
    await store.recordRejected(unknown, {
      messageId: 'm-3',
      reason: 'bad targets',
      at: '2026-01-15T04:00:00.000Z',
    });
    await store.reserve(unknown, 'm-4', 2, undefined);

    // Assess: the existing batch keeps its record and targets; the rejected messages are listed once each
    const report = await store.report(batchId, { limit: 100 });
    expect(report?.batch).toMatchObject({ total: 12, source: 'rest', cause: 'sweep 12' });
    expect(report?.targets).toHaveLength(10);
    expect(report?.rejectedMessages).toStrictEqual([
      { messageId: 'm-1', reason: 'not base64', at: '2026-01-15T03:00:01.000Z' },
      { messageId: 'm-2', reason: 'not an envelope', at: '2026-01-15T03:00:02.000Z' },
    ]);
    const other = await store.report(unknown, { limit: 100 });
    expect(other?.batch).toStrictEqual({
      batchId: unknown,
      total: 2,
      source: 'queue',
      createdAt: '2026-01-15T04:00:00.000Z',
    });
    expect(other?.counts).toStrictEqual({
      pending: 2,
      cancelled: 0,
      alreadyFinished: 0,
      notFound: 0,
      failed: 0,
    });
    expect(other?.targets).toStrictEqual([]);
    expect(other?.rejectedMessages).toStrictEqual([
      { messageId: 'm-3', reason: 'bad targets', at: '2026-01-15T04:00:00.000Z' },
    ]);
    const rows: string[] = [];
    for await (const e of table.listEntities({ queryOptions: { filter: `PartitionKey eq '${unknown}'` } }))
      rows.push(String(e.rowKey));
    expect(rows.sort()).toStrictEqual(['batch', 'mm-4', 'rm-3']);
  });

  it('has no report for a batch it has never seen', async () => {
    // Act
    const report = await store.report(newBatchId(), { limit: 10 });

    // Assess
    expect(report).toBeUndefined();
    expect(await store.getBatch(newBatchId())).toBeUndefined();
  });
});
