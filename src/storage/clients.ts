/**
 * @module
 * Clients of the app's storage account, from the same settings the Functions host reads: a
 * connection string in `AzureWebJobsStorage` (Azurite locally), or identity-based
 * `AzureWebJobsStorage__{blob,queue,table}ServiceUri` / `__accountName` with the process's
 * Azure credential (upstream/credentials.ts: the managed identity in Azure, `AZURE_CLIENT_ID`
 * for a user-assigned one; the developer's `az login` elsewhere). Blobs stage project zips; the
 * queue and the table carry batch cancellations. The SDKs are loaded lazily.
 */
import type { TableClient } from '@azure/data-tables';
import type { BlobServiceClient } from '@azure/storage-blob';
import type { QueueClient } from '@azure/storage-queue';
import { inlineZipLimit, type Settings } from '../config.js';
import { GatewayError, ProblemTypes, UpstreamNotConfiguredError } from '../problems/errors.js';
import { dataTables, storageBlob, storageQueue } from '../shared/lazy-require.js';
import { azureCredential } from '../upstream/credentials.js';

export const STORAGE_NAME = 'Blob Storage';
export const QUEUE_STORAGE_NAME = 'Queue Storage';
const TABLE_STORAGE_NAME = 'Table Storage';

type Service = 'blob' | 'queue' | 'table';

/** True when the settings name a storage account for staging. */
export function storageConfigured(s: Settings): boolean {
  return Boolean(
    s.AzureWebJobsStorage || s.AzureWebJobsStorage__blobServiceUri || s.AzureWebJobsStorage__accountName,
  );
}

/** The identity-based endpoint of one service, or undefined when only a connection string (or nothing) is set. */
function serviceUrl(s: Settings, service: Service): string | undefined {
  const explicit = {
    blob: s.AzureWebJobsStorage__blobServiceUri,
    queue: s.AzureWebJobsStorage__queueServiceUri,
    table: s.AzureWebJobsStorage__tableServiceUri,
  }[service];
  if (explicit) return explicit;
  const account = s.AzureWebJobsStorage__accountName;
  return account ? `https://${account}.${service}.core.windows.net` : undefined;
}

/** The process's one Azure credential (its token cache is shared by every Azure client). */
const identity = (s: Settings) => azureCredential(s.AZURE_CLIENT_ID);

/**
 * 503 for `POST /v1/uploads` under `UPLOAD_SLOTS=off`: the account is private (VNet), so a SAS
 * URL to it would not be reachable by the caller; the zip goes inline to startrun instead.
 * @example
 * if (settings.UPLOAD_SLOTS === 'off') throw uploadSlotsOffError(settings);
 */
export function uploadSlotsOffError(s: Settings): GatewayError {
  return new GatewayError(503, ProblemTypes.upstreamNotConfigured, 'Upstream not configured', {
    detail:
      'Upload slots are off in this deployment (UPLOAD_SLOTS=off): its storage account is reachable only ' +
      `from its private network. Send the project zip inline to startrun (multipart), up to ${inlineZipLimit(s)} bytes.`,
  });
}

function missing(service: Service, name: string): never {
  throw new UpstreamNotConfiguredError(
    name,
    `AzureWebJobsStorage or AzureWebJobsStorage__${service}ServiceUri`,
  );
}

/**
 * @example
 * const service = await blobServiceClient(settings);
 */
export async function blobServiceClient(s: Settings): Promise<BlobServiceClient> {
  const blob = storageBlob();
  if (s.AzureWebJobsStorage) return blob.BlobServiceClient.fromConnectionString(s.AzureWebJobsStorage);
  const url = serviceUrl(s, 'blob');
  if (!url) missing('blob', STORAGE_NAME);
  return new blob.BlobServiceClient(url, identity(s));
}

/**
 * One queue of the app's storage account.
 * @example
 * const queue = queueClient(settings, settings.CANCEL_QUEUE);
 */
export function queueClient(s: Settings, name: string): QueueClient {
  const { QueueClient, QueueServiceClient } = storageQueue();
  if (s.AzureWebJobsStorage) {
    return QueueServiceClient.fromConnectionString(s.AzureWebJobsStorage).getQueueClient(name);
  }
  const url = serviceUrl(s, 'queue');
  if (!url) missing('queue', QUEUE_STORAGE_NAME);
  return new QueueClient(`${url.replace(/\/+$/, '')}/${name}`, identity(s));
}

/**
 * One table of the app's storage account.
 * @example
 * const table = tableClient(settings, settings.CANCEL_TABLE);
 */
export function tableClient(s: Settings, name: string): TableClient {
  const { TableClient } = dataTables();
  if (s.AzureWebJobsStorage) {
    // Azurite speaks plain http on loopback; the SDK refuses that unless told.
    const insecure = /(^|;)\s*(DefaultEndpointsProtocol=http|UseDevelopmentStorage=true)\s*(;|$)/i.test(
      s.AzureWebJobsStorage,
    );
    return TableClient.fromConnectionString(s.AzureWebJobsStorage, name, {
      allowInsecureConnection: insecure,
    });
  }
  const url = serviceUrl(s, 'table');
  if (!url) missing('table', TABLE_STORAGE_NAME);
  return new TableClient(url, name, identity(s));
}
