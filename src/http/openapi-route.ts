/**
 * @module
 * `GET /v1/openapi.json` (anonymous): the OpenAPI 3.1 document of this gateway, derived from
 * the route table (each route's own fragment, each operation's schemas), with `servers` set
 * to the address the caller used.
 */
import type { Settings } from '../config.js';
import { frame } from './frame.js';
import type { RouteEntry } from './route.js';
import { serverUrlOf } from './server-url.js';

/**
 * @example
 * table.push(openApiRoute(() => settings, () => table));
 */
export function openApiRoute(settingsOf: () => Settings, routesOf: () => readonly RouteEntry[]): RouteEntry {
  return {
    name: 'openapi',
    methods: ['GET'],
    route: 'v1/openapi.json',
    authLevel: 'anonymous',
    handler: frame('openapi', async (request) => {
      // Loaded with the first request: the document builder is a fifth of the app's cold load.
      const { buildOpenApiDocument } = await import('../openapi/document.js');
      return Response.json(buildOpenApiDocument(routesOf(), settingsOf(), serverUrlOf(request)), {
        headers: { 'cache-control': 'no-cache' },
      });
    }),
  };
}
