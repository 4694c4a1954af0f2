/**
 * The cancellation processor on one decoded queue message, against real Azurite (queue and
 * table) and the project's Flyte Admin and Azure ML emulators: indexes, skipping final
 * targets, allow-list refusals, outcome classification, re-enqueued retries honouring
 * `Retry-After`, exhausted attempts and the concurrency cap. Every case checks what came
 * back, what the table holds and what each upstream received.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type DecodedMessage, decodeMessage, encodeMessages } from '../../src/cancellations/messages.js';
import {
  type Cancellations,
  forEachConcurrently,
  type ProcessorDeps,
  processMessage,
} from '../../src/cancellations/processor.js';
import { retryDelaySeconds } from '../../src/cancellations/retry-plan.js';
import { chunkKey, pendingRecord, type TargetRecord } from '../../src/cancellations/store.js';
import { loadSettings } from '../../src/config.js';
import { createServices, type Services } from '../../src/services.js';
import { createLogger } from '../../src/shared/log.js';
import {
  azuremlTarget,
  cancelCalls,
  EXPERIMENT,
  FLYTE,
  flyteTarget,
  producerText,
  type TestTarget,
  upstreamPath,
} from '../helpers/cancellations.js';
import { type Gateway, startGateway, WORKSPACE } from '../helpers/gateway.js';
import { captureLogs } from '../helpers/log-capture.js';
import { pollUntil } from '../helpers/poll.js';

const CONCURRENCY = 3;
const MAX_ATTEMPTS = 3;

describe('processMessage (real Azurite, Flyte Admin and Azure ML emulators)', () => {
  let gateway: Gateway;
  let services: Services;
  let cancellations: Cancellations;
  let deps: ProcessorDeps;

  beforeAll(async () => {
    // The helper brings both emulators and Azurite; the processor gets services of its own.
    gateway = await startGateway({ azureml: { cancelTerminal: 'conflict' } });
    const { azureml, azurite } = gateway;
    if (!azureml || !azurite) throw new Error('started without Azure ML and Azurite');
    services = createServices(
      loadSettings({
        FLYTE_ENDPOINT: gateway.emulator.url,
        FLYTE_PROJECTS: FLYTE.project,
        AZUREML_ENDPOINT: azureml.url,
        AZUREML_AUTH: 'none',
        AZUREML_WORKSPACES: `${WORKSPACE.subscription}/${WORKSPACE.resourceGroup}/${WORKSPACE.workspace}`,
        AzureWebJobsStorage: azurite.connectionString,
        UPSTREAM_TIMEOUT_MS: '1500',
        CANCEL_CONCURRENCY: String(CONCURRENCY),
        CANCEL_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
      }),
    );
    cancellations = services.cancellations();
    deps = { services, ...cancellations, log: createLogger(captureLogs()) };
  }, 60_000);

  afterAll(async () => {
    await services?.close();
    await gateway?.close();
  });

  beforeEach(async () => {
    gateway.emulator.reset();
    gateway.azureml?.reset();
    await cancellations.queue.main.createIfNotExists();
    await cancellations.queue.main.clearMessages();
  });

  const run = (message: DecodedMessage, id = randomUUID()) =>
    processMessage(message, { id, dequeueCount: 1 }, deps);

  /** A message as the REST endpoint writes it: batch and chunk on record (all pending unless given), then the text. */
  async function accepted(targets: TestTarget[], records?: TargetRecord[], cause?: string) {
    const batchId = `b-${randomUUID()}`;
    const indexed = targets.map((target, index) => ({ ...target, index }));
    const [encoded] = encodeMessages(batchId, cause, indexed);
    if (!encoded) throw new Error('nothing encoded');
    const { store } = cancellations;
    await store.createBatch({
      batchId,
      total: targets.length,
      source: 'rest',
      createdAt: new Date().toISOString(),
    });
    await store.createChunk(batchId, encoded.chunk, records ?? indexed.map((t) => pendingRecord(t.index, t)));
    return { batchId, key: encoded.chunk, message: decoded(encoded.text) };
  }

  function decoded(text: string): DecodedMessage {
    const result = decodeMessage(text);
    if (!result.ok) throw new Error(result.reason);
    return result.message;
  }

  /** Takes the next retry off the queue once it is visible, decoded. */
  async function takeRetry(timeoutMs = 10_000): Promise<DecodedMessage> {
    const { main } = cancellations.queue;
    const [item] = await pollUntil(
      async () => (await main.receiveMessages()).receivedMessageItems,
      (items) => items.length > 0,
      { timeoutMs, intervalMs: 100 },
    );
    if (!item) throw new Error('no message');
    await main.deleteMessage(item.messageId, item.popReceipt);
    return decoded(item.messageText);
  }

  const seedFlyte = (name: string, phase: 'RUNNING' | 'SUCCEEDED' = 'RUNNING') =>
    gateway.emulator.seed({ ...FLYTE, name, phase });
  const seedAzureMl = (runId: string, status: 'Running' | 'Completed' = 'Running') =>
    gateway.azureml?.seed({ experimentName: EXPERIMENT, runId, status });

  async function chunkOf(batchId: string, key = chunkKey(0)): Promise<TargetRecord[]> {
    const chunk = await cancellations.store.readChunk(batchId, key);
    return chunk?.targets ?? [];
  }

  /** Requests the emulators got that have not been answered yet. */
  const inFlight = () =>
    [...gateway.emulator.requests, ...(gateway.azureml?.requests ?? [])].filter(
      (r) => r.status === undefined && !r.dropped,
    ).length;

  it("gives a producer's message its indexes and cancels every target with the right upstream calls", async () => {
    // Prepare
    seedFlyte('fresh-a');
    seedAzureMl('exp_fresh_b');
    seedFlyte('fresh-c');
    const targets = [flyteTarget('fresh-a'), azuremlTarget('exp_fresh_b'), flyteTarget('fresh-c')];
    const message = decoded(producerText({ cause: 'producer cleanup', targets }));
    const messageId = randomUUID();

    // Act
    const summary = await run(message, messageId);

    // Assess: the batch is named after the message and holds indexes 0..2, all cancelled once
    expect(message.indexed).toBe(false);
    expect(summary).toMatchObject({ batchId: messageId, targets: 3, skipped: 0, calls: 3, retried: 0 });
    const report = await cancellations.store.report(messageId, { limit: 10 });
    expect(report?.batch).toMatchObject({
      batchId: messageId,
      total: 3,
      source: 'queue',
      cause: 'producer cleanup',
    });
    expect(report?.counts).toStrictEqual({
      pending: 0,
      cancelled: 3,
      alreadyFinished: 0,
      notFound: 0,
      failed: 0,
    });
    expect(report?.targets.map((t) => [t.index, t.kind, t.outcome, t.attempts, t.status])).toStrictEqual([
      [0, 'flyte', 'cancelled', 1, 200],
      [1, 'azureml', 'cancelled', 1, 200],
      [2, 'flyte', 'cancelled', 1, 200],
    ]);
    // A redelivery of the same message gets the same range: no second reservation.
    expect(await cancellations.store.reserve(messageId, messageId, 3, undefined)).toBe(0);
    expect((await cancellations.store.getBatch(messageId))?.total).toBe(3);
    // What the upstreams received: one cancel per target, with the cause and the message id
    const calls = cancelCalls(gateway);
    expect(calls.size).toBe(3);
    for (const target of targets)
      expect(calls.get(upstreamPath(target)), upstreamPath(target)).toStrictEqual({ calls: 1, succeeded: 1 });
    const terminates = gateway.emulator.requests.filter((r) => r.method === 'DELETE');
    expect(terminates.map((r) => JSON.parse(r.body))).toStrictEqual([
      { cause: 'producer cleanup' },
      { cause: 'producer cleanup' },
    ]);
    const upstreamRequests = [...terminates, ...(gateway.azureml?.requests ?? [])];
    expect(upstreamRequests.map((r) => r.headers['x-request-id'])).toStrictEqual(Array(3).fill(messageId));
    expect(
      gateway.azureml?.runs.getRun(WORKSPACE.workspace, EXPERIMENT, 'exp_fresh_b')?.cancelRequestedAt,
    ).toEqual(expect.any(Number));
    // Nothing to retry
    expect((await cancellations.queue.main.getProperties()).approximateMessagesCount).toBe(0);
  });

  it('gives the second message of a producer batch the next indexes and its own chunk', async () => {
    // Prepare
    const batchId = `nightly-${randomUUID()}`;
    for (const name of ['multi-0', 'multi-1', 'multi-2']) seedFlyte(name);
    const first = decoded(
      producerText({ batchId, targets: [flyteTarget('multi-0'), flyteTarget('multi-1')] }),
    );
    const second = decoded(producerText({ batchId, targets: [flyteTarget('multi-2')] }));

    // Act
    await run(first);
    const summary = await run(second);

    // Assess
    expect(summary).toMatchObject({ batchId, targets: 1, calls: 1 });
    expect(
      (await chunkOf(batchId, chunkKey(2))).map((t) => [t.index, t.identity.name, t.outcome]),
    ).toStrictEqual([[2, 'multi-2', 'cancelled']]);
    const report = await cancellations.store.report(batchId, { limit: 10 });
    expect(report?.batch.total).toBe(3);
    expect(report?.targets.map((t) => t.index)).toStrictEqual([0, 1, 2]);
    expect([...cancelCalls(gateway).values()]).toStrictEqual(Array(3).fill({ calls: 1, succeeded: 1 }));
  });

  it('skips targets that are final, or whose retry is out, when a message comes again: nothing is called twice', async () => {
    // Prepare: the first delivery cancels A, while B meets a 503, stays pending and goes back on the queue
    seedFlyte('again-a');
    seedFlyte('again-b');
    const a = flyteTarget('again-a');
    const b = flyteTarget('again-b');
    gateway.emulator.faults.script(upstreamPath(b), [{ kind: 'status5xx', status: 503 }]);
    const { batchId, message } = await accepted([a, b]);
    const firstDelivery = await run(message);
    const afterFirst = await chunkOf(batchId);

    // Act: the same message again (a redelivery), then B's retry, then both once more
    const secondDelivery = await run(message);
    const retry = await takeRetry();
    const retried = await run(retry);
    const thirdDelivery = await run(message);
    const staleRetry = await run(retry);

    // Assess
    expect(firstDelivery).toMatchObject({ skipped: 0, calls: 2, retried: 1 });
    expect(afterFirst.map((t) => [t.outcome, t.attempts, t.status, t.queued])).toStrictEqual([
      ['cancelled', 1, 200, undefined],
      ['pending', 1, 503, 1],
    ]);
    expect(secondDelivery).toMatchObject({ targets: 2, skipped: 2, calls: 0, retried: 0 });
    expect(retry.entries).toStrictEqual([{ target: b, index: 1, attempt: 1 }]);
    expect(retried).toMatchObject({ targets: 1, skipped: 0, calls: 1, retried: 0 });
    expect(thirdDelivery).toMatchObject({ targets: 2, skipped: 2, calls: 0, retried: 0 });
    expect(staleRetry).toMatchObject({ targets: 1, skipped: 1, calls: 0, retried: 0 });
    expect((await chunkOf(batchId)).map((t) => [t.outcome, t.attempts, t.status])).toStrictEqual([
      ['cancelled', 1, 200],
      ['cancelled', 2, 200],
    ]);
    const calls = cancelCalls(gateway);
    expect(calls.get(upstreamPath(a))).toStrictEqual({ calls: 1, succeeded: 1 });
    expect(calls.get(upstreamPath(b))).toStrictEqual({ calls: 2, succeeded: 1 });
    expect((await cancellations.queue.main.getProperties()).approximateMessagesCount).toBe(0);
  }, 20_000);

  it('records a target off the allow-list, or malformed, as failed without any upstream call', async () => {
    // Prepare: valid targets the gateway may not touch, and one that is not a target at all
    const otherProject = { kind: 'flyte' as const, project: 'secret', domain: 'development', name: 'x-1' };
    const otherWorkspace = { ...azuremlTarget('exp_elsewhere'), workspaceName: 'ws-other' };
    const malformed = { kind: 'flyte', project: FLYTE.project, domain: FLYTE.domain, name: 'Not Valid!' };
    const message = decoded(producerText({ targets: [otherProject, otherWorkspace, malformed] }));
    const messageId = randomUUID();

    // Act
    const summary = await run(message, messageId);

    // Assess
    expect(summary).toMatchObject({ targets: 3, calls: 0, retried: 0 });
    const rows = await chunkOf(messageId);
    expect(rows.map((t) => [t.index, t.outcome, t.attempts])).toStrictEqual([
      [0, 'failed', 0],
      [1, 'failed', 0],
      [2, 'failed', 0],
    ]);
    expect(rows[0]?.detail).toMatch(/secret/);
    expect(rows[1]?.detail).toMatch(/ws-other/);
    expect(rows[2]?.detail).toMatch(/^invalid target: name /);
    expect(rows.every((t) => t.status === undefined)).toBe(true);
    expect(gateway.emulator.requests).toStrictEqual([]);
    expect(gateway.azureml?.requests).toStrictEqual([]);
    expect((await cancellations.queue.main.getProperties()).approximateMessagesCount).toBe(0);
  });

  it('re-enqueues a throttled target no sooner than its Retry-After and records it pending after one attempt', async () => {
    // Prepare: 3 s is more than any first back-off (1 s ± 25 %), so the delay can only come from Retry-After
    const target = flyteTarget('throttled-0');
    seedFlyte('throttled-0');
    gateway.emulator.faults.script(upstreamPath(target), [{ kind: 'status429', retryAfterSeconds: 3 }]);
    const { batchId, key, message } = await accepted([target], undefined, 'throttle me');
    const sent: number[] = [];
    const stopListening = cancellations.queue.onSend((delay) => sent.push(delay));
    const before = Date.now();

    // Act
    const summary = await run(message).finally(stopListening);

    // Assess: one call, no inline retry; on record as pending with one attempt
    expect(summary).toMatchObject({ calls: 1, retried: 1 });
    expect(gateway.emulator.requests.map((r) => [r.method, r.status])).toStrictEqual([['DELETE', 429]]);
    expect(await chunkOf(batchId)).toMatchObject([
      { index: 0, outcome: 'pending', attempts: 1, status: 429 },
    ]);
    // The retry is on the real queue, invisible for the Retry-After
    expect(sent).toHaveLength(1);
    expect(sent[0]).toBeGreaterThanOrEqual(3);
    const { main } = cancellations.queue;
    expect((await main.getProperties()).approximateMessagesCount).toBe(1);
    expect((await main.peekMessages()).peekedMessageItems).toStrictEqual([]);
    const received = await pollUntil(
      async () => (await main.receiveMessages()).receivedMessageItems,
      (items) => items.length > 0,
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    expect(Date.now() - before).toBeGreaterThanOrEqual(3_000);
    const [item] = received;
    if (!item) throw new Error('no message');
    await main.deleteMessage(item.messageId, item.popReceipt);
    const retry = decoded(item.messageText);
    expect(retry).toMatchObject({ batchId, cause: 'throttle me', chunk: key, indexed: true });
    expect(retry.entries).toStrictEqual([{ target, index: 0, attempt: 1 }]);
  }, 20_000);

  it('fails a target once its attempts are used up, and never calls one that has none left', async () => {
    // Prepare: one target with 2 of 3 attempts made, meeting another 503; one with all 3 made
    const last = flyteTarget('last-try');
    const spent = flyteTarget('spent');
    seedFlyte('last-try');
    seedFlyte('spent');
    gateway.emulator.faults.script(upstreamPath(last), [{ kind: 'status5xx', status: 503 }]);
    const { batchId, message } = await accepted(
      [last, spent],
      [
        { ...pendingRecord(0, last), attempts: MAX_ATTEMPTS - 1, status: 503 },
        { ...pendingRecord(1, spent), attempts: MAX_ATTEMPTS, status: 503 },
      ],
    );

    // Act
    const summary = await run(message);

    // Assess
    expect(summary).toMatchObject({ targets: 2, calls: 1, retried: 0 });
    const rows = await chunkOf(batchId);
    expect(rows[0]).toMatchObject({ outcome: 'failed', attempts: MAX_ATTEMPTS, status: 503 });
    expect(rows[0]?.detail).toMatch(/answered 503/);
    expect(rows[1]).toMatchObject({ outcome: 'failed', attempts: MAX_ATTEMPTS, detail: 'no attempts left' });
    const calls = cancelCalls(gateway);
    expect(calls.get(upstreamPath(last))).toStrictEqual({ calls: 1, succeeded: 0 });
    expect(calls.has(upstreamPath(spent))).toBe(false);
    expect((await cancellations.queue.main.getProperties()).approximateMessagesCount).toBe(0);
  });

  it("classifies the upstreams' answers: already terminal → alreadyFinished, unknown → notFound", async () => {
    // Prepare: finished runs on both upstreams (Flyte: 400 code 9; Azure ML: 409), and runs that do not exist
    seedFlyte('finished-f', 'SUCCEEDED');
    seedAzureMl('exp_finished_a', 'Completed');
    const targets = [
      flyteTarget('finished-f'),
      azuremlTarget('exp_finished_a'),
      flyteTarget('absent-f'),
      azuremlTarget('exp_absent_a'),
    ];
    const { batchId, message } = await accepted(targets);

    // Act
    const summary = await run(message);

    // Assess
    expect(summary).toMatchObject({ calls: 4, retried: 0 });
    expect((await chunkOf(batchId)).map((t) => [t.outcome, t.attempts, t.status])).toStrictEqual([
      ['alreadyFinished', 1, 400],
      ['alreadyFinished', 1, 409],
      ['notFound', 1, 404],
      ['notFound', 1, 404],
    ]);
    const answers = [...gateway.emulator.requests, ...(gateway.azureml?.requests ?? [])];
    expect(answers.map((r) => [r.path, r.status])).toEqual(
      expect.arrayContaining([
        [upstreamPath(targets[0] as TestTarget), 400],
        [upstreamPath(targets[1] as TestTarget), 409],
        [upstreamPath(targets[2] as TestTarget), 404],
        [upstreamPath(targets[3] as TestTarget), 404],
      ]),
    );
    expect(answers).toHaveLength(4);
    const report = await cancellations.store.report(batchId, { limit: 10 });
    expect(report?.counts).toStrictEqual({
      pending: 0,
      cancelled: 0,
      alreadyFinished: 2,
      notFound: 2,
      failed: 0,
    });
  });

  it(`never has more than CANCEL_CONCURRENCY (${CONCURRENCY}) cancels in flight at the upstreams`, async () => {
    // Prepare: slow answers, so that calls overlap
    const names = Array.from({ length: 6 }, (_, i) => `slow-${i}`);
    const runIds = Array.from({ length: 6 }, (_, i) => `exp_slow_${i}`);
    for (const name of names) seedFlyte(name);
    for (const runId of runIds) seedAzureMl(runId);
    gateway.emulator.faults.latencyMs = 120;
    if (gateway.azureml) gateway.azureml.faults.latencyMs = 120;
    const targets: TestTarget[] = names.flatMap((n, i) => [
      flyteTarget(n),
      azuremlTarget(runIds[i] as string),
    ]);
    const { batchId, message } = await accepted(targets);

    // Act: sample the emulators' unanswered requests while the message runs
    let finished = false;
    const running = run(message).finally(() => {
      finished = true;
    });
    const samples: number[] = [];
    await pollUntil(
      async () => {
        samples.push(inFlight());
        return finished;
      },
      (done) => done,
      { timeoutMs: 15_000, intervalMs: 5 },
    );
    const summary = await running;

    // Assess
    expect(summary).toMatchObject({ targets: 12, calls: 12, retried: 0 });
    expect(Math.max(...samples)).toBe(CONCURRENCY);
    expect((await chunkOf(batchId)).every((t) => t.outcome === 'cancelled' && t.attempts === 1)).toBe(true);
    expect([...cancelCalls(gateway).values()]).toStrictEqual(Array(12).fill({ calls: 1, succeeded: 1 }));
  });
});

