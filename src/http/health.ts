/**
 * @module
 * `GET /v1/health`: the version and which upstreams this deployment has settings for. It
 * names no endpoint, key or connection string.
 */
import { readJsonUp } from '../find-up.js';
import { getRuntime, type Runtime } from '../runtime.js';
import { storageConfigured } from '../storage/clients.js';
import { gatewayRoute } from './gateway-route.js';
import type { RouteHandler } from './operation-handler.js';

/**
 * @example
 * const response = await healthHandler()(request, console); // 200 {"status":"ok",...}
 */
export function healthHandler(runtimeOf: () => Runtime = getRuntime): RouteHandler {
  return gatewayRoute('health', async () => {
    const { settings } = runtimeOf();
    return Response.json({
      status: 'ok',
      version: packageVersion(),
      upstreams: {
        flyte: { configured: settings.FLYTE_ENDPOINT !== undefined, auth: settings.FLYTE_AUTH },
        azureml: { configured: settings.AZUREML_ENDPOINT !== undefined, auth: settings.AZUREML_AUTH },
        storage: { configured: storageConfigured(settings) },
      },
    });
  });
}

let version: string | undefined;

/** The gateway's package version, from the nearest package.json above this module. */
export function packageVersion(): string {
  version ??= String((readJsonUp('package.json') as { version?: unknown } | undefined)?.version ?? '0.0.0');
  return version;
}
