/**
 * @module
 * The cancellation queue and its poison queue (`<CANCEL_QUEUE>-poison`), for the three
 * writers: the REST endpoint (a batch split into messages), the processor (targets to retry,
 * with a visibility delay) and the rejection of malformed messages. Both queues are created
 * on first use when missing (Azurite starts empty; in Azure, Bicep made them).
 */
import type { QueueClient } from '@azure/storage-queue';
import type { Settings } from '../config.js';
import { queueClient } from '../storage/clients.js';

/** Every message lives 7 days (the storage default, set explicitly so that it is ours). */
const MESSAGE_TTL_SECONDS = 7 * 24 * 60 * 60;
/**
 * The longest delay a message may be sent with: once visible it still needs time to be taken
 * and processed, up to maxDequeueCount × functionTimeout (5 × 10 min), before it expires.
 */
export const MAX_DELAY_SECONDS = MESSAGE_TTL_SECONDS - 60 * 60;

const poisonQueueName = (queue: string) => `${queue}-poison`;

export class CancellationQueue {
  readonly main: QueueClient;
  readonly poison: QueueClient;
  private ready: Promise<unknown> | undefined;
  private readonly listeners = new Set<(delaySeconds: number) => void>();

  constructor(settings: Settings) {
    this.main = queueClient(settings, settings.CANCEL_QUEUE);
    this.poison = queueClient(settings, poisonQueueName(settings.CANCEL_QUEUE));
  }

  private ensure(): Promise<unknown> {
    this.ready ??= Promise.all([this.main.createIfNotExists(), this.poison.createIfNotExists()]).catch(
      (error: unknown) => {
        this.ready = undefined;
        throw error;
      },
    );
    return this.ready;
  }

  /**
   * Enqueues one message text, invisible for `delaySeconds`.
   * @example
   * await queue.send(text, 2); // a retry, visible in two seconds
   */
  async send(text: string, delaySeconds = 0): Promise<void> {
    const visibilityTimeout = Math.max(0, Math.ceil(delaySeconds));
    // Never clamped quietly: a message hidden until it expires is a target pending forever.
    if (visibilityTimeout > MAX_DELAY_SECONDS)
      throw new RangeError(
        `a delay of ${visibilityTimeout} s is over the ${MAX_DELAY_SECONDS} s a message may wait`,
      );
    await this.ensure();
    await this.main.sendMessage(text, { visibilityTimeout, messageTimeToLive: MESSAGE_TTL_SECONDS });
    for (const listener of this.listeners) listener(visibilityTimeout);
  }

  /**
   * Calls `listener` after every message this process sends, so that a poller in the same
   * process can look at once instead of waiting out its polling back-off (the Functions host
   * does the same for messages its own functions write).
   */
  onSend(listener: (delaySeconds: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Puts a message text, unchanged, on the poison queue. */
  async sendToPoison(text: string): Promise<void> {
    await this.ensure();
    await this.poison.sendMessage(text);
  }
}
