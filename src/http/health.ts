/**
 * @module
 * `GET /v1/health`: the version and which upstreams this deployment has settings for. It
 * names no endpoint, key or connection string.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createLogger } from '../log.js';
import { problemResponse } from '../problems/to-problem.js';
import { getRuntime, type Runtime } from '../runtime.js';
import { storageConfigured } from '../staging/storage-client.js';
import { correlate, correlationHeaders } from './correlation.js';
import type { GatewayHandler } from './operation-handler.js';

/**
 * @example
 * const response = await healthHandler()(request, console); // 200 {"status":"ok",...}
 */
export function healthHandler(runtimeOf: () => Runtime = getRuntime): GatewayHandler {
  return async (request, sink) => {
    const correlation = correlate(request.headers);
    try {
      const { settings } = runtimeOf();
      const body = {
        status: 'ok',
        version: packageVersion(),
        upstreams: {
          flyte: { configured: settings.FLYTE_ENDPOINT !== undefined, auth: settings.FLYTE_AUTH },
          azureml: { configured: settings.AZUREML_ENDPOINT !== undefined, auth: settings.AZUREML_AUTH },
          storage: { configured: storageConfigured(settings) },
        },
      };
      return Response.json(body, { headers: correlationHeaders(correlation) });
    } catch (error) {
      createLogger(sink).error('health.failed', { requestId: correlation.requestId });
      return problemResponse(error, correlation.requestId, '/v1/health', correlationHeaders(correlation));
    }
  };
}

let version: string | undefined;

/** The gateway's package version, from the nearest package.json above this module. */
export function packageVersion(): string {
  if (version) return version;
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      version = String((JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown }).version ?? '0.0.0');
      return version;
    }
  }
  return '0.0.0';
}
