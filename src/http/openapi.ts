/**
 * @module
 * `GET /v1/openapi.json`: the OpenAPI 3.1 document of this gateway, with `servers` set to
 * the address the caller used (`X-Forwarded-Proto`/`X-Forwarded-Host` behind a proxy, else
 * the request URL's origin, plus the route prefix).
 */
import { operations } from '../catalog/index.js';
import type { Operation } from '../catalog/operation.js';
import { getRuntime, type Runtime } from '../runtime.js';
import { gatewayRoute } from './gateway-route.js';
import { routePrefix } from './host-json.js';
import type { GatewayRequest, RouteHandler } from './operation-handler.js';

const first = (value: string | null) => value?.split(',')[0]?.trim() || undefined;

/**
 * The base URL the caller reached the gateway at.
 * @example
 * serverUrlOf({ url: 'http://10.0.0.4/v1/docs', headers: new Headers({ 'x-forwarded-host': 'gw.example.net',
 *   'x-forwarded-proto': 'https' }) }) // 'https://gw.example.net'
 */
export function serverUrlOf(
  request: Pick<GatewayRequest, 'url' | 'headers'>,
  prefix = routePrefix(),
): string {
  const url = new URL(request.url, 'http://localhost');
  const proto =
    first(request.headers.get('x-forwarded-proto'))?.replace(/:$/, '') ?? url.protocol.slice(0, -1);
  const host = first(request.headers.get('x-forwarded-host')) ?? url.host;
  const origin = /^https?$/i.test(proto) && /^[\w.:[\]-]+$/.test(host) ? `${proto}://${host}` : url.origin;
  return prefix === '' ? origin : `${origin}/${prefix}`;
}

/**
 * @example
 * const response = await openApiHandler()(request, context); // 200 {"openapi":"3.1.0",...}
 */
export function openApiHandler(
  runtimeOf: () => Runtime = getRuntime,
  ops: readonly Operation[] = operations,
): RouteHandler {
  return gatewayRoute('openapi', async (request) => {
    // Loaded with the first request: the document builder is a fifth of the app's cold load.
    const { buildOpenApiDocument } = await import('../openapi/document.js');
    return Response.json(buildOpenApiDocument(ops, runtimeOf().settings, serverUrlOf(request)), {
      headers: { 'cache-control': 'no-cache' },
    });
  });
}