describe('retryDelaySeconds', () => {
  it.each([
    { attempts: 1, random: 0, retryAfterMs: undefined, expected: 1 },
    { attempts: 1, random: 0.999, retryAfterMs: undefined, expected: 2 },
    { attempts: 3, random: 0.5, retryAfterMs: undefined, expected: 4 },
    { attempts: 3, random: 0, retryAfterMs: undefined, expected: 3 },
    { attempts: 3, random: 0.999, retryAfterMs: undefined, expected: 5 },
    { attempts: 7, random: 0.5, retryAfterMs: undefined, expected: 60 },
    { attempts: 20, random: 0, retryAfterMs: undefined, expected: 45 },
    { attempts: 20, random: 0.999, retryAfterMs: undefined, expected: 75 },
    { attempts: 1, random: 0, retryAfterMs: 7_500, expected: 8 },
    { attempts: 1, random: 0.5, retryAfterMs: 0, expected: 1 },
    { attempts: 7, random: 0, retryAfterMs: 120_000, expected: 120 },
    { attempts: 0, random: 0, retryAfterMs: undefined, expected: 1 },
  ])(
    'attempts $attempts, random $random, Retry-After $retryAfterMs ms → $expected s',
    ({ attempts, random, retryAfterMs, expected }) => {
      // Act
      const delay = retryDelaySeconds(attempts, retryAfterMs, () => random);

      // Assess
      expect(delay).toBe(expected);
    },
  );

  it('stays within 1 s and 75 s (60 s ± 25 %) and never undercuts Retry-After, whatever the jitter', () => {
    // Prepare
    const randoms = [0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.999_999];

    // Act
    const delays = randoms.flatMap((r) =>
      Array.from({ length: 20 }, (_, i) => ({
        attempts: i + 1,
        plain: retryDelaySeconds(i + 1, undefined, () => r),
        throttled: retryDelaySeconds(i + 1, 9_001, () => r),
      })),
    );

    // Assess
    for (const { attempts, plain, throttled } of delays) {
      const base = Math.min(60, 2 ** (attempts - 1));
      expect(plain).toBeGreaterThanOrEqual(Math.max(1, Math.ceil(base * 0.75)));
      expect(plain).toBeLessThanOrEqual(Math.ceil(base * 1.25));
      expect(Number.isInteger(plain)).toBe(true);
      expect(throttled).toBeGreaterThanOrEqual(10);
      expect(throttled).toBe(Math.max(10, plain));
    }
  });
});

