// A producer that cancels runs by dropping one message on the gateway's queue, with no HTTP
// call: the message text is the base64 of the UTF-8 JSON {"cancellation": {...}}.
//
//   In Azure (managed identity or your az login; needs Storage Queue Data Message Sender):
//     STORAGE_ACCOUNT=<account> node examples/enqueue-cancellation.mjs
//   Against `npm start` (Azurite on its usual ports):
//     STORAGE_CONNECTION=UseDevelopmentStorage=true node examples/enqueue-cancellation.mjs
import { DefaultAzureCredential } from '@azure/identity';
import { QueueClient } from '@azure/storage-queue';

const queueName = process.env.CANCEL_QUEUE ?? 'cancellations';
const queue = process.env.STORAGE_CONNECTION
  ? new QueueClient(process.env.STORAGE_CONNECTION, queueName)
  : new QueueClient(
      `https://${process.env.STORAGE_ACCOUNT}.queue.core.windows.net/${queueName}`,
      new DefaultAzureCredential(),
    );

const cancellation = {
  // Optional: several messages with the same batchId make one report. Without it the
  // report's id is the message id.
  batchId: process.env.BATCH_ID,
  cause: 'superseded by sweep 13',
  targets: [{ kind: 'flyte', project: 'flytesnacks', domain: 'development', name: 'nightly-etl-0003' }],
};
const text = Buffer.from(JSON.stringify({ cancellation }), 'utf8').toString('base64');
const { messageId } = await queue.sendMessage(text);
console.log(JSON.stringify({ messageId, batchId: cancellation.batchId ?? messageId }));
