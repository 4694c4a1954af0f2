/**
 * @module
 * Identifies the caller of a keyed route before it runs (AUTH_MODE=entra; under AUTH_MODE=key
 * only the owner of its staged zips, from its key) and checks the route's own role when it has one. An unknown caller is a 401
 * with `WWW-Authenticate`, a caller without the role a 403; neither reaches the route.
 */
import type { Caller } from '../auth/caller.js';
import { authorize, identify } from '../auth/identify.js';
import { stagingOwner } from '../auth/owner.js';
import type { Settings } from '../config.js';
import { UnauthenticatedError } from '../problems/errors.js';
import { refuse } from './frame.js';
import { resourceMetadataUrl } from './protected-resource.js';
import type { RouteEntry, RouteHandler } from './route.js';

/**
 * @example
 * const handler = authenticated(entry, () => services.settings);
 */
export function authenticated(entry: RouteEntry, settingsOf: () => Settings): RouteHandler {
  if (entry.authLevel === 'anonymous') return entry.handler;
  return async (request, sink) => {
    let caller: Caller | undefined;
    try {
      caller = await identify(request.headers, settingsOf());
      if (entry.role) authorize(caller, entry.role, entry.name);
    } catch (error) {
      // Point an MCP (or any OAuth) client at the metadata that names the authorization server.
      if (error instanceof UnauthenticatedError)
        error.headers['WWW-Authenticate'] = `Bearer resource_metadata="${resourceMetadataUrl(request)}"`;
      return refuse(request, error, sink);
    }
    // The route renders its own failures (frame.ts).
    return entry.handler({ ...request, caller, owner: stagingOwner(request, caller) }, sink);
  };
}
