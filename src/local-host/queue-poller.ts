/**
 * @module
 * The Functions host's queue listener, for the local host (`npm start` without Core Tools)
 * and the tests: it polls a Storage queue, takes up to `batchSize` messages and fetches more
 * when only `newBatchThreshold` are still running, backs off up to `maxPollingInterval` while
 * the queue is empty, decodes per `messageEncoding`, keeps a message hidden while its handler
 * runs, deletes it after success, makes it visible again after `visibilityTimeout` on
 * failure, and moves it to `<queue>-poison` once it has failed `maxDequeueCount` times —
 * what host.json says, as the host does it. Unlike the host's 10-minute lease, a message is
 * hidden for a short lease renewed while it runs: if its release fails (storage down), it
 * comes back within one lease, not ten minutes later.
 */
import type { QueueClient } from '@azure/storage-queue';
import { isBase64 } from '../cancellations/messages.js';
import type { QueueHandler } from '../cancellations/queue-trigger.js';
import { errorName } from '../problems/errors.js';
import { type QueueHostOptions, queueHostOptions } from '../shared/host-json.js';
import { createLogger, type LogSink } from '../shared/log.js';

export interface QueuePollerOptions {
  queue: QueueClient;
  poison: QueueClient;
  handler: QueueHandler;
  sink?: LogSink;
  /** @default host.json's `extensions.queues` */
  host?: QueueHostOptions;
  /**
   * How long a taken message stays hidden, renewed every third of it while it runs (one failed
   * renewal is no loss); bounds how long a message whose release failed stays hidden. @default 30 s
   */
  leaseMs?: number;
}

export interface QueuePoller {
  /** Stops taking messages and waits for the running ones to finish. */
  stop(): Promise<void>;
  /** A message was just sent (visible after `delaySeconds`): poll then, not after the back-off. */
  nudge(delaySeconds?: number): void;
}

const MIN_POLL_MS = 100;
const DEFAULT_LEASE_MS = 30_000;

/**
 * @example
 * const poller = startQueuePoller({ queue, poison, handler: cancellationQueueHandler(getServices) });
 * await poller.stop();
 */
