/**
 * @module
 * `GET /v1/health` (anonymous): the version and which upstreams this deployment has settings
 * for. It names no endpoint, key or connection string.
 */
import type { Settings } from '../config.js';
import { GATEWAY_TAG } from '../openapi/tags.js';
import { packageVersion } from '../shared/package-version.js';
import { storageConfigured } from '../storage/clients.js';
import { frame } from './frame.js';
import type { RouteEntry } from './route.js';

const upstreamStatus = {
  type: 'object',
  properties: { configured: { type: 'boolean' }, auth: { type: 'string' } },
};

/**
 * @example
 * const { handler } = healthRoute(() => services.settings); // 200 {"status":"ok",...}
 */
export function healthRoute(settingsOf: () => Settings): RouteEntry {
  return {
    name: 'health',
    methods: ['GET'],
    route: 'v1/health',
    authLevel: 'anonymous',
    handler: frame(
      'health',
      async () => {
        const settings = settingsOf();
        return Response.json({
          status: 'ok',
          version: packageVersion(),
          upstreams: {
            flyte: { configured: settings.FLYTE_ENDPOINT !== undefined, auth: settings.FLYTE_AUTH },
            azureml: {
              // An endpoint, or workspaces whose endpoints are discovered (src/azureml/endpoint-*.ts).
              configured: settings.AZUREML_ENDPOINT !== undefined || settings.AZUREML_WORKSPACES.length > 0,
              auth: settings.AZUREML_AUTH,
            },
            storage: { configured: storageConfigured(settings) },
          },
        });
      },
      { quietWhenOk: true },
    ),
    openapi: () => ({
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
    }),
  };
}
