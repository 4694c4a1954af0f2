/**
 * @module
 * One MCP tool per catalog operation, derived — never written out by hand: name, title and
 * hints from `op.tool`, description from `op.description` (the contract's text), and the
 * arguments from the operation's own zod schemas. Route params and query fields are renamed
 * by the tables in `arguments.ts`; body fields are arguments of their own, unless the
 * operation names one argument for the whole body (`tool.bodyArgument`); an upload body takes
 * the arguments its operation names (`tool.upload`: a definition, the zip inline or a staged
 * zip's id).
 *
 * The registered input schema shows agents each argument's JSON Schema (with the `.describe()`
 * texts) but accepts any value: `invoke` validates, so a bad argument comes back as an
 * `isError` result with the same problem details as REST, not as a protocol error.
 */
import { z } from 'zod';
import { type Operation, resolveSchema, UPLOAD } from '../catalog/operation.js';
import { mcpInlineZipLimit, type Settings } from '../config.js';
import {
  type ArgumentBinding,
  type ArgumentTarget,
  isRequired,
  PARAM_ARGUMENT_NAMES,
  QUERY_ARGUMENT_NAMES,
  shapeOf,
} from './arguments.js';

/**
 * The inline zip argument; its decoded size is capped by `mcpInlineZipLimit` (the one cap
 * `toToolInput` checks, so what agents are told is what holds).
 */
const zipBase64Schema = (maxBytes: number, stagedArgument: string) =>
  z
    .base64()
    .describe(
      `The project zip, base64-encoded (at most ${maxBytes} bytes decoded: MCP_MAX_INLINE_ZIP_BYTES, ` +
        'lowered to fit MAX_JSON_BODY_BYTES; larger zips go through an upload slot, POST /v1/uploads); ' +
        `give this or ${stagedArgument}`,
    );

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
 * deriveTool(getExecution, settings).bindings.map((b) => b.argument); // ['project', 'domain', 'name']
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
    if (bindings.some((b) => b.argument === argument))
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
    add(definition.argument, { part: 'upload' }, definition.schema, definition.paths);
    const zipSchema = zipBase64Schema(mcpInlineZipLimit(settings), stagedZipId.argument);
    add(zipBase64.argument, { part: 'upload' }, zipSchema, zipBase64.paths, false);
    add(stagedZipId.argument, { part: 'upload' }, stagedZipId.schema, stagedZipId.paths, false);
  } else if (body && op.tool.bodyArgument) {
    add(op.tool.bodyArgument, { part: 'body' }, resolveSchema(body, settings), ['body']);
  } else if (body) {
    for (const [field, schema] of Object.entries(shapeOf(resolveSchema(body, settings), where))) {
      add(field, { part: 'body-field', field }, schema, [`body.${field}`]);
    }
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

/** Any value passes; JSON Schema (as `tools/list` shows it) is each argument's real schema. */
function displaySchema(bindings: readonly ArgumentBinding[]): z.ZodObject {
  const shape: Record<string, z.ZodType> = {};
  for (const binding of bindings)
    shape[binding.argument] = z.unknown().optional().meta(jsonSchemaOf(binding.schema));
  return z.looseObject(shape).meta({
    required: bindings.filter((b) => b.required).map((b) => b.argument),
    additionalProperties: false,
  });
}

function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _, ...json } = z.toJSONSchema(schema, {
    io: 'input',
    target: 'draft-7',
    unrepresentable: 'any',
  }) as Record<string, unknown>;
  return json;
}
