/**
 * The local host's queue poller against a real Azurite queue: it must do what host.json tells
 * the Functions host to do — delete after success, release after failure, poison after
 * maxDequeueCount, decode per messageEncoding, run at most batchSize + newBatchThreshold —
 * and, unlike the host, bring back a message whose release failed within one short lease.
 */
import { QueueClient } from '@azure/storage-queue';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Azurite, startAzurite } from '../../sandbox/azurite.js';
import { storageSwitch } from '../../sandbox/storage-switch.js';
import type { QueueMessageMeta } from '../../src/cancellations/queue-trigger.js';
import { startQueuePoller } from '../../src/local-host/queue-poller.js';
import type { QueueHostOptions } from '../../src/shared/host-json.js';
import { silentSink } from '../../src/shared/log.js';
import { captureLogs } from '../helpers/log-capture.js';
import { pollUntil } from '../helpers/poll.js';

const HOST: QueueHostOptions = {
  batchSize: 2,
  newBatchThreshold: 0,
  maxPollingIntervalMs: 200,
  visibilityTimeoutMs: 0,
  maxDequeueCount: 3,
  messageEncoding: 'none',
};

let azurite: Azurite;
let queue: QueueClient;
let poison: QueueClient;
let n = 0;

beforeAll(async () => {
  azurite = await startAzurite();
}, 30_000);
afterAll(() => azurite.stop());
beforeEach(async () => {
  n += 1;
  queue = new QueueClient(azurite.connectionString, `poller-${n}`);
  poison = new QueueClient(azurite.connectionString, `poller-${n}-poison`);
  await queue.create();
});

const count = async (q: QueueClient) =>
  (await q.exists()) ? Number((await q.getProperties()).approximateMessagesCount) : 0;

describe('queue poller', () => {
  it('hands each message to the handler once and deletes it after success', async () => {
    // Prepare
    const seen: QueueMessageMeta[] = [];
    await queue.sendMessage('first');
    await queue.sendMessage('second');

    // Act
    const poller = startQueuePoller({
      queue,
      poison,
      host: HOST,
      sink: silentSink,
      handler: async (m) => void seen.push(m),
    });
    await pollUntil(
      async () => seen.length,
      (l) => l === 2,
    );
    await poller.stop();

    // Assess
    expect(seen.map((m) => [m.text, m.dequeueCount, m.maxDequeueCount]).sort()).toStrictEqual([
      ['first', 1, 3],
      ['second', 1, 3],
    ]);
    expect(await count(queue)).toBe(0);
    expect(await count(poison)).toBe(0);
  });

  it('retries a failing message and moves it to <queue>-poison after maxDequeueCount attempts', async () => {
    // Prepare
    const attempts: number[] = [];
    await queue.sendMessage('always fails');

    // Act
    const poller = startQueuePoller({
      queue,
      poison,
      host: HOST,
      sink: silentSink,
      handler: async (m) => {
        attempts.push(m.dequeueCount);
        throw new Error('boom');
      },
    });
    await pollUntil(
      () => count(poison),
      (c) => c === 1,
      { timeoutMs: 10_000 },
    );
    await poller.stop();

    // Assess
    expect(attempts).toStrictEqual([1, 2, 3]);
    const { peekedMessageItems } = await poison.peekMessages();
    expect(peekedMessageItems.map((m) => m.messageText)).toStrictEqual(['always fails']);
    expect(await count(queue)).toBe(0);
  });

  it('decodes base64 when host.json says so, and poisons undecodable text at once, as the host does', async () => {
    // Prepare
    const texts: string[] = [];
    await queue.sendMessage(Buffer.from('héllo').toString('base64'));
    await queue.sendMessage('not base64 at all');

    // Act
    const poller = startQueuePoller({
      queue,
      poison,
      host: { ...HOST, messageEncoding: 'base64', maxDequeueCount: 5 },
      sink: silentSink,
      handler: async (m) => void texts.push(m.text),
    });
    await pollUntil(
      () => count(poison),
      (c) => c === 1,
      { timeoutMs: 10_000 },
    );
    await poller.stop();

    // Assess
    expect(texts).toStrictEqual(['héllo']);
    const { peekedMessageItems } = await poison.peekMessages();
    expect(peekedMessageItems.map((m) => [m.messageText, m.dequeueCount])).toStrictEqual([
      ['not base64 at all', 0],
    ]);
    expect(await count(queue)).toBe(0);
  });

  it('runs batchSize + newBatchThreshold messages at once, as the host does, and waits for them when stopped', async () => {
    // Prepare
    for (let i = 0; i < 6; i++) await queue.sendMessage(`m-${i}`);
    let running = 0;
    let most = 0;
    let finished = 0;
    const gates: Array<() => void> = [];

    // Act
    const poller = startQueuePoller({
      queue,
      poison,
      host: { ...HOST, newBatchThreshold: 1 },
      sink: silentSink,
      handler: async () => {
        running += 1;
        most = Math.max(most, running);
        await new Promise<void>((resolve) => gates.push(resolve));
        running -= 1;
        finished += 1;
      },
    });
    for (let released = 0; released < 3; released++) {
      await pollUntil(
        async () => gates.length,
        (l) => l > 0,
      );
      gates.shift()?.();
    }
    await pollUntil(
      async () => gates.length,
      (l) => l === 3,
    );
    let stopped = false;
    const stopping = poller.stop().then(() => {
      stopped = true;
    });
    await Promise.resolve();
    const stoppedEarly = stopped;
    for (const release of gates.splice(0)) release();
    await stopping;

    // Assess
    expect(most).toBe(3);
    expect(stoppedEarly).toBe(false);
    expect(finished).toBe(6);
    expect(await count(queue)).toBe(0);
  });

  it('brings back a message whose release failed (storage down) within one 30 s lease, not ten minutes', async () => {
    // Prepare: the poller reaches storage through a switch; its clients try each call once
    const storage = await storageSwitch(azurite.connectionString);
    const once = { retryOptions: { maxTries: 1 } };
    const viaSwitch = new QueueClient(storage.connectionString, queue.name, once);
    const poisonViaSwitch = new QueueClient(storage.connectionString, poison.name, once);
    await queue.sendMessage('needs storage');
    const deliveries: { dequeueCount: number; at: number }[] = [];
    const logs = captureLogs();

    // Act: the first delivery fails because storage went away, so its release fails too
    const poller = startQueuePoller({
      queue: viaSwitch,
      poison: poisonViaSwitch,
      host: HOST,
      sink: logs,
      handler: async (m) => {
        deliveries.push({ dequeueCount: m.dequeueCount, at: Date.now() });
        if (m.dequeueCount === 1) {
          storage.stop();
          throw new Error('storage unreachable');
        }
      },
    });
    try {
      await pollUntil(
        async () => logs.entries().some((e) => e.event === 'queue.release_failed'),
        (failed) => failed,
        { timeoutMs: 10_000 },
      );
      storage.start();
      await pollUntil(
        async () => deliveries.length,
        (n) => n === 2,
        { timeoutMs: 40_000, intervalMs: 100 },
      );
      await pollUntil(
        () => count(queue),
        (n) => n === 0,
        { timeoutMs: 5_000 },
      );
    } finally {
      await poller.stop();
      await storage.close();
    }

    // Assess: back after one lease from its first delivery; handled once more, then gone
    const [first, second] = deliveries;
    expect(deliveries.map((d) => d.dequeueCount)).toStrictEqual([1, 2]);
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(29_000);
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeLessThan(35_000);
    expect(await count(queue)).toBe(0);
    expect(await count(poison)).toBe(0);
  }, 60_000);
});
