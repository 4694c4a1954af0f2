/**
 * @module
 * zod → JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1) for the document and the MCP
 * tools: the input side of every schema (what a caller sends, before transforms and defaults),
 * with whatever JSON Schema cannot say (refinements, transforms) left open, route params and
 * query objects split into OpenAPI parameters, and every `pattern` spelled with ASCII classes
 * only (`asciiPattern`), so that validators outside JavaScript — which read `\d`, `\w`, `\s` as
 * Unicode classes and may not know `\p{…}` — accept and refuse what the gateway does.
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

/** JavaScript's `\s`: the ECMA-262 WhiteSpace and LineTerminator code points, as a class body. */
const WHITESPACE = '\\t\\n\\v\\f\\r \\xA0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000\\uFEFF';

/** The class escapes with an ASCII spelling, as class bodies. */
const CLASS_BODIES: Record<string, string> = { d: '0-9', w: 'A-Za-z0-9_', s: WHITESPACE };

/** Unicode properties with an explicit spelling: Cc is C0, DEL and C1. */
const PROPERTY_BODIES: Record<string, string> = { Cc: '\\x00-\\x1F\\x7F-\\x9F' };

/**
 * The same regular expression with `\d`, `\w`, `\s` (and their negations) and `\p{Cc}` spelled
 * as explicit ASCII classes and ranges; `\u{…}` as `\uXXXX`. Constructs with no such spelling
 * (`\b`, other properties, a negated class escape inside a class) throw, so a schema that
 * introduces one fails the build of the document rather than meaning something else elsewhere.
 * @example
 * asciiPattern('^[a-z][\\w-]*\\d$') // '^[a-z][A-Za-z0-9_-]*[0-9]$'
 */
