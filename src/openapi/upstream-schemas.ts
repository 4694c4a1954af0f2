/**
 * @module
 * The upstreams' own answer schemas, taken from their official Swagger 2 documents in
 * `specs/` when the document is built — never copied: an answer names a definition
 * (`upstreamAnswer`, shared/json-schema.ts), and the document takes that definition and everything it references,
 * `#/definitions/x` becoming `#/components/schemas/x`.
 *
 * flyteadmin answers through grpc-gateway with protojson (`UseProtoNames`, `EmitUnpopulated`;
 * reference: flyte-admin-executions.md §1), which the swagger describes loosely; so that a
 * client generated from the document reads what really arrives:
 * - an unset message field is `null`: every property that is a message (a `$ref` to an object
 *   definition, a Timestamp — `format: date-time` —, a Struct — an object declaring nothing —,
 *   and the Duration and wrapper fields the swagger types as plain scalars, `WELL_KNOWN_SCALARS`)
 *   may be `null`;
 * - grpc-gateway's swagger types uint32 (`nesting`, `retry_attempt`) as `integer`/`int64`, and
 *   int64 as a string: an `integer` `int64` is a uint32, a JSON number from 0 to 2³²−1;
 * - nothing is `required`: servers before v1.11 omit zero values.
 */
import type { JsonSchema } from '../shared/json-schema.js';
import { RUNTIME_SPECS, type RuntimeSpec, runtimeSpec } from '../shared/specs.js';

const SPECS = Object.fromEntries(
  Object.entries(RUNTIME_SPECS).map(([upstream, file]) => [upstream, `specs/${file}`]),
) as Record<RuntimeSpec, string>;

export type Upstream = RuntimeSpec;

/**
 * Fields that are well-known message types (Duration, BoolValue) but typed as scalars by
 * flyteadmin's swagger, which cannot tell them apart: protojson writes `null` when unset.
 * `test/contract/openapi.test.ts` checks this list against flyteidl's protos.
 */
const WELL_KNOWN_SCALARS: Readonly<Record<string, readonly string[]>> = {
  adminExecutionClosure: ['duration'],
  adminExecutionSpec: ['interruptible'],
  coreQualityOfServiceSpec: ['queueing_budget'],
  corePrimitive: ['duration'],
};

const UINT32 = { type: 'integer', minimum: 0, maximum: 4294967295 };

type Definitions = Record<string, JsonSchema>;

function definitionsOf(upstream: Upstream): Definitions {
  const { definitions } = runtimeSpec(upstream) as { definitions?: Definitions };
  if (!definitions) throw new Error(`${SPECS[upstream]} has no definitions`);
  return definitions;
}

const componentRef = (name: string) => `#/components/schemas/${name}`;

/** Which upstream defines `name`; throws when none or both do. */
export function upstreamOf(name: string): Upstream {
  const found = (Object.keys(SPECS) as Upstream[]).filter((upstream) => name in definitionsOf(upstream));
  if (found.length !== 1) throw new Error(`${name} is defined by ${found.length} upstream swaggers, not one`);
  return found[0] as Upstream;
}

/** The definition names a Swagger 2 schema references. */
function referencesOf(value: unknown, into: Set<string>): Set<string> {
  if (Array.isArray(value)) for (const item of value) referencesOf(item, into);
  else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (key === '$ref' && typeof item === 'string') into.add(item.replace(/^#\/definitions\//, ''));
      else referencesOf(item, into);
    }
  }
  return into;
}

/** Swagger 2 schema → OpenAPI 3.1 schema (refs, `example`); throws on what it does not know. */
function convert(value: unknown, where: string): unknown {
  if (Array.isArray(value)) return value.map((item) => convert(item, where));
  if (value === null || typeof value !== 'object') return value;
  const out: JsonSchema = {};
  for (const [key, item] of Object.entries(value)) {
    if (key === '$ref' && typeof item === 'string')
      out.$ref = componentRef(item.replace(/^#\/definitions\//, ''));
    else if (key === 'example') out.examples = [item];
    else if (key === 'discriminator' || key === 'x-nullable' || (key === 'type' && item === 'file'))
      throw new Error(`${where}: Swagger 2 construct ${key} is not converted`);
    else if (key === 'properties' && item !== null && typeof item === 'object')
      out.properties = Object.fromEntries(
        Object.entries(item).map(([name, schema]) => [name, convert(schema, `${where}.${name}`)]),
      );
    else out[key] = convert(item, where);
  }
  return out;
}

/** protojson's view of a flyteadmin definition (see the module comment). */
function asProtoJson(name: string, schema: JsonSchema, definitions: Definitions): JsonSchema {
  const properties = schema.properties as Record<string, JsonSchema> | undefined;
  if (!properties) return schema;
  const scalars = new Set(WELL_KNOWN_SCALARS[name] ?? []);
  const isMessage = (property: JsonSchema) => {
    const ref = typeof property.$ref === 'string' ? property.$ref.split('/').at(-1) : undefined;
    if (ref !== undefined) return definitions[ref]?.type === 'object';
    // A Struct is an object with nothing declared; a map (`additionalProperties`) is `{}` when empty.
    const struct = property.type === 'object' && !property.properties && !property.additionalProperties;
    return property.format === 'date-time' || struct;
  };
  const nullable = (property: JsonSchema): JsonSchema => {
    if (typeof property.$ref === 'string') {
      const { $ref, type: _object, ...rest } = property;
      return { ...rest, anyOf: [{ $ref }, { type: 'null' }] };
    }
    return { ...property, type: [property.type, 'null'] };
  };
  const uint32 = (property: JsonSchema): JsonSchema => {
    if (property.type === 'integer' && property.format === 'int64') {
      const { format: _int64, ...rest } = property;
      return { ...rest, ...UINT32 };
    }
    if (property.type === 'array' && property.items && typeof property.items === 'object')
      return { ...property, items: uint32(property.items as JsonSchema) };
    return property;
  };
  return {
    ...schema,
    properties: Object.fromEntries(
      Object.entries(properties).map(([field, property]) => {
        const typed = uint32(property);
        return [field, isMessage(typed) || scalars.has(field) ? nullable(typed) : typed];
      }),
    ),
  };
}

/**
 * The named definitions and every one they reference, as `components.schemas` entries.
 * @example
 * upstreamSchemas('flyte', ['adminExecution']) // { adminExecution: {...}, adminExecutionClosure: {...}, ... }
 */
export function upstreamSchemas(upstream: Upstream, names: Iterable<string>): Record<string, JsonSchema> {
  const definitions = definitionsOf(upstream);
  const closure = new Map<string, JsonSchema>();
  const pending = [...names];
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    if (closure.has(name)) continue;
    const definition = definitions[name];
    if (!definition) throw new Error(`${SPECS[upstream]} has no definition ${name}`);
    closure.set(name, definition);
    pending.push(...referencesOf(definition, new Set()));
  }
  return Object.fromEntries(
    [...closure.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, definition]) => {
        const converted = convert(definition, `${SPECS[upstream]}#/definitions/${name}`) as JsonSchema;
        return [name, upstream === 'flyte' ? asProtoJson(name, converted, definitions) : converted];
      }),
  );
}
