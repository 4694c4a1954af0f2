/**
 * @module
 * The normalize step of each Flyte operation (catalog `input.normalize`): the caller's raw input,
 * read as flyteadmin's HTTP gateway reads it (proto-json.ts), becomes the proto-name shape the
 * operation's zod schemas check, on every surface (REST, MCP, batch) before those schemas run.
 * A field or parameter given under both spellings, an enum number out of range, or a terminate
 * body naming another execution than its path is a 400 naming the field.
 */
import type { RawInput } from '../catalog/operation.js';
import { type FieldError, ValidationError } from '../problems/errors.js';
import { normalizeMessage, normalizeQuery } from './proto-json.js';
import { messagePlan } from './swagger-plan.js';

/** flyteadmin's swagger path of each operation, as the plans look parameters up. */
export const FLYTE_SWAGGER_PATHS = {
  list: '/api/v1/executions/{id.project}/{id.domain}',
  execution: '/api/v1/executions/{id.project}/{id.domain}/{id.name}',
  metrics: '/api/v1/metrics/executions/{id.project}/{id.domain}/{id.name}',
} as const;

const failIf = (errors: FieldError[]) => {
  if (errors.length > 0) throw new ValidationError(errors);
};

/**
 * A body-bound operation: the body walked along its request message's swagger definition.
 * @example
 * protoJsonBody('adminExecutionRelaunchRequest')({ params: {}, query: {}, body: { overwriteCache: true } }).body;
 * // { overwrite_cache: true }
 */
export function protoJsonBody(definition: string): (raw: RawInput) => RawInput {
  return (raw) => {
    if (raw.body === undefined) return raw;
    const { value, errors } = normalizeMessage(messagePlan(definition), raw.body, 'body');
    failIf(errors);
    return { ...raw, body: value };
  };
}

/**
 * A query-bound operation: its query parameters read as grpc-gateway reads them.
 * @example
 * protoJsonQuery(FLYTE_SWAGGER_PATHS.list)({ params, query: { 'sortBy.direction': '0' }, body: undefined }).query;
 * // { 'sort_by.direction': 'DESCENDING' }
 */
export function protoJsonQuery(swaggerPath: string): (raw: RawInput) => RawInput {
  return (raw) => {
    const { value, errors } = normalizeQuery('get', swaggerPath, raw.query);
    failIf(errors);
    return { ...raw, query: value as Record<string, string> };
  };
}

const PATH_OF_ID = { project: 'id-project', domain: 'id-domain', name: 'id-name' } as const;

/**
 * Terminate: flyteadmin's body is the whole ExecutionTerminateRequest (`{"id": {...}, "cause"}`),
 * whose id the gateway fills from the path. An id in the body must name the path's execution
 * (empty means unset, as in protojson), and its org must agree with `?id.org=` when both are given.
 */
export function protoJsonTerminate(raw: RawInput): RawInput {
  const normalized = protoJsonBody('AdminServiceTerminateExecutionBody')(raw);
  const body = normalized.body;
  const id = typeof body === 'object' && body !== null ? (body as { id?: unknown }).id : undefined;
  if (typeof id !== 'object' || id === null || Array.isArray(id)) return normalized;
  const errors: FieldError[] = [];
  const given = id as Record<string, unknown>;
  for (const [field, param] of Object.entries(PATH_OF_ID)) {
    const value = given[field];
    const expected = raw.params[param];
    if (value !== undefined && value !== '' && expected !== undefined && value !== expected) {
      errors.push({
        path: `body.id.${field}`,
        message: `must be the path's ${param} (${JSON.stringify(expected)}) or be left out`,
      });
    }
  }
  const org = raw.query['id.org'];
  if (org !== undefined && given.org !== undefined && given.org !== org) {
    errors.push({
      path: 'body.id.org',
      message: `must be the query's id.org (${JSON.stringify(org)}) or be left out`,
    });
  }
  failIf(errors);
  return normalized;
}
