/**
 * @module
 * The route table: every HTTP function the app registers, derived from the catalog, plus
 * health, the upload slot, batch cancellations and their reports, the MCP endpoint (`/mcp`, every operation as a tool), the OpenAPI
 * document and its reference page (`/v1/openapi.json`, `/v1/docs`) and a
 * catch-all that answers unknown paths (404) and wrong methods (405) with problem+json.
 * Functions registrations and the local host both read this one table, so they serve the
 * same names, routes, methods and handlers. Each handler binds its route values from its own
 * template and the URL: the host's `request.params` also carries query and body fields.
 */
import { batchReportHandler, submitBatchHandler } from '../cancellations/http.js';
import { CANCELLATIONS_ROUTE, REPORT_ROUTE } from '../cancellations/schemas.js';
import { operations } from '../catalog/index.js';
import type { HttpMethod, Operation } from '../catalog/operation.js';
import { mcpHandler } from '../mcp/handler.js';
import { MethodNotAllowedError, RouteNotFoundError, ValidationError } from '../problems/errors.js';
import { getRuntime, type Runtime } from '../runtime.js';
import { docsAssetHandler, docsPageHandler } from './docs.js';
import { refuse } from './gateway-route.js';
import { healthHandler } from './health.js';
import { withPrefix } from './host-json.js';
import { compareFunctionNames } from './host-routing.js';
import { openApiHandler } from './openapi.js';
import { type GatewayHandler, operationHandler, type RouteHandler } from './operation-handler.js';
import { reservedFieldErrors } from './reserved-fields.js';
import { matchTemplate, parseTemplate } from './route-template.js';
import { uploadSlotHandler } from './upload-slot.js';

export const ALL_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;
export type RouteMethod = (typeof ALL_METHODS)[number];

export interface RouteDefinition {
  /** Function name (the operation's contract name for operations). */
  name: string;
  methods: readonly RouteMethod[];
  /** Functions route template, relative to host.json's routePrefix, no leading slash. */
  route: string;
  authLevel: 'anonymous' | 'function';
  handler: GatewayHandler;
}

/** A route before binding: its handler reads params and query bound from its own template. */
type RouteEntry = Omit<RouteDefinition, 'handler'> & { handler: RouteHandler };

/**
 * The catch-all's function name. The host tries routes in function-name order and the first
 * match wins, so the catch-all must sort after every other name (`_` sorts after letters).
 */
export const FALLBACK_NAME = 'zz_fallback';

/** The query parameter the host takes a function key from; never an operation's input. */
const KEY_QUERY = 'code';

/** Contract path `/v1/api/{id-project}` → Functions route `v1/api/{id-project}`. */
export function routeOf(op: Pick<Operation, 'rest'>): string {
  return op.rest.path.replace(/^\//, '');
}

/**
 * @example
 * for (const r of routeTable()) app.http(r.name, { methods: [...r.methods], route: r.route, ... });
 */
export function routeTable(
  ops: readonly Operation[] = operations,
  runtimeOf: () => Runtime = getRuntime,
): RouteDefinition[] {
  const table: RouteEntry[] = ops.map((op) => ({
    name: op.seed,
    methods: [op.rest.method as HttpMethod],
    route: routeOf(op),
    authLevel: 'function',
    handler: operationHandler(op, runtimeOf),
  }));
  table.push({
    name: 'health',
    methods: ['GET'],
    route: 'v1/health',
    authLevel: 'anonymous',
    handler: healthHandler(runtimeOf),
  });
  table.push({
    name: 'uploadslot',
    methods: ['POST'],
    route: 'v1/uploads',
    authLevel: 'function',
    handler: uploadSlotHandler(runtimeOf),
  });
  table.push(
    {
      name: 'cancellations',
      methods: ['POST'],
      route: CANCELLATIONS_ROUTE,
      authLevel: 'function',
      handler: submitBatchHandler(runtimeOf),
    },
    {
      name: 'cancellationreport',
      methods: ['GET'],
      route: REPORT_ROUTE,
      authLevel: 'function',
      handler: batchReportHandler(runtimeOf),
    },
  );
  table.push({
    name: 'mcp',
    methods: ['GET', 'POST', 'DELETE'],
    route: 'mcp',
    authLevel: 'function',
    handler: mcpHandler(runtimeOf, ops),
  });
  table.push(
    {
      name: 'openapi',
      methods: ['GET'],
      route: 'v1/openapi.json',
      authLevel: 'anonymous',
      handler: openApiHandler(runtimeOf, ops),
    },
    { name: 'docs', methods: ['GET'], route: 'v1/docs', authLevel: 'anonymous', handler: docsPageHandler() },
    {
      name: 'docsasset',
      methods: ['GET'],
      route: 'v1/docs/{*asset}',
      authLevel: 'anonymous',
      handler: docsAssetHandler(),
    },
  );
  table.push({
    name: FALLBACK_NAME,
    methods: ALL_METHODS,
    route: '{*path}',
    authLevel: 'anonymous',
    handler: fallbackHandler([...table]),
  });
  const last = table
    .map((r) => r.name)
    .sort(compareFunctionNames)
    .at(-1);
  if (last !== FALLBACK_NAME)
    throw new Error(`function "${last}" sorts after the catch-all ${FALLBACK_NAME}`);
  return table.map((entry) => ({ ...entry, handler: bindRoute(entry.route, entry.handler) }));
}

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
    if (reserved.length > 0) return refuse(request, new ValidationError(reserved));
    // The host only calls a function whose template matched, so this always binds.
    const params = matchTemplate(template, url.pathname) ?? {};
    return handler({ ...request, params, query }, sink);
  };
}

/** Answers 405 (with `Allow`) when another route has this path, else 404. */
export function fallbackHandler(table: readonly Pick<RouteDefinition, 'methods' | 'route'>[]): RouteHandler {
  const templates = table.map((r) => ({ methods: r.methods, template: parseTemplate(withPrefix(r.route)) }));
  return async (request) => {
    const pathname = new URL(request.url, 'http://localhost').pathname;
    const allowed = templates.filter((t) => matchTemplate(t.template, pathname)).flatMap((t) => t.methods);
    const error =
      allowed.length > 0
        ? new MethodNotAllowedError(request.method, [...new Set(allowed)])
        : new RouteNotFoundError(pathname);
    return refuse(request, error);
  };
}
