/**
 * @module
 * Registers every route of the route table (catalog operations, health, upload slots, MCP,
 * catch-all) as an HTTP-triggered function.
 */
import { app } from '@azure/functions';
import { toAzureHandler } from '../http/azure-adapter.js';
import { routeTable } from '../http/routes.js';

for (const route of routeTable()) {
  app.http(route.name, {
    route: route.route,
    methods: [...route.methods],
    authLevel: route.authLevel,
    handler: toAzureHandler(route.handler),
  });
}
