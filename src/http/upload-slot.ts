/**
 * @module
 * `POST /v1/uploads`: an upload slot for a project zip too large for a Functions request.
 * Answers `{ uploadId, uploadUrl, expiresOn, maxBytes }`: a write-only SAS URL for one blob in
 * the caller's part of the staging container. Upload the zip there with any Blob client, then
 * call startrun, as the same caller, with `{ "runDefinition": {...}, "stagedZipId": "<uploadId>" }`.
 */
import { SHARED_OWNER } from '../auth/owner.js';
import { ROLES } from '../auth/roles.js';
import { GATEWAY_TAG } from '../openapi/tags.js';
import type { ZipStaging } from '../staging/zip-staging.js';
import { frame } from './frame.js';
import type { RouteEntry } from './route.js';

/**
 * @example
 * const { handler } = uploadSlotRoute(() => services.staging()); // 201 {"uploadId": "...", ...}
 */
export function uploadSlotRoute(stagingOf: () => ZipStaging): RouteEntry {
  return {
    name: 'uploadslot',
    methods: ['POST'],
    route: 'v1/uploads',
    authLevel: 'function',
    role: ROLES.run,
    handler: frame('uploadslot', async (request, { note }) => {
      // A keyed route: authenticate.ts named the owner whose slot this is.
      const slot = await stagingOf()
        .for(request.owner ?? SHARED_OWNER)
        .uploadSlot();
      // The URL is a credential: its id and expiry are logged, never the URL.
      note({ uploadId: slot.uploadId, expiresOn: slot.expiresOn });
      return Response.json(slot, { status: 201, headers: { 'cache-control': 'no-store' } });
    }),
    openapi: () => ({
      post: {
        operationId: 'uploadslot',
        tags: [GATEWAY_TAG],
        summary: 'Get an upload slot for a large project zip',
        description:
          'A write-only SAS URL for one blob in the staging container. Upload the zip there, then call ' +
          'startrun with JSON `{ "runDefinition": {...}, "stagedZipId": "<uploadId>" }` as the same caller ' +
          '(the same function key, or the same Entra ID identity): a staged zip is found only by the caller ' +
          'that staged it.',
        responses: {
          '201': {
            description: 'The upload slot',
            headers: { 'Cache-Control': { schema: { const: 'no-store' } } },
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['uploadId', 'uploadUrl', 'expiresOn', 'maxBytes'],
                  properties: {
                    uploadId: {
                      type: 'string',
                      description: 'Pass as stagedZipId to startrun, with the same key or identity',
                    },
                    uploadUrl: {
                      type: 'string',
                      format: 'uri',
                      description: 'SAS URL that can write this one blob, nothing else; a credential',
                    },
                    expiresOn: { type: 'string', format: 'date-time' },
                    maxBytes: {
                      type: 'integer',
                      description: 'The largest zip startrun takes from the slot',
                    },
                  },
                },
              },
            },
          },
          '500': { $ref: '#/components/responses/Problem500' },
          '503': { $ref: '#/components/responses/Problem503' },
        },
      },
    }),
  };
}
