/**
 * Batch cancellation on a bad day, end to end over real HTTP, Azurite and both emulators: a
 * slow target beside a failing one, absurd `Retry-After`s, a producer's `null` target,
 * duplicate targets, and storage going away mid-message. Each case counts what was lost
 * (a target not in its expected outcome), repeated (a run called more often than its
 * attempts need) and left behind (pending targets, messages still queued or poisoned): 0.
 */

import { QueueClient } from '@azure/storage-queue';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { storageSwitch } from '../../sandbox/storage-switch.js';
import type { Cancellations } from '../../src/cancellations/processor.js';
import { loadSettings } from '../../src/config.js';
import { startCancellationPoller } from '../../src/local-host/cancellation-poller.js';
import { createServices } from '../../src/services.js';
import {
  allTargets,
  azuremlTarget,
  cancelCalls,
  flyteTarget,
  producerQueue,
  producerText,
  queued,
  type Report,
  type TestTarget,
  upstreamPath,
  waitUntilDone,
} from '../helpers/cancellations.js';
import { call, type Gateway, startGateway, WORKSPACE } from '../helpers/gateway.js';
import { captureLogs } from '../helpers/log-capture.js';
import { pollUntil } from '../helpers/poll.js';

const MAX_RETRY_AFTER_S = 5;

