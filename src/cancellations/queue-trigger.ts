/**
 * @module
 * The queue-triggered function, on plain types so the Functions registration and the local
 * host's poller run the same code. host.json sets `messageEncoding: none`: the trigger gets the
 * message text as it is and decodes the base64 here, so that a message that is not base64,
 * not JSON or not an envelope is moved to `<queue>-poison` at once, logged with its reason
 * (never its content) and recorded in its batch's report when it names one — where the host's
 * own decoder would poison it unseen, with nothing recorded. Any other failure (storage down)
 * throws, and the host retries the message and finally moves it to the poison queue itself;
 * on that last attempt the failure is recorded in the batch first.
 */
import { errorName } from '../problems/errors.js';
import { createLogger, type LogSink } from '../shared/log.js';
import { decodeMessage } from './messages.js';
import { type CancellationServices, processMessage } from './processor.js';

/** What the trigger knows about the message (`context.triggerMetadata`). */
export interface QueueMessageMeta {
  id: string;
  dequeueCount: number;
  /** The message text as stored (the host's `queueTrigger` metadata). */
  text: string;
  /** `maxDequeueCount` of host.json: the attempt after which the host gives up. */
  maxDequeueCount: number;
}

export type QueueHandler = (meta: QueueMessageMeta, sink: LogSink) => Promise<void>;

/**
 * @example
 * const handle = cancellationQueueHandler(getServices);
 * await handle({ id, dequeueCount: 1, text, maxDequeueCount: 5 }, console);
 */
export function cancellationQueueHandler(servicesOf: () => CancellationServices): QueueHandler {
  return async (meta, sink) => {
    // The message id is the request id of every upstream call the message makes, and of its log lines.
    const log = createLogger(sink).child({
      requestId: meta.id,
      operation: 'cancellationqueue',
      messageId: meta.id,
    });
    const services = servicesOf();
    const { store, queue } = services.cancellations();
    const decoded = decodeMessage(meta.text);
    if (!decoded.ok) {
      await queue.sendToPoison(meta.text);
      log.warn('cancellation.message_rejected', { reason: decoded.reason, batchId: decoded.batchId });
      if (decoded.batchId) {
        await store.recordRejected(decoded.batchId, {
          messageId: meta.id,
          reason: decoded.reason,
          at: new Date().toISOString(),
        });
      }
      return;
    }
    const started = performance.now();
    try {
      const summary = await processMessage(decoded.message, meta, { services, store, queue, log });
      log.info('cancellation.message_done', {
        ...summary,
        dequeueCount: meta.dequeueCount,
        durationMs: Math.round(performance.now() - started),
      });
    } catch (error) {
      const reason = `processing failed (${errorName(error)}) on attempt ${meta.dequeueCount} of ${meta.maxDequeueCount}`;
      log.error('cancellation.message_failed', { reason, batchId: decoded.message.batchId });
      const batchId = decoded.message.batchId ?? meta.id;
      if (meta.dequeueCount >= meta.maxDequeueCount) {
        await store
          .recordRejected(batchId, {
            messageId: meta.id,
            reason: `${reason}; moved to the poison queue`,
            at: new Date().toISOString(),
          })
          .catch(() => undefined);
      }
      throw error;
    }
  };
}
