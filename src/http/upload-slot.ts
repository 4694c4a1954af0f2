/**
 * @module
 * `POST /v1/uploads`: an upload slot for a project zip too large for a Functions request.
 * Answers `{ uploadId, uploadUrl, expiresOn }`: a write-only SAS URL for one blob in the
 * staging container. Upload the zip there with any Blob client, then call startrun with
 * `{ "runDefinition": {...}, "stagedZipId": "<uploadId>" }`.
 */
import { getRuntime, type Runtime } from '../runtime.js';
import { gatewayRoute } from './gateway-route.js';
import type { RouteHandler } from './operation-handler.js';

/**
 * @example
 * const response = await uploadSlotHandler()(request, context); // 201 {"uploadId": "...", ...}
 */
export function uploadSlotHandler(runtimeOf: () => Runtime = getRuntime): RouteHandler {
  return gatewayRoute('uploadslot', async (_request, { log }) => {
    const slot = await runtimeOf().staging().uploadSlot();
    // The URL is a credential: its id and expiry are logged, never the URL.
    log.info('request.done', { status: 201, uploadId: slot.uploadId, expiresOn: slot.expiresOn });
    return Response.json(slot, { status: 201, headers: { 'cache-control': 'no-store' } });
  });
}