describe('batch cancellation under faults', () => {
  let gateway: Gateway;

  beforeAll(async () => {
    gateway = await startGateway({
      azureml: { cancelTerminal: 'conflict' },
      cancellations: true,
      env: {
        CANCEL_MAX_ATTEMPTS: '3',
        CANCEL_MAX_RETRY_AFTER_S: String(MAX_RETRY_AFTER_S),
        // A slow upstream is slow, not silent past the idle timeout.
        UPSTREAM_TIMEOUT_MS: '15000',
      },
    });
  }, 60_000);
  afterAll(() => gateway?.close());
  beforeEach(() => {
    gateway.emulator.reset();
    gateway.azureml?.reset();
  });

  const seed = (targets: TestTarget[]) => {
    for (const t of targets) {
      if (t.kind === 'flyte')
        gateway.emulator.seed({ project: t.project, domain: t.domain, name: t.name, phase: 'RUNNING' });
      else gateway.azureml?.seed({ experimentName: t.experimentName, runId: t.runId, status: 'Running' });
    }
  };

  const submit = async (targets: unknown[]) => {
    const res = await call(gateway, 'POST', '/v1/cancellations', { targets });
    expect(res.status, res.text).toBe(202);
    return res.json().batchId as string;
  };

  /** Messages on the cancellation queue, hidden ones included; 0 once everything is done. */
  const messagesLeft = () =>
    pollUntil(
      async () => Number((await producerQueue(gateway).getProperties()).approximateMessagesCount),
      (n) => n === 0,
      { timeoutMs: 5_000, intervalMs: 100 },
    );

  /** Runs called more often than their expected calls, and targets not in their expected outcome. */
  function tally(rows: Report[], expected: Map<number, { outcome: string; calls: number; path: string }>) {
    const calls = cancelCalls(gateway);
    const lost = rows.filter((r) => r.outcome !== expected.get(r.index)?.outcome).length;
    const paths = new Map([...expected.values()].map((e) => [e.path, e.calls]));
    const repeated = [...paths].filter(([path, n]) => (calls.get(path)?.calls ?? 0) > n).length;
    return { lost, repeated, left: rows.filter((r) => r.outcome === 'pending').length };
  }

  it("queues a failing target's retry at once: a slow call in the same message holds nothing back", async () => {
    // Prepare: one run answers after 5 s, the other fails once with a 503
    const slow = flyteTarget('slowpoke-run');
    const quick = flyteTarget('quick-run');
    seed([slow, quick]);
    gateway.emulator.faults.set({ latencyMs: 5_000, pathPrefix: upstreamPath(slow) });
    gateway.emulator.faults.script(upstreamPath(quick), [{ kind: 'status5xx', status: 503 }]);

    // Act
    const batchId = await submit([slow, quick]);
    const quickDone = await pollUntil(
      () => allTargets(gateway, batchId),
      (rows) => rows[1]?.outcome === 'cancelled',
      { timeoutMs: 15_000, intervalMs: 100 },
    );
    const slowCall = gateway.emulator.requests.find((r) => r.path === upstreamPath(slow));
    const slowAnsweredBefore = slowCall?.status !== undefined;
    const report = await waitUntilDone(gateway, batchId, 20_000);

    // Assess: the quick run's retry went and succeeded while the slow call was still open
    expect(slowAnsweredBefore).toBe(false);
    expect(quickDone[1]).toMatchObject({ outcome: 'cancelled', attempts: 2, status: 200 });
    expect(report.counts).toMatchObject({ pending: 0, cancelled: 2, failed: 0 });
    const rows = await allTargets(gateway, batchId);
    expect(rows.map((r) => [r.name, r.outcome, r.attempts])).toStrictEqual([
      ['slowpoke-run', 'cancelled', 1],
      ['quick-run', 'cancelled', 2],
    ]);
    const calls = cancelCalls(gateway);
    expect(calls.get(upstreamPath(slow))).toStrictEqual({ calls: 1, succeeded: 1 });
    expect(calls.get(upstreamPath(quick))).toStrictEqual({ calls: 2, succeeded: 1 });
    const expected = new Map([
      [0, { outcome: 'cancelled', calls: 1, path: upstreamPath(slow) }],
      [1, { outcome: 'cancelled', calls: 2, path: upstreamPath(quick) }],
    ]);
    expect(tally(rows, expected)).toStrictEqual({ lost: 0, repeated: 0, left: 0 });
    await messagesLeft();
  }, 40_000);

  it(`fails a target whose Retry-After is over CANCEL_MAX_RETRY_AFTER_S (${MAX_RETRY_AFTER_S} s), with the reason; retries one under it`, async () => {
    // Prepare
    const absurd = flyteTarget('ra-absurd');
    const long = azuremlTarget('exp_ra_long');
    const short = flyteTarget('ra-short');
    seed([absurd, long, short]);
    gateway.emulator.faults.script(upstreamPath(absurd), [{ kind: 'status429', retryAfterSeconds: 999_999 }]);
    gateway.azureml?.faults.script(upstreamPath(long), [{ kind: 'status429', retryAfterSeconds: 30 }]);
    gateway.emulator.faults.script(upstreamPath(short), [{ kind: 'status429', retryAfterSeconds: 1 }]);

    // Act
    const batchId = await submit([absurd, long, short]);
    const report = await waitUntilDone(gateway, batchId, 20_000);

    // Assess: final at once, never pending for days; the short one waited and succeeded
    expect(report.counts).toMatchObject({ pending: 0, cancelled: 1, failed: 2 });
    const rows = await allTargets(gateway, batchId);
    expect(rows.map((r) => [r.outcome, r.attempts, r.status])).toStrictEqual([
      ['failed', 1, 429],
      ['failed', 1, 429],
      ['cancelled', 2, 200],
    ]);
    expect(rows[0].detail).toMatch(
      /not retried: Retry-After of 999999 s is over CANCEL_MAX_RETRY_AFTER_S \(5 s\)$/,
    );
    expect(rows[1].detail).toMatch(
      /not retried: Retry-After of 30 s is over CANCEL_MAX_RETRY_AFTER_S \(5 s\)$/,
    );
    const calls = cancelCalls(gateway);
    expect(calls.get(upstreamPath(absurd))).toStrictEqual({ calls: 1, succeeded: 0 });
    expect(calls.get(upstreamPath(long))).toStrictEqual({ calls: 1, succeeded: 0 });
    expect(calls.get(upstreamPath(short))).toStrictEqual({ calls: 2, succeeded: 1 });
    const expected = new Map([
      [0, { outcome: 'failed', calls: 1, path: upstreamPath(absurd) }],
      [1, { outcome: 'failed', calls: 1, path: upstreamPath(long) }],
      [2, { outcome: 'cancelled', calls: 2, path: upstreamPath(short) }],
    ]);
    expect(tally(rows, expected)).toStrictEqual({ lost: 0, repeated: 0, left: 0 });
    await messagesLeft();
  }, 30_000);

  it("fails a producer's null (or non-object) target alone, with its reason; the good one is cancelled", async () => {
    // Prepare
    const good = flyteTarget('beside-null');
    seed([good]);
    const text = producerText({ targets: [null, good, 7, 'x', [], { kind: 'azureml' }] });

    // Act
    const { messageId } = await producerQueue(gateway).sendMessage(text);
    const report = await waitUntilDone(gateway, messageId, 20_000);

    // Assess
    expect(report).toMatchObject({ total: 6, done: true });
    expect(report.counts).toMatchObject({ pending: 0, cancelled: 1, failed: 5 });
    expect(report.rejectedMessages).toBeUndefined();
    const rows = await allTargets(gateway, messageId);
    expect(rows.map((r) => [r.index, r.outcome, r.detail])).toStrictEqual([
      [0, 'failed', 'invalid target: target must be an object, not null'],
      [1, 'cancelled', undefined],
      [2, 'failed', 'invalid target: target must be an object, not number'],
      [3, 'failed', 'invalid target: target must be an object, not string'],
      [4, 'failed', 'invalid target: target must be an object, not a list'],
      [5, 'failed', expect.stringMatching(/^invalid target: subscriptionId is required/)],
    ]);
    expect([...cancelCalls(gateway)]).toStrictEqual([[upstreamPath(good), { calls: 1, succeeded: 1 }]]);
    expect(await queued(producerQueue(gateway, 'cancellations-poison'))).not.toContain(text);
    expect(gateway.logs.entries().filter((e) => e.event === 'cancellation.message_failed')).toStrictEqual([]);
    await messagesLeft();
  }, 30_000);

  it('cancels duplicates in a REST batch once, across messages, and reports every index', async () => {
    // Prepare: 297 copies of one run spread over three queue messages (128 targets each),
    // and a run whose first cancel meets a 503, with a copy in another message
    const a = flyteTarget('dup-a');
    const b = azuremlTarget('exp_dup_b');
    const c = flyteTarget('dup-c');
    seed([a, b, c]);
    gateway.emulator.faults.script(upstreamPath(c), [{ kind: 'status5xx', status: 503 }]);
    const targets: TestTarget[] = [a, c, ...Array<TestTarget>(297).fill(a), b, c, b];

    // Act
    const batchId = await submit(targets);
    const report = await waitUntilDone(gateway, batchId, 30_000);

    // Assess
    expect(report.counts).toMatchObject({ pending: 0, cancelled: 302, failed: 0 });
    const rows = await allTargets(gateway, batchId);
    expect(rows.map((r) => r.index)).toStrictEqual(targets.map((_, i) => i));
    const firstOf = (t: TestTarget) => targets.indexOf(t);
    rows.forEach((row, index) => {
      const target = targets[index] as TestTarget;
      const first = firstOf(target);
      expect(row, JSON.stringify(row)).toMatchObject({
        ...target,
        outcome: 'cancelled',
        attempts: target === c ? 2 : 1,
        status: 200,
      });
      expect(row.duplicateOf).toBe(first === index ? undefined : first);
    });
    const calls = cancelCalls(gateway);
    expect(calls.get(upstreamPath(a))).toStrictEqual({ calls: 1, succeeded: 1 });
    expect(calls.get(upstreamPath(b))).toStrictEqual({ calls: 1, succeeded: 1 });
    expect(calls.get(upstreamPath(c))).toStrictEqual({ calls: 2, succeeded: 1 });
    const expected = new Map(
      targets.map((t, i) => [i, { outcome: 'cancelled', calls: t === c ? 2 : 1, path: upstreamPath(t) }]),
    );
    expect(tally(rows, expected)).toStrictEqual({ lost: 0, repeated: 0, left: 0 });
    await messagesLeft();
  }, 45_000);

  it("cancels duplicates in a producer's message once and reports every index", async () => {
    // Prepare
    const a = flyteTarget('pdup-a');
    const b = azuremlTarget('exp_pdup_b');
    seed([a, b]);

    // Act
    const { messageId } = await producerQueue(gateway).sendMessage(
      producerText({ targets: [a, b, a, null, b, a] }),
    );
    const report = await waitUntilDone(gateway, messageId, 20_000);

    // Assess
    expect(report.counts).toMatchObject({ pending: 0, cancelled: 5, failed: 1 });
    const rows = await allTargets(gateway, messageId);
    expect(rows.map((r) => [r.index, r.outcome, r.attempts, r.duplicateOf])).toStrictEqual([
      [0, 'cancelled', 1, undefined],
      [1, 'cancelled', 1, undefined],
      [2, 'cancelled', 1, 0],
      [3, 'failed', 0, undefined],
      [4, 'cancelled', 1, 1],
      [5, 'cancelled', 1, 0],
    ]);
    const calls = cancelCalls(gateway);
    expect([...calls.values()]).toStrictEqual([
      { calls: 1, succeeded: 1 },
      { calls: 1, succeeded: 1 },
    ]);
    await messagesLeft();
  }, 30_000);

  it('loses, repeats and leaves behind nothing when storage goes away mid-message and comes back', async () => {
    // Prepare: a queue of its own, reached through a switch, with slow upstream answers
    const { azurite } = gateway;
    if (!azurite) throw new Error('started without Azurite');
    const storage = await storageSwitch(azurite.connectionString);
    const services = createServices(
      loadSettings({
        FLYTE_ENDPOINT: gateway.emulator.url,
        FLYTE_PROJECTS: 'flytesnacks',
        AZUREML_ENDPOINT: gateway.azureml?.url ?? '',
        AZUREML_AUTH: 'none',
        AZUREML_WORKSPACES: `${WORKSPACE.subscription}/${WORKSPACE.resourceGroup}/${WORKSPACE.workspace}`,
        AzureWebJobsStorage: storage.connectionString,
        CANCEL_QUEUE: 'outage',
        CANCEL_TABLE: 'outage',
        CANCEL_CONCURRENCY: '8',
      }),
    );
    const names = Array.from({ length: 64 }, (_, i) => `outage-${i}`);
    const targets = names.map(flyteTarget);
    seed(targets);
    gateway.emulator.faults.latencyMs = 150;
    const logs = captureLogs();
    const poller = startCancellationPoller(services, { sink: logs });
    const direct = new QueueClient(azurite.connectionString, 'outage');
    let cancellations: Cancellations | undefined;
    try {
      cancellations = services.cancellations();
      await direct.createIfNotExists();

      // Act: storage goes once a quarter of the calls are made, and comes back at three quarters
      const { messageId } = await direct.sendMessage(producerText({ targets }));
      const deletes = () => gateway.emulator.requests.filter((r) => r.method === 'DELETE').length;
      await pollUntil(
        async () => deletes(),
        (n) => n >= 16,
        { timeoutMs: 10_000, intervalMs: 10 },
      );
      storage.stop();
      await pollUntil(
        async () => deletes(),
        (n) => n >= 48,
        { timeoutMs: 10_000, intervalMs: 10 },
      );
      storage.start();
      const report = await pollUntil(
        () => (cancellations as Cancellations).store.report(messageId, { limit: 1000 }),
        (r) => r?.counts.pending === 0,
        { timeoutMs: 40_000, intervalMs: 200 },
      );

      // Assess
      expect(report?.counts).toMatchObject({ pending: 0, cancelled: 64, failed: 0 });
      const calls = cancelCalls(gateway);
      const lost = names.filter((_, i) => report?.targets[i]?.outcome !== 'cancelled').length;
      const repeated = targets.filter((t) => (calls.get(upstreamPath(t))?.calls ?? 0) !== 1).length;
      const messages = async (name: string) =>
        Number(
          (await new QueueClient(azurite.connectionString, name).getProperties()).approximateMessagesCount,
        );
      await pollUntil(
        () => messages('outage'),
        (n) => n === 0,
        { timeoutMs: 10_000, intervalMs: 100 },
      );
      const left = (await messages('outage')) + (await messages('outage-poison'));
      expect({ lost, repeated, left }).toStrictEqual({ lost: 0, repeated: 0, left: 0 });
      expect(storage.refused).toBeGreaterThan(0);
    } finally {
      await poller.stop();
      await services.close();
      await storage.close();
    }
  }, 60_000);
});
