/**
 * @module
 * The app's wiring, and the only place that knows every part: the route table — each catalog
 * operation as a REST route, then health, the upload slot, batch cancellations, MCP, the
 * OpenAPI document and its reference page, and the catch-all — listed once, each route bound
 * to its own template. The Functions registrations and the local host both serve this table;
 * the OpenAPI document is derived from it.
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
import { operationRoute } from './http/operation-route.js';
import { protectedResourceRoute } from './http/protected-resource.js';
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
  const table: RouteEntry[] = [
    ...ops.map((op) => operationRoute(op, servicesOf)),
    healthRoute(settingsOf),
    uploadSlotRoute(() => servicesOf().staging()),
    ...cancellationRoutes(servicesOf),
    mcpRoute(servicesOf, ops),
    openApiRoute(settingsOf, () => table),
    protectedResourceRoute(settingsOf),
    ...docsRoutes(),
  ];
  table.push(fallbackRoute([...table]));
  checkHostOrder(table);
  return table.map((entry) => ({
    ...entry,
    handler: bindRoute(entry.route, authenticated(entry, settingsOf), () => settingsOf().ALLOWED_ORIGINS),
  }));
}
