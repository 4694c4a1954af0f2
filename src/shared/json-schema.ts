/**
 * @module
 * zod → JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1) for the document: the input
 * side of every schema (what a caller sends, before transforms and defaults), with whatever
 * JSON Schema cannot say (refinements, transforms) left open, and route params and query
 * objects split into OpenAPI parameters.
 */
import { z } from 'zod';

/** A JSON Schema object, as OpenAPI 3.1 embeds it. */
export type JsonSchema = Record<string, unknown>;

export interface ParameterObject {
  name: string;
  in: 'path' | 'query';
  required: boolean;
  description?: string;
  schema: JsonSchema;
}

/**
 * The input-side JSON Schema of a zod schema, without `$schema` (the document's dialect applies).
 * @example
 * toJsonSchema(z.object({ a: z.string() })) // { type: 'object', properties: { a: { type: 'string' } }, ... }
 */
export function toJsonSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
  }) as JsonSchema;
  return rest;
}

/**
 * One OpenAPI parameter per property of an object schema (route params or query).
 * @example
 * parametersOf(executionPathSchema, 'path') // [{ name: 'id-project', in: 'path', required: true, ... }]
 */
export function parametersOf(input: z.ZodType, where: 'path' | 'query'): ParameterObject[] {
  const schema = toJsonSchema(input);
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: where,
      required: where === 'path' || required.has(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: rest,
    };
  });
}

/** True when the schema takes `undefined` (an optional body). */
export function acceptsNothing(schema: z.ZodType): boolean {
  return schema.safeParse(undefined).success;
}
