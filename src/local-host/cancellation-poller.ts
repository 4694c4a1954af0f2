/**
 * @module
 * The cancellation queue trigger as the local host runs it: the queue poller on the services'
 * cancellation queue and poison queue, around the same handler the Functions registration
 * uses, nudged whenever this process sends a message (a POSTed batch, a retry).
 */
import { cancellationQueueHandler, type QueueHandler } from '../cancellations/queue-trigger.js';
import type { Services } from '../services.js';
import type { LogSink } from '../shared/log.js';
import { type QueuePoller, startQueuePoller } from './queue-poller.js';

/**
 * @example
 * const poller = startCancellationPoller(getServices());
 * await poller.stop();
 */
export function startCancellationPoller(
  services: Services,
  options: { handler?: QueueHandler; sink?: LogSink } = {},
): QueuePoller {
  const { queue } = services.cancellations();
  const poller = startQueuePoller({
    queue: queue.main,
    poison: queue.poison,
    handler: options.handler ?? cancellationQueueHandler(() => services),
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
