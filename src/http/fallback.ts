/**
 * @module
 * The catch-all route: unknown paths get a 404 problem, a known path with a method it does not
 * take a 405 problem with `Allow`. The host tries routes in function-name order and the first
 * match wins, so its name must sort after every other (`_` sorts after letters), which
 * `checkHostOrder` holds the table to.
 */
import { MethodNotAllowedError, RouteNotFoundError } from '../problems/errors.js';
import { withPrefix } from '../shared/host-json.js';
import { frame } from './frame.js';
import { compareFunctionNames } from './host-routing.js';
import { ALL_METHODS, type RouteEntry } from './route.js';
import { matchTemplate, parseTemplate } from './route-template.js';

export const FALLBACK_NAME = 'zz_fallback';

/**
 * @example
 * table.push(fallbackRoute(table)); // after every other route
 */
export function fallbackRoute(table: readonly Pick<RouteEntry, 'methods' | 'route'>[]): RouteEntry {
  const templates = table.map((r) => ({ methods: r.methods, template: parseTemplate(withPrefix(r.route)) }));
  return {
    name: FALLBACK_NAME,
    methods: ALL_METHODS,
    route: '{*path}',
    authLevel: 'anonymous',
    // No route here: 404 or 405 whatever the query says.
    checksQuery: true,
    handler: frame(FALLBACK_NAME, async (request) => {
      const pathname = new URL(request.url, 'http://localhost').pathname;
      const allowed = templates.filter((t) => matchTemplate(t.template, pathname)).flatMap((t) => t.methods);
      throw allowed.length > 0
        ? new MethodNotAllowedError(request.method, [...new Set(allowed)])
        : new RouteNotFoundError(pathname);
    }),
  };
}

/** Throws unless the catch-all sorts last, as the host orders functions. */
export function checkHostOrder(table: readonly Pick<RouteEntry, 'name'>[]): void {
  const last = table
    .map((r) => r.name)
    .sort(compareFunctionNames)
    .at(-1);
  if (last !== FALLBACK_NAME)
    throw new Error(`function "${last}" sorts after the catch-all ${FALLBACK_NAME}`);
}
