/**
 * @module
 * Registers every route of the route table (catalog operations, health, upload slots, MCP,
 * catch-all) as an HTTP-triggered function; keyed ones anonymous when function keys are off.
 */
import { app } from '@azure/functions';
import { routeTable } from '../app.js';
import { hostAuthLevel } from '../auth/function-keys.js';
import { toAzureHandler } from '../http/azure-adapter.js';

for (const route of routeTable()) {
  app.http(route.name, {
    route: route.route,
    methods: [...route.methods],
    authLevel: hostAuthLevel(route.authLevel),
    handler: toAzureHandler(route.handler),
  });
}
