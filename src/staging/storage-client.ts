/**
 * @module
 * The Blob service client of the app's storage account, from the same settings the
 * Functions host reads: a connection string in `AzureWebJobsStorage` (Azurite locally), or
 * identity-based `AzureWebJobsStorage__blobServiceUri` / `__accountName` with a managed
 * identity (`AZURE_CLIENT_ID` for a user-assigned one). @azure/storage-blob is loaded lazily.
 */
import type { BlobServiceClient } from '@azure/storage-blob';
import type { Settings } from '../config.js';
import { azureIdentity, storageBlob } from '../lazy-require.js';
import { UpstreamNotConfiguredError } from '../problems/errors.js';

export const STORAGE_NAME = 'Blob Storage';

/** True when the settings name a storage account for staging. */
export function storageConfigured(s: Settings): boolean {
  return Boolean(
    s.AzureWebJobsStorage || s.AzureWebJobsStorage__blobServiceUri || s.AzureWebJobsStorage__accountName,
  );
}

/**
 * @example
 * const service = await blobServiceClient(settings);
 */
export async function blobServiceClient(s: Settings): Promise<BlobServiceClient> {
  const blob = storageBlob();
  if (s.AzureWebJobsStorage) return blob.BlobServiceClient.fromConnectionString(s.AzureWebJobsStorage);
  const url =
    s.AzureWebJobsStorage__blobServiceUri ??
    (s.AzureWebJobsStorage__accountName
      ? `https://${s.AzureWebJobsStorage__accountName}.blob.core.windows.net`
      : undefined);
  if (!url) throw new UpstreamNotConfiguredError(STORAGE_NAME, 'AzureWebJobsStorage');
  const { DefaultAzureCredential } = azureIdentity();
  return new blob.BlobServiceClient(
    url,
    new DefaultAzureCredential({ managedIdentityClientId: s.AZURE_CLIENT_ID }),
  );
}
