/**
 * @module
 * Loads heavy modules on first use rather than at start-up (cold start budget), through
 * `require` so the CommonJS build is used — the same one static type imports describe.
 */
import { createRequire } from 'node:module';

const load = createRequire(__filename);

/** @example const { BlobServiceClient } = storageBlob(); */
export const storageBlob = (): typeof import('@azure/storage-blob') => load('@azure/storage-blob');

/** @example const { ManagedIdentityCredential } = azureIdentity(); */
export const azureIdentity = (): typeof import('@azure/identity') => load('@azure/identity');

/** undici costs ~80 ms to load (110 modules): loaded with the first upstream call. */
export const undici = (): typeof import('undici') => load('undici');

/** @example const { QueueClient } = storageQueue(); */
export const storageQueue = (): typeof import('@azure/storage-queue') => load('@azure/storage-queue');

/** @example const { TableClient } = dataTables(); */
export const dataTables = (): typeof import('@azure/data-tables') => load('@azure/data-tables');

/** The multipart parser (12 modules): loaded with the first multipart startrun. */
export const busboy = (): typeof import('@fastify/busboy') => load('@fastify/busboy');
