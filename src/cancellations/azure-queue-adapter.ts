/**
 * @module
 * Adapts the cancellation queue handler to the Functions v4 storage-queue trigger. With
 * `messageEncoding: none` the library hands over the message text itself (parsed, if it
 * happens to be JSON); `triggerMetadata.queueTrigger` holds the text as stored, and
 * `dequeueCount` arrives as a number or a numeric string.
 */
import type { InvocationContext, StorageQueueHandler } from '@azure/functions';
import { queueHostOptions } from '../shared/host-json.js';
import type { QueueHandler } from './queue-trigger.js';

/**
 * @example
 * app.storageQueue('cancellationqueue', { queueName: '%CANCEL_QUEUE%', connection: 'AzureWebJobsStorage',
 *   handler: toAzureQueueHandler(cancellationQueueHandler(getServices)) });
 */
export function toAzureQueueHandler(handler: QueueHandler): StorageQueueHandler {
  return async (payload: unknown, context: InvocationContext) => {
    const meta = context.triggerMetadata ?? {};
    const stored = meta.queueTrigger;
    const text =
      typeof payload === 'string' ? payload : typeof stored === 'string' ? stored : JSON.stringify(payload);
    await handler(
      {
        id: String(meta.id ?? context.invocationId),
        dequeueCount: Number(meta.dequeueCount ?? 1),
        text,
        maxDequeueCount: queueHostOptions().maxDequeueCount,
      },
      context,
    );
  };
}
