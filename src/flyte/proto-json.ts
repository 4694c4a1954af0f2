/**
 * @module
 * Reads request JSON the way flyteadmin's HTTP gateway does (grpc-gateway over Go's protojson)
 * and rewrites it into the one spelling the gateway's schemas check and flyteadmin's strict
 * marshaler reads: proto field names and enum names. protojson takes every declared field under
 * its proto name (`launch_plan`) or its JSON name (`launchPlan`), at every level, enums as a name
 * or a JSON number, and `null` as "not set"; it refuses a field given under both spellings. Keys
 * of maps (labels, annotation values, literal names) are user data and are never renamed.
 * Anything the swagger does not declare is left as it is, for the schemas to judge.
 * @see ./swagger-plan.ts
 */
import type { FieldError } from '../problems/errors.js';
import { jsonName, type PlanNode, queryParameters } from './swagger-plan.js';

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Sets an own property, even one named `__proto__` (JSON.parse makes those own data properties). */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

function walk(node: PlanNode, value: unknown, path: string, errors: FieldError[]): unknown {
  switch (node.kind) {
    case 'opaque':
      return value;
    case 'enum':
      return enumValue(node, value, path, errors);
    case 'list':
      return Array.isArray(value)
        ? value.map((item, i) => walk(node.item, item, `${path}[${i}]`, errors))
        : value;
    case 'map': {
      if (!isPlainObject(value)) return value;
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value))
        setOwn(out, key, walk(node.value, item, `${path}.${key}`, errors));
      return out;
    }
    case 'message': {
      if (!isPlainObject(value)) return value;
      const out: Record<string, unknown> = {};
      const spelled = new Map<string, string>();
      for (const [key, item] of Object.entries(value)) {
        const field = node.fields.get(key);
        if (!field) {
          setOwn(out, key, item); // not declared: the schemas decide
          continue;
        }
        const other = spelled.get(field.proto);
        if (other !== undefined) {
          errors.push({
            path: `${path}.${key}`,
            message: `is the same field as ${other}; give it once (protojson refuses duplicate fields)`,
          });
          continue;
        }
        spelled.set(field.proto, key);
        if (item === null) continue; // protojson: null leaves the field unset
        out[field.proto] = walk(field.node, item, `${path}.${key}`, errors);
      }
      return out;
    }
  }
}

/** An enum given as a JSON number becomes its name; names and anything else pass to the schemas. */
function enumValue(
  node: PlanNode & { kind: 'enum' },
  value: unknown,
  path: string,
  errors: FieldError[],
): unknown {
  if (typeof value !== 'number') return value;
  const name = Number.isInteger(value) ? node.names[value] : undefined;
  if (name === undefined) {
    errors.push({
      path,
      message: `must be one of ${node.names.join(', ')} or its number 0-${node.names.length - 1}`,
    });
    return value;
  }
  return name;
}

/**
 * A request body in proto names and enum names, with an error per field given twice or enum
 * number out of range (paths under `prefix`, spelled as the caller spelled them).
 * @example
 * normalizeMessage(messagePlan('adminExecutionRelaunchRequest'), { overwriteCache: true }, 'body');
 * // { value: { overwrite_cache: true }, errors: [] }
 */
export function normalizeMessage(
  plan: PlanNode,
  value: unknown,
  prefix: string,
): { value: unknown; errors: FieldError[] } {
  const errors: FieldError[] = [];
  return { value: walk(plan, value, prefix, errors), errors };
}

/** A query value as a surface has it: text from a URL, or a JSON value from an MCP argument. */
type QueryValue = unknown;

interface QueryName {
  proto: string;
  json: string;
  /** An enum parameter's names, in number order. */
  names?: readonly string[];
}

const queryNames = new Map<string, QueryName[]>();

/** protojson JSON name of a dotted query path, segment by segment (`sort_by.key` → `sortBy.key`). */
const dottedJsonName = (name: string) => name.split('.').map(jsonName).join('.');

function namesOf(method: string, path: string): QueryName[] {
  const key = `${method} ${path}`;
  const known = queryNames.get(key);
  if (known) return known;
  const names = queryParameters(method, path).map((parameter) => ({
    proto: parameter.name,
    json: dottedJsonName(parameter.name),
    ...(parameter.enum ? { names: parameter.enum } : {}),
  }));
  queryNames.set(key, names);
  return names;
}

/**
 * The query as grpc-gateway reads it for one flyteadmin operation: each parameter the swagger
 * declares under its proto or JSON dotted name (`sort_by.direction`, `sortBy.direction`), an
 * enum by name or number (`DESCENDING` or `0`). Other names are left for the schemas.
 * @example
 * normalizeQuery('get', '/api/v1/executions/{id.project}/{id.domain}', { 'sortBy.direction': '1' });
 * // { value: { 'sort_by.direction': 'ASCENDING' }, errors: [] }
 */
export function normalizeQuery(
  method: string,
  path: string,
  query: Record<string, QueryValue>,
): { value: Record<string, QueryValue>; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const value: Record<string, QueryValue> = { ...query };
  for (const name of namesOf(method, path)) {
    if (name.json !== name.proto && name.json in value) {
      if (name.proto in value) {
        errors.push({
          path: `query.${name.json}`,
          message: `is the same parameter as ${name.proto}; give it once`,
        });
      } else value[name.proto] = value[name.json];
      delete value[name.json];
    }
    const given = value[name.proto];
    if (name.names && given !== undefined) {
      const number =
        typeof given === 'number'
          ? given
          : typeof given === 'string' && /^\d+$/.test(given)
            ? Number(given)
            : undefined;
      if (number === undefined) continue;
      const enumName = Number.isInteger(number) ? name.names[number] : undefined;
      if (enumName === undefined) {
        errors.push({
          path: `query.${name.proto}`,
          message: `must be one of ${name.names.join(', ')} or its number 0-${name.names.length - 1}`,
        });
      } else value[name.proto] = enumName;
    }
  }
  return { value, errors };
}
