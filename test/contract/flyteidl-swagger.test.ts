/**
 * The protojson normalizer reads flyteadmin's swagger, not the protos; these tests hold the two
 * together for everything it walks. From each request message it normalizes, down every field:
 * each swagger property is a field of the real flyteidl message (@flyteorg/flyteidl's protos),
 * protoc's JSON name of it is the one the normalizer derives, maps are maps, and every enum lists
 * its names in number order (the swagger gives names only; their position is taken as the number).
 * The emulator's enum tables are held to the protos the same way.
 */
import type { DescEnum, DescField, DescMessage } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { ADMIN_ENUMS } from '../../sandbox/flyte-admin/proto-types-admin.js';
import { CORE_ENUMS } from '../../sandbox/flyte-admin/proto-types-core.js';
import { FLYTE_SWAGGER_PATHS } from '../../src/flyte/protojson-input.js';
import { flyteSwagger, jsonName, queryParameters } from '../../src/flyte/swagger-plan.js';
import { enumDesc, flyteidl, messageDesc } from '../helpers/flyteidl.js';

interface Schema {
  $ref?: string;
  type?: string;
  enum?: string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: Schema | boolean;
}

const definition = (schema: Schema): Schema =>
  schema.$ref ? (flyteSwagger().definitions[schema.$ref.slice('#/definitions/'.length)] as Schema) : schema;

/** Enum names in number order, from the protos (holes would show as undefined). */
const protoOrder = (desc: DescEnum): (string | undefined)[] => {
  const max = Math.max(...desc.values.map((v) => v.number));
  return Array.from({ length: max + 1 }, (_, n) => desc.values.find((v) => v.number === n)?.name);
};

interface Finding {
  enums: Map<string, { swagger: string[]; proto: (string | undefined)[] }>;
  problems: string[];
  fields: number;
}

/** Walks a swagger schema beside the flyteidl message it describes. */
function walk(schema: Schema, desc: DescMessage, where: string, found: Finding, seen: Set<string>): void {
  if (seen.has(desc.typeName)) return;
  seen.add(desc.typeName);
  const properties = definition(schema).properties ?? {};
  for (const [name, property] of Object.entries(properties)) {
    const field = desc.fields.find((f) => f.name === name);
    const path = `${where}.${name}`;
    if (!field) {
      found.problems.push(`${path}: no field ${name} in ${desc.typeName}`);
      continue;
    }
    found.fields += 1;
    if (field.jsonName !== jsonName(name)) {
      found.problems.push(`${path}: JSON name ${field.jsonName}, normalizer derives ${jsonName(name)}`);
    }
    walkField(property, field, path, found, seen);
  }
}

function walkField(
  property: Schema,
  field: DescField,
  path: string,
  found: Finding,
  seen: Set<string>,
): void {
  const target = definition(property);
  switch (field.fieldKind) {
    case 'enum':
      recordEnum(target, field.enum, path, found);
      return;
    case 'message':
      if (target.properties) walk(property, field.message, path, found, seen);
      return;
    case 'list':
      if (field.listKind === 'enum')
        recordEnum(definition(target.items ?? {}), field.enum, `${path}[]`, found);
      if (field.listKind === 'message' && target.items)
        walk(target.items, field.message, `${path}[]`, found, seen);
      if (target.type !== 'array') found.problems.push(`${path}: a list in the protos, not in the swagger`);
      return;
    case 'map':
      if (typeof target.additionalProperties !== 'object') {
        found.problems.push(`${path}: a map in the protos, not in the swagger`);
        return;
      }
      if (field.mapKind === 'enum')
        recordEnum(definition(target.additionalProperties), field.enum, `${path}{}`, found);
      if (field.mapKind === 'message')
        walk(target.additionalProperties, field.message, `${path}{}`, found, seen);
      return;
    case 'scalar':
      return;
  }
}

function recordEnum(schema: Schema, desc: DescEnum, path: string, found: Finding): void {
  if (!schema.enum) {
    found.problems.push(`${path}: ${desc.typeName} is not an enum in the swagger`);
    return;
  }
  found.enums.set(desc.typeName, { swagger: schema.enum, proto: protoOrder(desc) });
}

const REQUESTS = [
  ['adminExecutionCreateRequest', 'admin.ExecutionCreateRequest'],
  ['adminExecutionRecoverRequest', 'admin.ExecutionRecoverRequest'],
  ['adminExecutionRelaunchRequest', 'admin.ExecutionRelaunchRequest'],
  ['AdminServiceTerminateExecutionBody', 'admin.ExecutionTerminateRequest'],
] as const;

describe('flyteadmin swagger ↔ flyteidl protos, for the messages the normalizer walks', () => {
  const found: Finding = { enums: new Map(), problems: [], fields: 0 };
  for (const [swagger, proto] of REQUESTS) {
    walk({ $ref: `#/definitions/${swagger}` }, messageDesc(proto), swagger, found, new Set());
  }

  it('every swagger property is a proto field whose JSON name is the one the normalizer derives', () => {
    // Assess: hundreds of fields, not a walk that stopped at the top.
    expect(found.problems).toEqual([]);
    expect(found.fields).toBeGreaterThan(100);
  });

  it('every reachable enum lists its names in number order, so a position is a number', () => {
    // Assess
    expect([...found.enums.keys()]).toEqual(
      expect.arrayContaining([
        'flyteidl.core.ResourceType',
        'flyteidl.admin.ExecutionMetadata.ExecutionMode',
        'flyteidl.core.QualityOfService.Tier',
        'flyteidl.core.BlobType.BlobDimensionality',
      ]),
    );
    for (const [name, { swagger, proto }] of found.enums) {
      expect(swagger, name).toEqual(proto);
    }
  });

  it('no flyteidl proto sets json_name, so protoc derives every JSON name', () => {
    // Assess: protobufjs keeps explicit json_name options on the field.
    const explicit: string[] = [];
    const visit = (ns: { nestedArray: unknown[] }) => {
      for (const nested of ns.nestedArray) {
        const fields = (nested as { fieldsArray?: { name: string; options?: Record<string, unknown> }[] })
          .fieldsArray;
        for (const field of fields ?? [])
          if (field.options?.json_name !== undefined) explicit.push(field.name);
        if ((nested as { nestedArray?: unknown[] }).nestedArray) visit(nested as { nestedArray: unknown[] });
      }
    };
    visit(flyteidl().root);
    expect(explicit).toEqual([]);
  });

  it('the list query: sort_by.direction is DESCENDING=0, ASCENDING=1', () => {
    // Prepare
    const direction = queryParameters('get', FLYTE_SWAGGER_PATHS.list).find(
      (p) => p.name === 'sort_by.direction',
    );
    // Assess
    expect(direction?.enum).toEqual(protoOrder(enumDesc('admin.Sort.Direction')));
    expect(direction?.enum).toEqual(['DESCENDING', 'ASCENDING']);
  });

  it.each([
    [FLYTE_SWAGGER_PATHS.list, 'id.org'],
    [FLYTE_SWAGGER_PATHS.execution, 'id.org'],
    [FLYTE_SWAGGER_PATHS.metrics, 'id.org'],
    [FLYTE_SWAGGER_PATHS.metrics, 'depth'],
  ])('%s reads %s from the query', (path, name) => {
    expect(queryParameters('get', path).map((p) => p.name)).toContain(name);
  });
});

describe("the emulator's enum tables", () => {
  const tables = { ...CORE_ENUMS, ...ADMIN_ENUMS };
  it.each(Object.entries(tables))('%s lists its names in number order', (name, names) => {
    expect(names).toEqual(protoOrder(enumDesc(name)));
  });
});
