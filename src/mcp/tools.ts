/**
 * @module
 * One MCP tool per catalog operation, derived — never written out by hand: name, title and
 * hints from `op.tool`, description from `op.description` (the contract's text), and the
 * arguments from the operation's own zod schemas. Route params and query fields are renamed
 * by the tables in `arguments.ts` — the Flyte execution id becomes one `id` object argument,
 * as the capability spec binds it (`id.project`, `id.domain`, `id.name`, and `id.org` where the
 * operation takes it); body fields are arguments of their own, unless the operation names one
 * argument for the whole body (`tool.bodyArgument`); an upload body takes the arguments its
 * operation names (`tool.upload`: the definition, and the zip inline or a staged zip's id).
 * The names tools took before (`DEPRECATED_ALIASES`) are listed too, marked deprecated.
 *
 * The registered input schema shows agents each argument's JSON Schema (with the `.describe()`
 * texts; query numbers as the numbers an agent sends) but accepts any value: `invoke`
 * validates, so a bad argument comes back as an `isError` result with the same problem details
 * as REST, not as a protocol error.
 */
import { z } from 'zod';
import { type Operation, resolveSchema, UPLOAD } from '../catalog/operation.js';
import { mcpInlineZipLimit, type Settings } from '../config.js';
import { type JsonSchema, toJsonSchema } from '../shared/json-schema.js';
import {
  type ArgumentBinding,
  type ArgumentTarget,
  DEPRECATED_ALIASES,
  headOf,
  isRequired,
  PARAM_ARGUMENT_NAMES,
  QUERY_ARGUMENT_NAMES,
  shapeOf,
} from './arguments.js';

/**
 * The project zip: inline as base64 (its decoded size capped by `mcpInlineZipLimit`, the one cap
 * `toToolInput` checks, so what agents are told is what holds), or a staged zip's id.
 */
const projectZipFileSchema = (maxBytes: number, stagedZipId: z.ZodType) =>
  z
    .union([
      z.base64().describe(`The zip file, base64-encoded (at most ${maxBytes} bytes decoded)`),
      z.strictObject({ stagedZipId }).describe('A zip staged before (an upload slot, or a failed start)'),
    ])
    .describe(
      `The zip archive of the project folder: base64 of the file (at most ${maxBytes} bytes decoded: ` +
        'MCP_MAX_INLINE_ZIP_BYTES, lowered to fit MAX_JSON_BODY_BYTES), or {"stagedZipId": "..."} naming ' +
        'a zip staged before — larger zips go through an upload slot, POST /v1/uploads',
    );

/** The run definition: the RunDefinition object, or the file's JSON text (plain or base64). */
const runDefinitionFileSchema = (definition: z.ZodType) =>
  z
    .union([
      definition,
      z.string().describe('The JSON file containing the RunDefinition: its text, or its text base64-encoded'),
    ])
    .describe(
      'The RunDefinition: the JSON object, or the JSON file containing it (its text, plain or base64)',
    );

/** What an object argument gathered from route params and query fields is, by its fields. */
const describeObjectArgument = (head: string, keys: readonly string[]): string =>
  head === 'id' && keys.includes('name')
    ? `The execution's identifier, in flyteidl's shape (WorkflowExecutionIdentifier): {${keys.join(', ')}}`
    : head === 'id'
      ? `Whose executions: the identifier's {${keys.join(', ')}}, in flyteidl's shape`
      : `{${keys.join(', ')}}`;

export interface ToolAnnotations {
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: boolean;
}

export interface ToolDefinition {
  op: Operation;
  name: string;
  title: string;
  description: string;
  annotations: ToolAnnotations;
  bindings: ArgumentBinding[];
  /** Shows each argument's JSON Schema; accepts any value (the pipeline validates). */
  inputSchema: z.ZodObject;
  /** Cap on an inline zip: `MCP_MAX_INLINE_ZIP_BYTES` lowered to fit `MAX_JSON_BODY_BYTES` (`mcpInlineZipLimit`). */
  maxInlineZipBytes: number;
  /** Deepest nesting of the arguments (`MAX_JSON_DEPTH`; the arguments object is level 1). */
  maxJsonDepth: number;
  /** Largest upstream answer a result carries (`MCP_MAX_ANSWER_BYTES`); beyond it, the REST route. */
  maxAnswerBytes: number;
}

