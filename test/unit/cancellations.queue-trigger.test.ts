import { app, InvocationContext } from '@azure/functions';
import { describe, expect, it, vi } from 'vitest';
import { toAzureQueueHandler } from '../../src/cancellations/azure-queue-adapter.js';
import type { QueueMessageMeta } from '../../src/cancellations/queue-trigger.js';
import { loadSettings } from '../../src/config.js';
import { queueHostOptions } from '../../src/shared/host-json.js';

describe('host.json queue settings', () => {
  it('hands the trigger raw text (the handler decodes base64) and poisons after five attempts', () => {
    // Act
    const options = queueHostOptions();

    // Assess
    expect(options).toMatchObject({ messageEncoding: 'none', maxDequeueCount: 5 });
    expect(options.maxPollingIntervalMs).toBeLessThanOrEqual(2_000);
  });

  it('sizes batchSize so that every message running at once stays within the upstream pool', () => {
    // Prepare
    const settings = loadSettings({});
    const { batchSize, newBatchThreshold } = queueHostOptions();

    // Act: the host runs up to batchSize + newBatchThreshold messages per instance
    const calls = (batchSize + newBatchThreshold) * settings.CANCEL_CONCURRENCY;

    // Assess
    expect(calls).toBeLessThanOrEqual(settings.UPSTREAM_CONNECTIONS);
    expect(calls).toBeGreaterThanOrEqual(settings.UPSTREAM_CONNECTIONS / 2);
  });
});

describe('queue trigger registration', () => {
  it('registers cancellationqueue on %CANCEL_QUEUE% over the app storage connection', async () => {
    // Prepare
    const registered: Array<{ name: string; options: { queueName: string; connection: string } }> = [];
    const spy = vi.spyOn(app, 'storageQueue').mockImplementation((name, options) => {
      registered.push({ name, options });
    });
    vi.resetModules();

    // Act
    try {
      await import('../../src/functions/queue.js');
    } finally {
      spy.mockRestore();
    }

    // Assess
    expect(registered).toHaveLength(1);
    expect(registered[0]?.name).toBe('cancellationqueue');
    expect(registered[0]?.options).toMatchObject({
      queueName: '%CANCEL_QUEUE%',
      connection: 'AzureWebJobsStorage',
    });
  });

  it.each([
    {
      name: 'text payload',
      payload: 'eyJ9',
      metadata: { id: 'm-1', dequeueCount: 2 },
      text: 'eyJ9',
      dequeueCount: 2,
    },
    {
      name: 'payload the library parsed as JSON',
      payload: 1234,
      metadata: { id: 'm-2', dequeueCount: '3', queueTrigger: '1234' },
      text: '1234',
      dequeueCount: 3,
    },
  ])('passes the stored text and metadata on ($name)', async ({ payload, metadata, text, dequeueCount }) => {
    // Prepare
    const seen: QueueMessageMeta[] = [];
    const handler = toAzureQueueHandler(async (meta) => void seen.push(meta));

    // Act
    await handler(payload, new InvocationContext({ triggerMetadata: metadata }));

    // Assess
    expect(seen).toStrictEqual([{ id: metadata.id, dequeueCount, text, maxDequeueCount: 5 }]);
  });
});
