/**
 * @module
 * Registers the queue-triggered function that processes batch cancellations, on the app's
 * own storage (identity-based `AzureWebJobsStorage__*` in Azure, Azurite locally).
 */
import { app } from '@azure/functions';
import { toAzureQueueHandler } from '../cancellations/azure-queue-adapter.js';
import { cancellationQueueHandler } from '../cancellations/queue-trigger.js';
import { getServices } from '../services.js';

app.storageQueue('cancellationqueue', {
  queueName: '%CANCEL_QUEUE%',
  connection: 'AzureWebJobsStorage',
  handler: toAzureQueueHandler(cancellationQueueHandler(getServices)),
});
