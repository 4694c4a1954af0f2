/**
 * @module
 * flyteadmin's swagger (`specs/flyteadmin.swagger.json`, grpc-gateway's own description, with
 * proto field names) compiled into walking plans for the protojson normalizer: for each message,
 * its fields under both spellings protojson accepts (proto name and lowerCamelCase JSON name),
 * which fields are enums (names in declaration order), lists, maps (whose keys are user data)
 * or opaque (scalars, Struct, Any's payload). The swagger is read once, on first use, and each
 * plan is compiled once; nothing here keeps a second copy of a field list.
 * @see ../../specs/flyteadmin.swagger.json
 */
import { RUNTIME_SPECS, runtimeSpec } from '../shared/specs.js';

/** How one value is walked. */
export type PlanNode =
  | { kind: 'message'; fields: ReadonlyMap<string, PlanField> }
  | { kind: 'list'; item: PlanNode }
  | { kind: 'map'; value: PlanNode }
  | { kind: 'enum'; type: string; names: readonly string[] }
  | { kind: 'opaque' };

/** One declared field of a message. */
export interface PlanField {
  /** The proto field name (snake_case): what the schemas and flyteadmin's strict marshaler read. */
  proto: string;
  /** protoc's JSON name (lowerCamelCase): what protobuf's default JSON writes. */
  json: string;
  node: PlanNode;
}

/** A swagger schema object, as far as the plans read it. */
interface SwaggerSchema {
  $ref?: string;
  type?: string;
  enum?: string[];
  properties?: Record<string, SwaggerSchema>;
  items?: SwaggerSchema;
  additionalProperties?: SwaggerSchema | boolean;
}

export interface SwaggerParameter extends SwaggerSchema {
  name: string;
  in: string;
}

interface Swagger {
  definitions: Record<string, SwaggerSchema>;
  paths: Record<string, Record<string, { parameters?: SwaggerParameter[] }>>;
}

const SWAGGER_FILE = `specs/${RUNTIME_SPECS.flyte}`;
const OPAQUE: PlanNode = { kind: 'opaque' };

let swagger: Swagger | undefined;
const messages = new Map<string, PlanNode>();

/** The swagger, read on first use (shared with the OpenAPI document: src/shared/specs.ts). */
export function flyteSwagger(): Swagger {
  if (swagger) return swagger;
  const loaded = runtimeSpec('flyte') as Partial<Swagger>;
  if (!loaded.definitions || !loaded.paths) throw new Error(`${SWAGGER_FILE} has no definitions or paths`);
  swagger = loaded as Swagger;
  return swagger;
}

/**
 * protoc's JSON name of a field (`ToJsonName`): each `_` dropped and the character after it
 * upper-cased. Explicit `json_name` options would override it; flyteidl declares none (checked
 * by test/contract/flyteidl-swagger.test.ts).
 * @example
 * jsonName('k8s_service_account'); // 'k8sServiceAccount'
 */
export function jsonName(protoName: string): string {
  let out = '';
  let upper = false;
  for (const char of protoName) {
    if (char === '_') upper = true;
    else {
      out += upper ? char.toUpperCase() : char;
      upper = false;
    }
  }
  return out;
}

const definitionName = (ref: string): string => ref.slice(ref.lastIndexOf('/') + 1);

function nodeOf(schema: SwaggerSchema, where: string): PlanNode {
  if (schema.$ref !== undefined) return definitionNode(definitionName(schema.$ref));
  if (schema.enum !== undefined) return { kind: 'enum', type: where, names: schema.enum };
  if (schema.type === 'array' && schema.items) return { kind: 'list', item: nodeOf(schema.items, where) };
  if (schema.properties) return messageNode(schema.properties, where, { kind: 'message', fields: new Map() });
  if (typeof schema.additionalProperties === 'object') {
    const value = nodeOf(schema.additionalProperties, where);
    return value.kind === 'opaque' ? OPAQUE : { kind: 'map', value };
  }
  // Scalars, well-known types written as strings, and Struct/empty messages (`{"type":"object"}`).
  return OPAQUE;
}

function messageNode(
  properties: Record<string, SwaggerSchema>,
  where: string,
  node: { kind: 'message'; fields: Map<string, PlanField> },
): PlanNode {
  for (const [proto, schema] of Object.entries(properties)) {
    const field: PlanField = { proto, json: jsonName(proto), node: nodeOf(schema, `${where}.${proto}`) };
    node.fields.set(proto, field);
    node.fields.set(field.json, field);
  }
  return node;
}

/** A definition's plan; recursive messages (Literal → LiteralMap → Literal) share one node. */
function definitionNode(name: string): PlanNode {
  const known = messages.get(name);
  if (known) return known;
  const schema = flyteSwagger().definitions[name];
  if (!schema) throw new Error(`${SWAGGER_FILE}: no definition ${name}`);
  if (schema.enum !== undefined) {
    const node: PlanNode = { kind: 'enum', type: name, names: schema.enum };
    messages.set(name, node);
    return node;
  }
  if (!schema.properties) {
    messages.set(name, OPAQUE);
    return OPAQUE;
  }
  const node = { kind: 'message' as const, fields: new Map<string, PlanField>() };
  messages.set(name, node); // before its fields: a field may lead back here
  return messageNode(schema.properties, name, node);
}

/**
 * The plan of a request message, by its swagger definition name.
 * @example
 * messagePlan('adminExecutionCreateRequest').kind; // 'message'
 */
export function messagePlan(definition: string): PlanNode {
  return definitionNode(definition);
}

/**
 * The query parameters flyteadmin's gateway reads for one operation (`in: query`), by method
 * and swagger path.
 * @example
 * queryParameters('get', '/api/v1/executions/{id.project}/{id.domain}').map((p) => p.name);
 * // ['id.name', 'id.org', 'limit', 'token', 'filters', 'sort_by.key', 'sort_by.direction']
 */
export function queryParameters(method: string, path: string): SwaggerParameter[] {
  const operation = flyteSwagger().paths[path]?.[method];
  if (!operation) throw new Error(`${SWAGGER_FILE}: no operation ${method.toUpperCase()} ${path}`);
  return (operation.parameters ?? []).filter((parameter) => parameter.in === 'query');
}
