/**
 * @module
 * Binds a route's handler to its own template, as every host calls it: route values from the
 * URL path (never the host's `request.params`, which under the real host also carries query and
 * JSON body fields), the query without the function key, and query names the host would read as
 * its own (`headers`, `query`) refused.
 */
import { ValidationError } from '../problems/errors.js';
import { withPrefix } from '../shared/host-json.js';
import { reservedFieldErrors } from '../shared/reserved-fields.js';
import { refuse } from './frame.js';
import type { GatewayHandler, RouteHandler } from './route.js';
import { matchTemplate, parseTemplate } from './route-template.js';

/** The query parameter the host takes a function key from; never an operation's input. */
const KEY_QUERY = 'code';

/**
 * A host-facing handler for `route`: params from the URL path matched against the route's own
 * template (never the host's `request.params`), the query without the function key.
 * @example
 * bindRoute('v1/cancellations/{batchId}', handler) // handler sees params.batchId from the path
 */
export function bindRoute(route: string, handler: RouteHandler): GatewayHandler {
  const template = parseTemplate(withPrefix(route));
  return (request, sink) => {
    const url = new URL(request.url, 'http://localhost');
    const query = new URLSearchParams(url.search);
    for (const name of [...query.keys()]) if (name.toLowerCase() === KEY_QUERY) query.delete(name);
    const reserved = reservedFieldErrors('query', query.keys());
    if (reserved.length > 0) return refuse(request, new ValidationError(reserved), sink);
    // The host only calls a function whose template matched, so this always binds.
    const params = matchTemplate(template, url.pathname) ?? {};
    return handler({ ...request, params, query }, sink);
  };
}
