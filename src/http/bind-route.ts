/**
 * @module
 * Binds a route's handler to its own template, as every host calls it: route values from the
 * URL path (never the host's `request.params`, which under the real host also carries query and
 * JSON body fields), the query without the function key, and query names the host would read as
 * its own (`headers`, `query`) refused. A state-changing request another site's page sent (a
 * foreign `Origin`, `Sec-Fetch-Site: cross-site`) is refused here too, before the route runs or
 * its body is read (cross-site.ts).
 */
import { ValidationError } from '../problems/errors.js';
import { withPrefix } from '../shared/host-json.js';
import { reservedFieldErrors } from '../shared/reserved-fields.js';
import { crossSiteRefusal } from './cross-site.js';
import { refuse } from './frame.js';
import type { GatewayHandler, RouteHandler } from './route.js';
import { matchTemplate, parseTemplate } from './route-template.js';

/** The query parameter the host takes a function key from; never an operation's input. */
const KEY_QUERY = 'code';

/**
 * A host-facing handler for `route`: params from the URL path matched against the route's own
 * template (never the host's `request.params`), the query without the function key; a
 * cross-site request refused first.
 * @param allowedOrigins `ALLOWED_ORIGINS` (other origins whose pages may call the gateway).
 * @example
 * bindRoute('v1/cancellations/{batchId}', handler) // handler sees params.batchId from the path
 */
export function bindRoute(
  route: string,
  handler: RouteHandler,
  allowedOrigins: () => readonly string[] = () => [],
): GatewayHandler {
  const routeWithPrefix = `/${withPrefix(route).replace(/^\/+/, '')}`;
  const template = parseTemplate(withPrefix(route));
  return (request, sink) => {
    let crossSite: unknown;
    try {
      crossSite = crossSiteRefusal(request, allowedOrigins);
    } catch (error) {
      crossSite = error; // settings that do not load: rendered as every route renders them
    }
    if (crossSite) return refuse(request, crossSite, sink);
    const url = request.parsedUrl ?? new URL(request.url, 'http://localhost');
    const query = new URLSearchParams(url.search);
    for (const name of [...query.keys()]) if (name.toLowerCase() === KEY_QUERY) query.delete(name);
    const reserved = reservedFieldErrors('query', query.keys());
    if (reserved.length > 0) return refuse(request, new ValidationError(reserved), sink);
    // The host only calls a function whose template matched, so this always binds.
    const params = matchTemplate(template, url.pathname) ?? {};
    return handler({ ...request, route: routeWithPrefix, params, query }, sink);
  };
}
