/**
 * @module
 * The OpenAPI 3.1 document, generated from the catalog: one operation per catalog entry
 * (contract path and method, `operationId` = the contract name, parameters and bodies from
 * its zod schemas, its success answer and its problem answers), plus the gateway's own
 * routes and the batch cancellation routes. The document for a given settings object is built once; only `servers` changes per
 * request.
 */
import type { Operation } from '../catalog/operation.js';
import type { Settings } from '../config.js';
import { packageVersion } from '../http/health.js';
import { CANCELLATIONS_TAG, cancellationPaths } from './cancellation-routes.js';
import { GATEWAY_TAG, gatewayPaths } from './gateway-routes.js';
import { type JsonSchema, parametersOf } from './json-schema.js';
import { problemRefs, problemResponses, problemSchema } from './problems.js';
import { requestBodyOf, successOf } from './request-bodies.js';

export type OpenApiDocument = Record<string, unknown> & { servers: { url: string }[] };

/** Tag per capability, as the reference page groups them. */
export const CAPABILITY_TAGS: Record<Operation['capability'], string> = {
  flyte: 'Flyte Admin executions',
  azureml: 'Azure ML Execution Service',
};

const FUNCTION_KEY = [{ functionKey: [] }, { functionKeyQuery: [] }];

function operationObject(op: Operation, settings: Settings): JsonSchema {
  const requestBody = requestBodyOf(op, settings);
  return {
    operationId: op.seed,
    tags: [CAPABILITY_TAGS[op.capability]],
    summary: op.description,
    description: op.description,
    parameters: [
      ...parametersOf(op.input.params, settings, 'path'),
      ...parametersOf(op.input.query, settings, 'query'),
    ],
    ...(requestBody ? { requestBody } : {}),
    responses: {
      ...successOf(op, settings),
      ...problemRefs({
        body: requestBody !== undefined,
        upstream: true,
        conflict: op.capability === 'azureml',
      }),
    },
    security: FUNCTION_KEY,
  };
}

function buildStatic(ops: readonly Operation[], settings: Settings): Omit<OpenApiDocument, 'servers'> {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const op of ops) {
    const item = paths[op.rest.path] ?? {};
    item[op.rest.method.toLowerCase()] = operationObject(op, settings);
    paths[op.rest.path] = item;
  }
  Object.assign(paths, gatewayPaths(), cancellationPaths(settings));
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    info: {
      title: 'Execution Gateway',
      version: packageVersion(),
      description:
        'One secure front door to Flyte Admin executions and the Azure ML Execution Service. ' +
        'Every operation needs a function key (header `x-functions-key` or query `code`); ' +
        'every failure is `application/problem+json`.',
    },
    tags: [
      { name: CAPABILITY_TAGS.flyte, description: 'Flyte Admin API: workflow executions' },
      { name: CAPABILITY_TAGS.azureml, description: 'Azure ML Execution Service: runs' },
      { name: GATEWAY_TAG, description: 'Health, upload slots and the MCP endpoint' },
      {
        name: CANCELLATIONS_TAG,
        description: 'Batch cancellation of Flyte executions and Azure ML runs, with a report per batch',
      },
    ],
    paths,
    components: {
      schemas: { Problem: problemSchema },
      responses: problemResponses(),
      securitySchemes: {
        functionKey: { type: 'apiKey', in: 'header', name: 'x-functions-key', description: 'Function key' },
        functionKeyQuery: { type: 'apiKey', in: 'query', name: 'code', description: 'Function key' },
        entraId: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'Entra ID token, when App Service authentication is enabled in front of the app',
        },
      },
    },
    security: FUNCTION_KEY,
  };
}

const cache = new WeakMap<Settings, WeakMap<readonly Operation[], Omit<OpenApiDocument, 'servers'>>>();

/**
 * The document for these operations and settings, served from `serverUrl`.
 * @example
 * const doc = buildOpenApiDocument(operations, runtime.settings, 'https://gw.example.net');
 */
export function buildOpenApiDocument(
  ops: readonly Operation[],
  settings: Settings,
  serverUrl: string,
): OpenApiDocument {
  let bySettings = cache.get(settings);
  if (!bySettings) {
    bySettings = new WeakMap();
    cache.set(settings, bySettings);
  }
  let base = bySettings.get(ops);
  if (!base) {
    base = buildStatic(ops, settings);
    bySettings.set(ops, base);
  }
  return { ...base, servers: [{ url: serverUrl }] };
}
