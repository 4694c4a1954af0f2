/**
 * @module
 * The app's wiring, and the only place that knows every part: the route table — each catalog
 * operation as a REST route, then health, the upload slot, batch cancellations, MCP, the
 * OpenAPI document and its reference page, with DROP_IN_ROUTES each operation again on its
 * upstream's own path, and the catch-all — listed once, each route bound to its own template and
 * held to one rule for query strings. The Functions registrations and the local host both serve
 * this table; the OpenAPI document is derived from it (without the drop-in routes).
 */
import { operations } from './catalog/index.js';
import type { Operation } from './catalog/operation.js';
import { authenticated } from './http/authenticate.js';
import { bindRoute } from './http/bind-route.js';
import { cancellationRoutes } from './http/cancellations.js';
import { docsRoutes } from './http/docs-page.js';
import { checkHostOrder, fallbackRoute } from './http/fallback.js';
import { healthRoute } from './http/health.js';
import { openApiRoute } from './http/openapi-route.js';
import { dropInRoute, operationRoute } from './http/operation-route.js';
import { protectedResourceRoute } from './http/protected-resource.js';
import { queryChecked } from './http/query.js';
import type { RouteDefinition, RouteEntry } from './http/route.js';
import { uploadSlotRoute } from './http/upload-slot.js';
import { mcpRoute } from './mcp/route.js';
import { getServices, type Services } from './services.js';

/**
 * @example
 * for (const r of routeTable()) app.http(r.name, { methods: [...r.methods], route: r.route, ... });
 */
export function routeTable(
  ops: readonly Operation[] = operations,
  servicesOf: () => Services = getServices,
): RouteDefinition[] {
  const settingsOf = () => servicesOf().settings;
  /** The document's routes: the gateway's own (an operationId names one route). */
  let documented: RouteEntry[] | undefined;
  const table: RouteEntry[] = [
    ...ops.map((op) => operationRoute(op, servicesOf)),
    healthRoute(settingsOf),
    uploadSlotRoute(() => servicesOf().staging()),
    ...cancellationRoutes(servicesOf),
    mcpRoute(servicesOf, ops),
    openApiRoute(settingsOf, () => {
      documented ??= table.filter((entry) => !entry.dropIn);
      return documented;
    }),
    protectedResourceRoute(settingsOf),
    ...docsRoutes(),
    ...(dropInRoutesOn(settingsOf) ? ops.flatMap((op) => dropInRoute(op, servicesOf) ?? []) : []),
  ];
  table.push(fallbackRoute([...table]));
  checkHostOrder(table);
  return table.map((entry) => ({
    ...entry,
    handler: bindRoute(
      entry.route,
      authenticated({ ...entry, handler: queryChecked(entry) }, settingsOf),
      () => settingsOf().ALLOWED_ORIGINS,
    ),
  }));
}

/**
 * DROP_IN_ROUTES, read when the table is built (the host registers functions once). Settings
 * that do not load register none: every route answers their error (and index.ts stops start-up).
 */
function dropInRoutesOn(settingsOf: () => Services['settings']): boolean {
  try {
    return settingsOf().DROP_IN_ROUTES;
  } catch {
    return false;
  }
}
