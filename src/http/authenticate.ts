/**
 * @module
 * Identifies the caller of a keyed route before it runs (AUTH_MODE=entra; a no-op under
 * AUTH_MODE=key) and checks the route's own role when it has one. An unknown caller is a 401
 * with `WWW-Authenticate`, a caller without the role a 403; neither reaches the route.
 */
import { authorize, identify } from '../auth/identify.js';
import type { Settings } from '../config.js';
import { refuse } from './frame.js';
import type { RouteEntry, RouteHandler } from './route.js';

/**
 * @example
 * const handler = authenticated(entry, () => services.settings);
 */
export function authenticated(entry: RouteEntry, settingsOf: () => Settings): RouteHandler {
  if (entry.authLevel === 'anonymous') return entry.handler;
  return async (request, sink) => {
    try {
      const caller = await identify(request.headers, settingsOf());
      if (entry.role) authorize(caller, entry.role, entry.name);
      return await entry.handler(caller ? { ...request, caller } : request, sink);
    } catch (error) {
      return refuse(request, error, sink);
    }
  };
}
