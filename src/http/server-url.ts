/**
 * @module
 * The base URL a caller reached the gateway at (`X-Forwarded-Proto`/`X-Forwarded-Host` behind
 * a proxy, else the request URL's origin, plus the route prefix): the OpenAPI document's
 * `servers` and a batch's `statusUrl` are built from it.
 */
import { routePrefix } from '../shared/host-json.js';
import type { GatewayRequest } from './route.js';

const first = (value: string | null) => value?.split(',')[0]?.trim() || undefined;

/**
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