describe('forEachConcurrently', () => {
  /** Yields to the event loop so every ready worker can start its next item. */
  const settle = () => new Promise((resolve) => setImmediate(resolve));

  it('keeps at most `limit` calls in flight and starts the next item as soon as one finishes', async () => {
    // Prepare: each call waits until the test releases it
    const items = Array.from({ length: 8 }, (_, i) => i);
    const started: number[] = [];
    const waiting = new Map<number, () => void>();
    let inFlight = 0;
    let most = 0;
    const fn = (item: number) =>
      new Promise<void>((resolve) => {
        started.push(item);
        inFlight += 1;
        most = Math.max(most, inFlight);
        waiting.set(item, () => {
          waiting.delete(item);
          inFlight -= 1;
          resolve();
        });
      });
    const release = (item: number) => waiting.get(item)?.();

    // Act
    const all = forEachConcurrently(items, 3, fn);
    await settle();
    const startedFirst = [...started];
    release(1);
    await settle();
    const startedAfterOne = [...started];
    while (waiting.size > 0) {
      for (const item of [...waiting.keys()]) release(item);
      await settle();
    }
    await all;

    // Assess
    expect(startedFirst).toStrictEqual([0, 1, 2]);
    expect(startedAfterOne).toStrictEqual([0, 1, 2, 3]);
    expect(started).toStrictEqual(items);
    expect(most).toBe(3);
    expect(inFlight).toBe(0);
  });

  it('runs every item exactly once, with fewer workers than the limit when there are fewer items', async () => {
    // Prepare
    const seen: string[] = [];
    let inFlight = 0;
    let most = 0;
    const fn = async (item: string) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await settle();
      seen.push(item);
      inFlight -= 1;
    };

    // Act
    await forEachConcurrently(['a', 'b'], 16, fn);
    await forEachConcurrently([], 4, fn);

    // Assess
    expect(seen.sort()).toStrictEqual(['a', 'b']);
    expect(most).toBe(2);
  });

  it('with a limit of 1 runs the items one after another, in order', async () => {
    // Prepare
    const log: string[] = [];
    const fn = async (item: number) => {
      log.push(`start ${item}`);
      await settle();
      log.push(`end ${item}`);
    };

    // Act
    await forEachConcurrently([1, 2, 3], 1, fn);

    // Assess
    expect(log).toStrictEqual(['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
  });
});
