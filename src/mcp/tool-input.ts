/**
 * @module
 * Binds a tool call's arguments straight to its operation's input — `{ params, query, body }`
 * as `invoke` takes it — by the tool's bindings: route params and query fields by their
 * renamed argument (`id.project`, or its deprecated alias `project`), body fields (or the whole
 * body) as they are, and an upload's parts (the definition with the zip's bytes decoded from
 * base64, or a staged zip's id). Only what no operation input can carry is refused here
 * (arguments nested deeper than `MAX_JSON_DEPTH`, unknown arguments, an argument and its alias
 * with different values, values that cannot be a path or query value, the inline zip's form and
 * size); everything else is the operation's schemas' to validate, with the same field errors
 * as REST.
 */
import type { UploadArguments } from '../catalog/operation.js';
import type { RawInput } from '../catalog/validate.js';
import { type FieldError, JsonTooDeepError, ValidationError } from '../problems/errors.js';
import { jsonValueDepth } from '../shared/json-text.js';
import type { UploadBody } from '../staging/upload-body.js';
import { type ArgumentBinding, headOf, isPlainObject, valueAt } from './arguments.js';
import type { ToolDefinition } from './tools.js';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** An argument's value and the name it was given under (the spec's, or its deprecated alias). */
interface Given {
  value: unknown;
  name: string;
}

/**
 * Throws `JsonTooDeepError` for arguments nested too deep, `ValidationError` (argument names as
 * paths) for arguments no operation input can carry.
 * @example
 * const raw = toToolInput(tool, { id: { project: 'flytesnacks', domain: 'development' } });
 * await invoke(tool.op, raw, ctx);
 */
export function toToolInput(tool: ToolDefinition, args: Record<string, unknown>): RawInput {
  const errors: FieldError[] = [];
  assertArgumentsDepth(args, tool.maxJsonDepth);
  refuseUnknown(tool.bindings, args, errors);
  const params: Record<string, string> = {};
  const query: Record<string, string> = {};
  const fields: Record<string, unknown> = {};
  let whole: unknown;
  for (const binding of tool.bindings) {
    const { target } = binding;
    if (target.part === 'upload') continue;
    const given = givenValue(binding, args, errors);
    if (given === undefined) continue;
    const { value, name } = given;
    if (target.part === 'params') {
      if (typeof value === 'string') params[target.field] = value;
      else errors.push({ path: name, message: 'must be a string' });
    } else if (target.part === 'query') {
      if (['string', 'number', 'boolean'].includes(typeof value)) query[target.field] = String(value);
      else errors.push({ path: name, message: 'must be a string or a number' });
    } else if (target.part === 'body-field') fields[target.field] = value;
    else whole = value;
  }
  const { op } = tool;
  const upload = op.tool.upload;
  let body: unknown;
  if (upload) body = uploadBody(tool, upload, args, errors);
  else if (op.input.body) body = op.tool.bodyArgument ? whole : fields;
  if (errors.length > 0) throw new ValidationError(errors);
  return { params, query, body };
}

/**
 * Top-level names are the spec's arguments and their aliases; an object argument (`id`) must be
 * an object of its known fields.
 */
function refuseUnknown(
  bindings: readonly ArgumentBinding[],
  args: Record<string, unknown>,
  errors: FieldError[],
): void {
  const heads = new Set(bindings.map((b) => headOf(b.argument)));
  const aliases = new Set(bindings.flatMap((b) => (b.alias ? [b.alias] : [])));
  for (const key of Object.keys(args)) {
    if (!heads.has(key) && !aliases.has(key)) errors.push({ path: key, message: 'is not a known field' });
  }
  for (const head of heads) {
    const value = args[head];
    if (value === undefined || bindings.some((b) => b.argument === head)) continue;
    const fields = bindings
      .filter((b) => headOf(b.argument) === head)
      .map((b) => b.argument.slice(head.length + 1));
    if (!isPlainObject(value)) {
      errors.push({ path: head, message: `must be an object: {${fields.join(', ')}}` });
      continue;
    }
    for (const key of Object.keys(value)) {
      if (!fields.includes(key)) errors.push({ path: `${head}.${key}`, message: 'is not a known field' });
    }
  }
}

/**
 * The argument's value, under its spec name or its alias. Both may be given if they agree;
 * different values are refused, naming both.
 */
function givenValue(
  binding: ArgumentBinding,
  args: Record<string, unknown>,
  errors: FieldError[],
): Given | undefined {
  const { argument, alias } = binding;
  const value = valueAt(args, argument);
  const aliased = alias === undefined ? undefined : args[alias];
  if (value !== undefined && aliased !== undefined && !sameJson(value, aliased)) {
    errors.push({
      path: argument,
      message: `conflicts with ${alias} (its deprecated alias), which has another value: give one of them`,
    });
    return undefined;
  }
  if (value !== undefined) return { value, name: argument };
  if (aliased !== undefined && alias !== undefined) return { value: aliased, name: alias };
  return undefined;
}

