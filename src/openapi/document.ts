/**
 * @module
 * The OpenAPI 3.1 document, derived from the route table: a catalog operation's route gets
 * its contract path and method, `operationId`, parameters and JSON body from its zod schemas
 * (with the body caps the gateway enforces), its success answer, request body and what its
 * parameters' schemas cannot say from its own fragment, and its problem answers; any other
 * route contributes the path item it carries. Success answers name the upstreams' own
 * definitions, which join `components.schemas` from their swaggers (upstream-schemas.ts).
 * Every pattern is spelled in ASCII classes (shared/json-schema.ts). The document for a given
 * settings object and table is built once; only `servers` changes per request.
 */
import { entraIssuer } from '../auth/identify.js';
import type { Operation } from '../catalog/operation.js';
import { resolveSchema, UPLOAD } from '../catalog/operation.js';
import type { Settings } from '../config.js';
import {
  acceptsNothing,
  type JsonSchema,
  type ParameterObject,
  parametersOf,
  toJsonSchema,
  withAsciiPatterns,
} from '../shared/json-schema.js';
import { entryOf } from '../shared/map-entry.js';
import { packageVersion } from '../shared/package-version.js';
import { jsonRpcErrorSchema } from './json-rpc.js';
import { problemRefs, problemResponses, problemSchema } from './problems.js';
import { CAPABILITY_TAGS, TAGS } from './tags.js';
import { upstreamOf, upstreamSchemas } from './upstream-schemas.js';

export type OpenApiDocument = Record<string, unknown> & { servers: { url: string }[] };

/** What the document reads of a route. */
export interface DocumentedRoute {
  route: string;
  /** The app role a keyed route other than an operation needs: its security requirement. */
  role?: string;
  operation?: Operation;
  openapi?: (settings: Settings) => Record<string, JsonSchema>;
}

const FUNCTION_KEY = [{ functionKey: [] }, { functionKeyQuery: [] }];

function requestBodyOf(op: Operation, settings: Settings): JsonSchema | undefined {
  const body = op.input.body;
  if (body === undefined) return undefined;
  if (body === UPLOAD) {
    const describe = op.openapi.requestBody;
    if (!describe) throw new Error(`No OpenAPI description for the upload body of ${op.operationId}`);
    return describe(settings);
  }
  const schema = resolveSchema(body, settings);
  return {
    required: !acceptsNothing(schema),
    description: jsonBodyLimits(settings),
    content: { 'application/json': { schema: toJsonSchema(schema) } },
  };
}

/** The caps every JSON body is read under (shared/read-json-body.ts), before its schema applies. */
function jsonBodyLimits(settings: Settings): string {
  return (
    `At most ${settings.MAX_JSON_BODY_BYTES} bytes (MAX_JSON_BODY_BYTES; 413 above it, refused while it ` +
    `streams in) and ${settings.MAX_JSON_DEPTH} levels of nesting (MAX_JSON_DEPTH; 400 deeper), ` +
    'UTF-8 JSON with Content-Type application/json (415 otherwise).'
  );
}

/** The derived parameters with the fragment's additions merged over them. */
function parametersWith(op: Operation, settings: Settings): ParameterObject[] {
  const derived = [
    ...parametersOf(resolveSchema(op.input.params, settings), 'path'),
    ...parametersOf(resolveSchema(op.input.query, settings), 'query'),
  ];
  const additions = op.openapi.parameters?.(settings) ?? {};
  for (const name of Object.keys(additions)) {
    if (!derived.some((p) => p.name === name))
      throw new Error(`The OpenAPI fragment of ${op.operationId} names no parameter ${name}`);
  }
  return derived.map((parameter) => {
    const added = additions[parameter.name];
    if (!added) return parameter;
    return {
      ...parameter,
      ...(added.description ? { description: added.description } : {}),
      schema: { ...parameter.schema, ...added.schema },
    };
  });
}

function operationObject(op: Operation, settings: Settings): JsonSchema {
  const requestBody = requestBodyOf(op, settings);
  return {
    operationId: op.operationId,
    tags: [CAPABILITY_TAGS[op.capability]],
    summary: op.description,
    description: op.description,
    parameters: parametersWith(op, settings),
    ...(requestBody ? { requestBody } : {}),
    responses: {
      ...op.openapi.success(settings),
      ...problemRefs({ body: requestBody !== undefined, upstream: true, conflict: op.openapi.conflict }),
    },
    security: securityOf(settings, op.role),
  };
}

/**
 * The key, and under AUTH_MODE=entra also an Entra token carrying the operation's app role (the
 * role is listed on the requirement, as OpenAPI 3.1 allows for OpenID Connect schemes); the
 * token alone when function keys are off.
 */