const cache = new WeakMap<Settings, ToolDefinition[]>();

/**
 * The tools of these operations for these settings (cached per settings object).
 * @example
 * const tools = deriveTools(operations, services.settings);
 * tools.map((t) => t.name); // ['create-workflow-execution', ...]
 */
export function deriveTools(ops: readonly Operation[], settings: Settings): ToolDefinition[] {
  const cached = cache.get(settings);
  if (cached && cached.length === ops.length && cached.every((t, i) => t.op === ops[i])) return cached;
  const tools = ops.map((op) => deriveTool(op, settings));
  cache.set(settings, tools);
  return tools;
}

/**
 * @example
 * deriveTool(getExecution, settings).bindings.map((b) => b.argument); // ['id.project', 'id.domain', 'id.name']
 */
export function deriveTool(op: Operation, settings: Settings): ToolDefinition {
  const where = `tool ${op.tool.name}`;
  const bindings: ArgumentBinding[] = [];
  const add = (
    argument: string,
    target: ArgumentTarget,
    schema: z.ZodType,
    restPaths: string[],
    required = isRequired(schema),
  ) => {
    if (bindings.some((b) => b.argument === argument || headOf(b.argument) === argument))
      throw new Error(`${where}: two arguments named ${argument}`);
    bindings.push({ argument, target, schema, required, restPaths });
  };
  const params = shapeOf(resolveSchema(op.input.params, settings), where);
  for (const [field, schema] of Object.entries(params)) {
    add(PARAM_ARGUMENT_NAMES[field] ?? field, { part: 'params', field }, schema, [`params.${field}`]);
  }
  const query = shapeOf(resolveSchema(op.input.query, settings), where);
  for (const [field, schema] of Object.entries(query)) {
    add(QUERY_ARGUMENT_NAMES[field] ?? field, { part: 'query', field }, schema, [`query.${field}`]);
  }
  const body = op.input.body;
  const upload = op.tool.upload;
  if (body === UPLOAD) {
    if (!upload) throw new Error(`${where}: an upload body needs tool.upload`);
    const { definition, zipBase64, stagedZipId } = upload;
    const zipLimit = mcpInlineZipLimit(settings);
    add(
      definition.argument,
      { part: 'upload' },
      runDefinitionFileSchema(definition.schema),
      definition.paths,
      true,
    );
    const zipSchema = projectZipFileSchema(zipLimit, stagedZipId.schema);
    add(zipBase64.argument, { part: 'upload' }, zipSchema, zipBase64.paths, true);
    // The staged zip's id lives inside the zip argument: `projectZipFile: {stagedZipId}`.
    const staged = `${zipBase64.argument}.${stagedZipId.argument}`;
    bindings.push({
      argument: staged,
      target: { part: 'upload' },
      schema: stagedZipId.schema,
      required: false,
      restPaths: stagedZipId.paths,
    });
  } else if (body && op.tool.bodyArgument) {
    add(op.tool.bodyArgument, { part: 'body' }, resolveSchema(body, settings), ['body']);
  } else if (body) {
    for (const [field, schema] of Object.entries(shapeOf(resolveSchema(body, settings), where))) {
      // A body field repeating what an argument already carries (terminate's optional `id`, which
      // must equal the path's) is filled by the pipeline, not asked for twice.
      if (!isRequired(schema) && bindings.some((b) => headOf(b.argument) === field)) continue;
      add(field, { part: 'body-field', field }, schema, [`body.${field}`]);
    }
  }
  const names = new Set(bindings.map((b) => headOf(b.argument)));
  for (const binding of bindings) {
    const alias = DEPRECATED_ALIASES[binding.argument];
    if (alias && !names.has(alias)) binding.alias = alias;
  }
  return {
    op,
    maxInlineZipBytes: mcpInlineZipLimit(settings),
    maxJsonDepth: settings.MAX_JSON_DEPTH,
    maxAnswerBytes: settings.MCP_MAX_ANSWER_BYTES,
    name: op.tool.name,
    title: op.tool.title,
    description: op.description,
    annotations: {
      readOnlyHint: op.tool.hints.readOnly,
      destructiveHint: op.tool.hints.destructive,
      idempotentHint: op.tool.hints.idempotent,
      openWorldHint: true,
    },
    bindings,
    inputSchema: displaySchema(bindings),
  };
}