export function startQueuePoller(options: QueuePollerOptions): QueuePoller {
  const host = options.host ?? queueHostOptions();
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const log = createLogger(options.sink ?? console).child({ queue: options.queue.name });
  /** Messages whose handler runs (the host's concurrency), and every job not yet settled. */
  const running = new Set<object>();
  const jobs = new Set<Promise<void>>();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let dueAt = 0;
  let nudged = false;
  let delay = MIN_POLL_MS;
  let wake: (() => void) | undefined;
  let ready: Promise<unknown> | undefined;

  const poll = async () => {
    timer = undefined;
    if (stopped) return;
    try {
      ready ??= Promise.all([options.queue.createIfNotExists(), options.poison.createIfNotExists()]);
      await ready;
      // Like the host: a whole batch each time, so batchSize + newBatchThreshold may run at once.
      const { receivedMessageItems: messages } = await options.queue.receiveMessages({
        numberOfMessages: Math.min(32, host.batchSize),
        visibilityTimeout: Math.ceil(leaseMs / 1000),
      });
      // Found work and room for more: ask again at once; an empty queue backs off.
      delay = messages.length > 0 ? 0 : Math.min(Math.max(delay * 2, MIN_POLL_MS), host.maxPollingIntervalMs);
      for (const message of messages) {
        const slot = {};
        // The slot frees when the handler returns; deleting the message happens after that.
        const release = () => {
          if (running.delete(slot) && running.size <= host.newBatchThreshold) wake?.();
        };
        running.add(slot);
        const job = handle(message, release).finally(() => {
          release();
          jobs.delete(job);
        });
        jobs.add(job);
      }
      if (messages.length > 0 && running.size > host.newBatchThreshold) {
        // Like the host: fetch the next batch once the running ones drop to the threshold.
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
        delay = 0;
      }
    } catch (error) {
      ready = undefined;
      log.error('queue.poll_failed', { error: errorName(error) });
      delay = Math.min(Math.max(delay * 2, 1000), host.maxPollingIntervalMs);
    }
    if (nudged) delay = Math.min(delay, MIN_POLL_MS);
    nudged = false;
    if (!stopped) schedule(delay);
  };

  const schedule = (ms: number) => {
    clearTimeout(timer);
    dueAt = Date.now() + ms;
    timer = setTimeout(() => void poll(), ms);
  };

  const handle = async (message: ReceivedMessage, release: () => void) => {
    let popReceipt = message.popReceipt;
    // A renewal changes the pop receipt: the release waits for one under way.
    let renewing: Promise<unknown> = Promise.resolve();
    const renew = setInterval(() => {
      renewing = options.queue
        .updateMessage(message.messageId, popReceipt, undefined, Math.ceil(leaseMs / 1000))
        .then((r) => {
          popReceipt = r.popReceipt ?? popReceipt;
        })
        .catch(() => undefined);
    }, leaseMs / 3);
    const fields = { messageId: message.messageId, dequeueCount: message.dequeueCount };
    // As the host's listener: a message past maxDequeueCount, or one it cannot decode, goes to
    // the poison queue at once, without running the function.
    const text =
      message.dequeueCount > host.maxDequeueCount
        ? undefined
        : decodeText(message.messageText, host.messageEncoding);
    if (text === undefined) {
      clearInterval(renew);
      release();
      await poisonNow(message, popReceipt).catch((e: unknown) =>
        log.error('queue.release_failed', { ...fields, error: errorName(e) }),
      );
      return;
    }
    try {
      await options.handler(
        {
          id: message.messageId,
          dequeueCount: message.dequeueCount,
          text,
          maxDequeueCount: host.maxDequeueCount,
        },
        options.sink ?? console,
      );
      clearInterval(renew);
      release();
      await renewing;
      await options.queue.deleteMessage(message.messageId, popReceipt);
    } catch (error) {
      clearInterval(renew);
      log.warn('queue.message_failed', { ...fields, error: errorName(error) });
      await renewing;
      await settleFailure(message, popReceipt).catch((e: unknown) =>
        log.error('queue.release_failed', { ...fields, error: errorName(e) }),
      );
    }
  };

  const poisonNow = async (message: ReceivedMessage, popReceipt: string) => {
    await options.poison.sendMessage(message.messageText);
    await options.queue.deleteMessage(message.messageId, popReceipt);
    log.warn('queue.message_poisoned', { messageId: message.messageId, dequeueCount: message.dequeueCount });
  };

  const settleFailure = async (message: ReceivedMessage, popReceipt: string) => {
    if (message.dequeueCount >= host.maxDequeueCount) return poisonNow(message, popReceipt);
    await options.queue.updateMessage(
      message.messageId,
      popReceipt,
      undefined,
      Math.ceil(host.visibilityTimeoutMs / 1000),
    );
  };

  schedule(0);
  return {
    nudge(delaySeconds = 0) {
      // Only a sleeping poller, and only sooner: one waiting for running messages polls when they finish.
      const at = Date.now() + delaySeconds * 1000;
      if (!stopped && timer === undefined && delaySeconds === 0) nudged = true; // a poll is under way
      if (stopped || timer === undefined || at >= dueAt) return;
      delay = MIN_POLL_MS;
      schedule(delaySeconds * 1000);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      wake?.();
      while (jobs.size > 0) await Promise.allSettled([...jobs]);
    },
  };
}

interface ReceivedMessage {
  messageId: string;
  popReceipt: string;
  messageText: string;
  dequeueCount: number;
}

/** The host's decoding: undefined when the text is not well-formed base64 (the host poisons it). */
function decodeText(text: string, encoding: QueueHostOptions['messageEncoding']): string | undefined {
  if (encoding === 'none') return text;
  if (!isBase64(text)) return undefined;
  return Buffer.from(text, 'base64').toString('utf8');
}
