/**
 * @module
 * `GET /.well-known/oauth-protected-resource` (anonymous): OAuth 2.0 Protected Resource
 * Metadata (RFC 9728) for the gateway under AUTH_MODE=entra, so an MCP client that follows the
 * MCP authorization spec finds the Entra authorization server and the scope to ask for; a 401
 * from a keyed route points at it (`WWW-Authenticate: Bearer resource_metadata="…"`).
 * Under AUTH_MODE=key there is nothing to sign in to: 404.
 * @see https://modelcontextprotocol.io/specification/2025-06-18/basic/authorization
 * @see https://www.rfc-editor.org/rfc/rfc9728
 */
import { entraIssuer } from '../auth/identify.js';
import type { Settings } from '../config.js';
import { RouteNotFoundError } from '../problems/errors.js';
import { frame } from './frame.js';
import type { GatewayRequest, RouteEntry } from './route.js';
import { serverUrlOf } from './server-url.js';

const PROTECTED_RESOURCE_PATH = '.well-known/oauth-protected-resource';

/** The metadata URL a 401 names. */
export const resourceMetadataUrl = (request: Pick<GatewayRequest, 'url' | 'headers'>) =>
  `${serverUrlOf(request)}/${PROTECTED_RESOURCE_PATH}`;

/**
 * @example
 * table.push(protectedResourceRoute(() => settings));
 */
export function protectedResourceRoute(settingsOf: () => Settings): RouteEntry {
  return {
    name: 'oauthprotectedresource',
    methods: ['GET'],
    route: PROTECTED_RESOURCE_PATH,
    authLevel: 'anonymous',
    handler: frame('oauthprotectedresource', async (request) => {
      const settings = settingsOf();
      if (settings.AUTH_MODE !== 'entra') throw new RouteNotFoundError(new URL(request.url).pathname);
      const issuer = entraIssuer(settings);
      return Response.json(
        {
          resource: `${serverUrlOf(request)}/mcp`,
          authorization_servers: [issuer],
          scopes_supported: settings.ENTRA_AUDIENCES.map((audience) => `${audience}/.default`),
          bearer_methods_supported: ['header'],
          resource_name: 'Execution Gateway',
        },
        { headers: { 'cache-control': 'max-age=3600' } },
      );
    }),
  };
}