function securityOf(settings: Settings, role: string) {
  if (settings.AUTH_MODE !== 'entra') return FUNCTION_KEY;
  if (settings.FUNCTION_KEYS === 'off') return [{ entraId: [role] }];
  return FUNCTION_KEY.map((key) => ({ ...key, entraId: [role] }));
}

/** The key schemes, unless function keys are off (then nothing in the document mentions one). */
function keySchemes(settings: Settings) {
  if (settings.FUNCTION_KEYS === 'off') return {};
  return {
    functionKey: { type: 'apiKey', in: 'header', name: 'x-functions-key', description: 'Function key' },
    functionKeyQuery: { type: 'apiKey', in: 'query', name: 'code', description: 'Function key' },
  };
}

/** A keyed route's path item with its role's security requirement on each method. */
function withRole(
  item: Record<string, JsonSchema> | undefined,
  role: string | undefined,
  settings: Settings,
): Record<string, JsonSchema> | undefined {
  if (!item || !role) return item;
  return Object.fromEntries(
    Object.entries(item).map(([method, op]) => [method, { ...op, security: securityOf(settings, role) }]),
  );
}

function entraScheme(settings: Settings) {
  const issuer = entraIssuer(settings);
  return settings.AUTH_MODE === 'entra'
    ? {
        type: 'openIdConnect',
        openIdConnectUrl: `${issuer}/.well-known/openid-configuration`,
        description: `Entra ID access token for ${settings.ENTRA_AUDIENCES.join(' or ')}; each operation names the app role it needs`,
      }
    : {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description: 'Entra ID token, when App Service authentication is enabled in front of the app',
      };
}

function buildStatic(
  routes: readonly DocumentedRoute[],
  settings: Settings,
): Omit<OpenApiDocument, 'servers'> {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const { route, role, operation, openapi } of routes) {
    const item = operation
      ? { [operation.rest.method.toLowerCase()]: operationObject(operation, settings) }
      : withRole(openapi?.(settings), role, settings);
    if (item) paths[`/${route}`] = { ...paths[`/${route}`], ...item };
  }
  const own: Record<string, JsonSchema> = { Problem: problemSchema, JsonRpcError: jsonRpcErrorSchema };
  return withAsciiPatterns({
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    info: {
      title: 'Execution Gateway',
      version: packageVersion(),
      description:
        'One secure front door to Flyte Admin executions and the Azure ML Execution Service. ' +
        (settings.FUNCTION_KEYS === 'off'
          ? 'Every operation needs an Entra ID access token carrying its app role; '
          : 'Every operation needs a function key (header `x-functions-key` or query `code`); ') +
        'every failure is `application/problem+json`.',
    },
    tags: TAGS,
    paths,
    components: {
      schemas: { ...own, ...upstreamComponents(paths, own) },
      responses: problemResponses(),
      securitySchemes: { ...keySchemes(settings), entraId: entraScheme(settings) },
    },
    security: settings.FUNCTION_KEYS === 'off' ? [{ entraId: [] }] : FUNCTION_KEY,
  });
}

/** The upstream definitions the paths name (`#/components/schemas/x` not the gateway's own), with theirs. */
function upstreamComponents(paths: unknown, own: Record<string, JsonSchema>): Record<string, JsonSchema> {
  const named = new Set<string>();
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) for (const item of value) walk(item);
    else if (value !== null && typeof value === 'object')
      for (const [key, item] of Object.entries(value)) {
        if (key === '$ref' && typeof item === 'string' && item.startsWith('#/components/schemas/'))
          named.add(item.slice('#/components/schemas/'.length));
        else walk(item);
      }
  };
  walk(paths);
  const byUpstream = new Map<ReturnType<typeof upstreamOf>, string[]>();
  for (const name of named) {
    if (name in own) continue;
    const upstream = upstreamOf(name);
    byUpstream.set(upstream, [...(byUpstream.get(upstream) ?? []), name]);
  }
  const schemas: Record<string, JsonSchema> = {};
  for (const [upstream, names] of byUpstream) {
    for (const [name, schema] of Object.entries(upstreamSchemas(upstream, names))) {
      if (name in own || name in schemas) throw new Error(`Two schemas named ${name} in the document`);
      schemas[name] = schema;
    }
  }
  return schemas;
}

const cache = new WeakMap<Settings, WeakMap<readonly DocumentedRoute[], Omit<OpenApiDocument, 'servers'>>>();

/**
 * The document of these routes and settings, served from `serverUrl`.
 * @example
 * const doc = buildOpenApiDocument(routeTable(), services.settings, 'https://gw.example.net');
 */
export function buildOpenApiDocument(
  routes: readonly DocumentedRoute[],
  settings: Settings,
  serverUrl: string,
): OpenApiDocument {
  const bySettings = entryOf(cache, settings, () => new WeakMap());
  const base = entryOf(bySettings, routes, () => buildStatic(routes, settings));
  return { ...base, servers: [{ url: serverUrl }] };
}