/**
 * Any value passes; JSON Schema (as `tools/list` shows it) is each argument's real schema: the
 * spec's arguments first (an object argument with its fields), then the deprecated aliases.
 */
function displaySchema(bindings: readonly ArgumentBinding[]): z.ZodObject {
  const properties = new Map<string, JsonSchema>();
  const required: string[] = [];
  for (const head of new Set(bindings.map((b) => headOf(b.argument)))) {
    const own = bindings.find((b) => b.argument === head);
    const fields = bindings.filter((b) => b.argument.startsWith(`${head}.`));
    properties.set(head, own ? argumentJsonSchema(own) : objectJsonSchema(head, fields));
    if (own ? own.required : fields.some((b) => b.required)) required.push(head);
  }
  for (const binding of bindings) {
    if (!binding.alias) continue;
    const { description, ...json } = argumentJsonSchema(binding);
    properties.set(binding.alias, {
      ...json,
      deprecated: true,
      description: `Deprecated alias of ${binding.argument}${description ? `: ${description}` : ''}`,
    });
  }
  const shape: Record<string, z.ZodType> = {};
  for (const [name, json] of properties) shape[name] = z.unknown().optional().meta(json);
  return z.looseObject(shape).meta({ required, additionalProperties: false });
}

/** `id`: an object of the fields bound to `id.*`, the required ones required, no others. */
function objectJsonSchema(head: string, fields: readonly ArgumentBinding[]): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  for (const field of fields) properties[field.argument.slice(head.length + 1)] = argumentJsonSchema(field);
  const keys = Object.keys(properties);
  return {
    type: 'object',
    properties,
    required: fields.filter((f) => f.required).map((f) => f.argument.slice(head.length + 1)),
    additionalProperties: false,
    description: describeObjectArgument(head, keys),
  };
}

/**
 * A query field arrives as text over REST, but an agent sends JSON: a field the operation reads
 * as a number (`limit`, `depth`) is shown as the number it becomes, bounds included.
 */
function argumentJsonSchema(binding: ArgumentBinding): JsonSchema {
  const input = jsonSchemaOf(binding.schema, 'input');
  if (binding.target.part !== 'query') return input;
  const output = jsonSchemaOf(binding.schema, 'output');
  const number = numericSchema(output);
  if (!number) return input;
  // An unbounded minimum (a safe-integer floor) on a field that refuses negative numbers is 0.
  if (typeof number.minimum === 'number' && number.minimum < 0 && refusesNegative(binding.schema))
    number.minimum = 0;
  const { description, default: fallback } = output;
  return {
    ...number,
    ...(fallback === undefined ? {} : { default: fallback }),
    ...(description === undefined ? {} : { description }),
  };
}

/** The number schema of an output, or of every branch of a union of numbers. */
function numericSchema(output: JsonSchema): JsonSchema | undefined {
  const branches = output.anyOf ?? output.oneOf;
  if (Array.isArray(branches)) {
    const [first, ...rest] = branches;
    return isNumberSchema(first) && rest.every(isNumberSchema) ? numericSchema(first) : undefined;
  }
  if (!isNumberSchema(output)) return undefined;
  const { type, minimum, maximum } = output;
  return {
    type,
    ...(minimum === undefined ? {} : { minimum }),
    ...(maximum === undefined ? {} : { maximum }),
  };
}

function isNumberSchema(schema: unknown): schema is JsonSchema {
  const type = (schema as JsonSchema | null)?.type;
  return type === 'integer' || type === 'number';
}

function refusesNegative(schema: z.ZodType): boolean {
  return !schema.safeParse('-1').success && !schema.safeParse(-1).success;
}

/** Draft 7 for MCP clients; patterns in ASCII classes, as in the OpenAPI document. */
const jsonSchemaOf = (schema: z.ZodType, io: 'input' | 'output'): JsonSchema =>
  toJsonSchema(schema, { io, target: 'draft-7' });