/**
 * startrun's body: the definition (an object, or the file's JSON text, plain or base64) with the
 * zip inline (decoded here) or a staged zip's id (`projectZipFile: {stagedZipId}`, or the
 * deprecated top-level `stagedZipId`); one of them, not both.
 */
function uploadBody(
  tool: ToolDefinition,
  upload: UploadArguments,
  args: Record<string, unknown>,
  errors: FieldError[],
): UploadBody | undefined {
  const binding = (argument: string) => tool.bindings.find((b) => b.argument === argument);
  const zipName = upload.zipBase64.argument;
  const definitionBinding = binding(upload.definition.argument);
  const zipBinding = binding(zipName);
  const stagedBinding = binding(`${zipName}.${upload.stagedZipId.argument}`);
  if (!definitionBinding || !zipBinding || !stagedBinding)
    throw new Error(`${tool.name}: upload bindings missing`);
  const definition = definitionOf(givenValue(definitionBinding, args, errors), errors);
  const zip = givenValue(zipBinding, args, errors);
  const stagedAlias = stagedBinding.alias === undefined ? undefined : args[stagedBinding.alias];
  const stagedAliasName = stagedBinding.alias ?? stagedBinding.argument;
  if (zip === undefined) {
    if (stagedAlias !== undefined) return { from: 'staged', definition, stagedZipId: stagedAlias };
    if (!errors.some((e) => e.path === zipName)) {
      errors.push({
        path: zipName,
        message: 'is required: base64 of the zip, or {"stagedZipId": "..."} naming a zip staged before',
      });
    }
    return undefined;
  }
  if (isPlainObject(zip.value)) {
    for (const key of Object.keys(zip.value)) {
      if (key !== upload.stagedZipId.argument)
        errors.push({ path: `${zip.name}.${key}`, message: 'is not a known field' });
    }
    const staged = givenValue(stagedBinding, { ...args, [zipName]: zip.value }, errors);
    if (staged === undefined) {
      if (!errors.some((e) => e.path === stagedBinding.argument))
        errors.push({ path: `${zip.name}.${upload.stagedZipId.argument}`, message: 'is required' });
      return undefined;
    }
    return { from: 'staged', definition, stagedZipId: staged.value };
  }
  if (stagedAlias !== undefined) {
    errors.push({ path: stagedAliasName, message: `must not be given with ${zip.name} (give one of them)` });
    return undefined;
  }
  const bytes = decodeZip(zip.value, zip.name, errors, tool.maxInlineZipBytes);
  return bytes && { from: 'bytes', definition, zip: bytes };
}

/** The RunDefinition an object gives as is; the file's text (plain or base64) parsed. */
function definitionOf(given: Given | undefined, errors: FieldError[]): unknown {
  if (given === undefined || typeof given.value !== 'string') return given?.value;
  const text = given.value.trim();
  const json = text.startsWith('{') ? text : decodeBase64Text(text);
  try {
    if (json !== undefined) return JSON.parse(json);
  } catch {
    // Reported below.
  }
  errors.push({
    path: given.name,
    message: "must be a RunDefinition: a JSON object, or the JSON file's text (plain or base64-encoded)",
  });
  return undefined;
}

function decodeBase64Text(text: string): string | undefined {
  const compact = text.replace(/\s+/g, '');
  if (!BASE64.test(compact) || compact.length % 4 === 1) return undefined;
  return Buffer.from(compact, 'base64').toString('utf8');
}

/** Equal as JSON values (key order aside): an alias may repeat its argument's value. */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((v, i) => sameJson(v, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => k in b && sameJson(a[k], b[k]));
  }
  return false;
}

function decodeZip(
  value: unknown,
  name: string,
  errors: FieldError[],
  maxBytes: number,
): Uint8Array | undefined {
  const text = typeof value === 'string' ? value.replace(/\s+/g, '') : undefined;
  if (text === undefined || !BASE64.test(text) || text.length % 4 === 1) {
    errors.push({ path: name, message: 'must be a base64 string' });
    return undefined;
  }
  if (Math.floor((text.length * 3) / 4) - (text.match(/=/g)?.length ?? 0) > maxBytes) {
    errors.push({
      path: name,
      message:
        `must decode to at most ${maxBytes} bytes (MCP_MAX_INLINE_ZIP_BYTES, lowered to fit ` +
        'MAX_JSON_BODY_BYTES as base64); stage larger zips (POST /v1/uploads) and give stagedZipId',
    });
    return undefined;
  }
  return Buffer.from(text, 'base64');
}

/**
 * The arguments object is level 1, as a REST body is. Checked before anything else reads them:
 * deep values go no further (schemas, staging, the upstream's JSON.stringify, which throws on
 * them). The same 400 as a REST body too deep, naming the argument.
 */
function assertArgumentsDepth(args: Record<string, unknown>, maxDepth: number): void {
  for (const [key, value] of Object.entries(args)) {
    if (jsonValueDepth(value, maxDepth - 1) > maxDepth - 1) {
      throw new JsonTooDeepError(maxDepth, `The arguments object, at ${key},`);
    }
  }
}
