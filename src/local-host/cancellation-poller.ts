/**
 * @module
 * The cancellation queue trigger as the local host runs it: the queue poller on the runtime's
 * cancellation queue and poison queue, around the same handler the Functions registration
 * uses, nudged whenever this process sends a message (a POSTed batch, a retry).
 */
import { cancellationQueueHandler, type QueueHandler } from '../cancellations/queue-trigger.js';
import type { LogSink } from '../log.js';
import type { Runtime } from '../runtime.js';
import { type QueuePoller, startQueuePoller } from './queue-poller.js';

/**
 * @example
 * const poller = startCancellationPoller(getRuntime());
 * await poller.stop();
 */
export function startCancellationPoller(
  runtime: Runtime,
  options: { handler?: QueueHandler; sink?: LogSink } = {},
): QueuePoller {
  const { queue } = runtime.cancellations();
  const poller = startQueuePoller({
    queue: queue.main,
    poison: queue.poison,
    handler: options.handler ?? cancellationQueueHandler(() => runtime),
    sink: options.sink,
  });
  const stopListening = queue.onSend((delaySeconds) => poller.nudge(delaySeconds));
  return {
    nudge: poller.nudge,
    async stop() {
      stopListening();
      await poller.stop();
    },
  };
}
