/**
 * @module
 * The routes that are not catalog operations: health (anonymous), the upload slot and the
 * MCP endpoint (both behind a function key). The docs routes describe themselves and are
 * not listed; the batch cancellation routes are in `cancellation-routes.ts`.
 */
import type { JsonSchema } from './json-schema.js';

export const GATEWAY_TAG = 'Gateway';

const upstreamStatus = {
  type: 'object',
  properties: { configured: { type: 'boolean' }, auth: { type: 'string' } },
};

/**
 * `paths` entries for `/v1/health`, `/v1/uploads` and `/mcp`.
 * @example
 * Object.keys(gatewayPaths()) // ['/v1/health', '/v1/uploads', '/mcp']
 */
export function gatewayPaths(): Record<string, Record<string, JsonSchema>> {
  return {
    '/v1/health': {
      get: {
        operationId: 'health',
        tags: [GATEWAY_TAG],
        summary: 'Health and configured upstreams',
        description: 'The version and which upstreams this deployment has settings for; names no secret.',
        security: [],
        responses: {
          '200': {
            description: 'The gateway is up',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['status', 'version', 'upstreams'],
                  properties: {
                    status: { const: 'ok' },
                    version: { type: 'string' },
                    upstreams: {
                      type: 'object',
                      properties: {
                        flyte: upstreamStatus,
                        azureml: upstreamStatus,
                        storage: { type: 'object', properties: { configured: { type: 'boolean' } } },
                      },
                    },
                  },
                },
              },
            },
          },
          '500': { $ref: '#/components/responses/Problem500' },
        },
      },
    },
    '/v1/uploads': {
      post: {
        operationId: 'uploadslot',
        tags: [GATEWAY_TAG],
        summary: 'Get an upload slot for a large project zip',
        description:
          'A write-only SAS URL for one blob in the staging container. Upload the zip there, then call ' +
          'startrun with JSON `{ "runDefinition": {...}, "stagedZipId": "<uploadId>" }`.',
        responses: {
          '201': {
            description: 'The upload slot',
            headers: { 'Cache-Control': { schema: { const: 'no-store' } } },
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['uploadId', 'uploadUrl', 'expiresOn'],
                  properties: {
                    uploadId: { type: 'string', description: 'Pass as stagedZipId to startrun' },
                    uploadUrl: { type: 'string', format: 'uri', description: 'SAS URL; a credential' },
                    expiresOn: { type: 'string', format: 'date-time' },
                  },
                },
              },
            },
          },
          '500': { $ref: '#/components/responses/Problem500' },
          '503': { $ref: '#/components/responses/Problem503' },
        },
      },
    },
    '/mcp': {
      post: {
        operationId: 'mcp',
        tags: [GATEWAY_TAG],
        summary: 'MCP (streamable HTTP, stateless): every operation as a tool',
        description: 'A JSON-RPC 2.0 message of the Model Context Protocol; answers are JSON.',
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['jsonrpc', 'method'],
                properties: {
                  jsonrpc: { const: '2.0' },
                  id: { type: ['string', 'integer'] },
                  method: { type: 'string', examples: ['initialize', 'tools/list', 'tools/call'] },
                  params: { type: 'object' },
                },
              },
            },
          },
        },
        responses: {
          '200': {
            description: 'The JSON-RPC answer',
            content: { 'application/json': { schema: { type: 'object' } } },
          },
          '202': { description: 'A notification was accepted' },
          '413': { $ref: '#/components/responses/Problem413' },
        },
      },
    },
  };
}