export function asciiPattern(source: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c !== '\\') {
      if (c === '[' && !inClass) inClass = true;
      else if (c === ']' && inClass) inClass = false;
      out += c;
      continue;
    }
    const next = source[i + 1] ?? '';
    i++;
    const lower = next.toLowerCase();
    if (lower in CLASS_BODIES) {
      const body = CLASS_BODIES[lower] as string;
      const negated = next !== lower;
      if (inClass && negated)
        throw new Error(`pattern ${source}: \\${next} inside a class has no ASCII spelling`);
      out += inClass ? body : `[${negated ? '^' : ''}${body}]`;
    } else if (next === 'p' || next === 'P') {
      const end = source.indexOf('}', i);
      const name = source[i + 1] === '{' && end > i ? source.slice(i + 2, end) : '';
      const body = PROPERTY_BODIES[name];
      if (body === undefined || (inClass && next === 'P'))
        throw new Error(`pattern ${source}: \\${next}{${name}} has no ASCII spelling here`);
      out += inClass ? body : `[${next === 'P' ? '^' : ''}${body}]`;
      i = end;
    } else if (next === 'u' && source[i + 1] === '{') {
      const end = source.indexOf('}', i);
      const code = Number.parseInt(source.slice(i + 2, end), 16);
      if (!(code <= 0xffff)) throw new Error(`pattern ${source}: \\u{…} beyond U+FFFF`);
      out += `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
      i = end;
    } else if (next === 'b' && !inClass) {
      throw new Error(`pattern ${source}: \\b depends on \\w, which other engines read as Unicode`);
    } else if (next === 'B') {
      throw new Error(`pattern ${source}: \\B depends on \\w, which other engines read as Unicode`);
    } else {
      out += `\\${next}`;
    }
  }
  return out;
}

/**
 * A copy of a JSON Schema (or a document holding schemas) with every `pattern` and every
 * `patternProperties` key made ASCII by `asciiPattern`.
 * @example
 * withAsciiPatterns({ type: 'string', pattern: '^\\d+$' }) // { type: 'string', pattern: '^[0-9]+$' }
 */
export function withAsciiPatterns<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withAsciiPatterns) as T;
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (key === 'pattern' && typeof item === 'string') out[key] = asciiPattern(item);
    else if (key === 'patternProperties' && item !== null && typeof item === 'object')
      out[key] = Object.fromEntries(
        Object.entries(item).map(([p, schema]) => [asciiPattern(p), withAsciiPatterns(schema)]),
      );
    else out[key] = withAsciiPatterns(item);
  }
  return out as T;
}

/**
 * The input-side JSON Schema of a zod schema, without `$schema` (the document's dialect
 * applies), patterns in ASCII. `draft-7` is for clients that read no newer dialect (MCP).
 * @example
 * toJsonSchema(z.object({ a: z.string() })) // { type: 'object', properties: { a: { type: 'string' } }, ... }
 */
export function toJsonSchema(
  schema: z.ZodType,
  { io = 'input', target }: { io?: 'input' | 'output'; target?: 'draft-7' } = {},
): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    io,
    unrepresentable: 'any',
    ...(target ? { target } : {}),
  }) as JsonSchema;
  return withAsciiPatterns(rest);
}

/** Patterns of decimal digits only: a parameter that is a non-negative number written out. */
const DIGITS_ONLY = new Set(['^[0-9]+$', '^[0-9]{1,}$']);

/**
 * The schema a numeric parameter is documented with. A query value is text, so a schema may
 * take it as digits and turn it into a number (`string → transform → integer`) or take a number
 * or digits; either way the parameter is that integer, with the bounds the schema enforces
 * (output side) — which is how OpenAPI clients serialize `type: integer` parameters.
 */
function numericParameter(input: JsonSchema, output: JsonSchema | undefined): JsonSchema {
  const numeric = (s: JsonSchema | undefined) => s?.type === 'integer' || s?.type === 'number';
  const digits = (s: JsonSchema) => s.type === 'string' && DIGITS_ONLY.has(String(s.pattern));
  const branches = (input.anyOf ?? input.oneOf) as JsonSchema[] | undefined;
  let chosen: JsonSchema | undefined;
  let nonNegative = false;
  if (digits(input) && numeric(output)) {
    chosen = output;
    nonNegative = true;
  } else if (branches?.some((b) => numeric(b)) && branches.every((b) => numeric(b) || digits(b))) {
    chosen = branches.find((b) => numeric(b));
    nonNegative = branches.some((b) => digits(b)) && Number(chosen?.minimum ?? -1) >= 0;
  }
  if (!chosen) {
    // A default applies on the output side only (zod leaves it out of the input schema).
    const fallback = output?.default;
    return input.default === undefined && fallback !== undefined ? { ...input, default: fallback } : input;
  }
  const { description: _described, default: _default, ...bounds } = chosen;
  const minimum = Math.max(Number(bounds.minimum ?? Number.MIN_SAFE_INTEGER), nonNegative ? 0 : -Infinity);
  const fallback = input.default ?? output?.default;
  return {
    ...bounds,
    ...(Number.isFinite(minimum) && minimum > Number.MIN_SAFE_INTEGER ? { minimum } : {}),
    ...(Number(bounds.maximum) >= Number.MAX_SAFE_INTEGER ? { maximum: undefined } : {}),
    ...(fallback !== undefined ? { default: fallback } : {}),
  };
}

/**
 * One OpenAPI parameter per property of an object schema (route params or query); a numeric
 * value (see `numericParameter`) is documented as `type: integer` with its bounds.
 * @example
 * parametersOf(executionPathSchema, 'path') // [{ name: 'id-project', in: 'path', required: true, ... }]
 */
export function parametersOf(input: z.ZodType, where: 'path' | 'query'): ParameterObject[] {
  const schema = toJsonSchema(input);
  const output = toJsonSchema(input, { io: 'output' });
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const outputs = (output.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...rest } = property;
    const documented = JSON.parse(JSON.stringify(numericParameter(rest, outputs[name]))) as JsonSchema;
    return {
      name,
      in: where,
      required: where === 'path' || required.has(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: documented,
    };
  });
}

/** True when the schema takes `undefined` (an optional body). */
export function acceptsNothing(schema: z.ZodType): boolean {
  return schema.safeParse(undefined).success;
}

/**
 * The success answer of an operation: an upstream's definition `name` (from its swagger in
 * `specs/`), as JSON; the document adds that definition and what it references
 * (openapi/upstream-schemas.ts).
 * @example
 * upstreamAnswer('adminExecution', 'The execution') // { '200': { description, content } }
 */
export function upstreamAnswer(name: string, description: string) {
  const schema = { $ref: `#/components/schemas/${name}` };
  return { '200': { description, content: { 'application/json': { schema } } } };
}
