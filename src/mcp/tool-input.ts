/**
 * @module
 * Binds a tool call's arguments straight to its operation's input — `{ params, query, body }`
 * as `invoke` takes it — by the tool's bindings: route params and query fields by their
 * renamed argument, body fields (or the whole body) as they are, and an upload's parts (the
 * definition with the zip's bytes decoded from base64, or a staged zip's id). Only what no
 * operation input can carry is refused here (arguments nested deeper than `MAX_JSON_DEPTH`,
 * unknown arguments, values that cannot be a path or query value, the inline zip's form and
 * size); everything else is the operation's schemas' to validate, with the same field errors
 * as REST.
 */
import type { UploadArguments } from '../catalog/operation.js';
import type { RawInput } from '../catalog/validate.js';
import { type FieldError, JsonTooDeepError, ValidationError } from '../problems/errors.js';
import { jsonValueDepth } from '../shared/json-text.js';
import type { UploadBody } from '../staging/upload-body.js';
import type { ToolDefinition } from './tools.js';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Throws `JsonTooDeepError` for arguments nested too deep, `ValidationError` (argument names as
 * paths) for arguments no operation input can carry.
 * @example
 * const raw = toToolInput(tool, { project: 'flytesnacks', domain: 'development' });
 * await invoke(tool.op, raw, ctx);
 */
export function toToolInput(tool: ToolDefinition, args: Record<string, unknown>): RawInput {
  const errors: FieldError[] = [];
  assertArgumentsDepth(args, tool.maxJsonDepth);
  const known = new Set(tool.bindings.map((b) => b.argument));
  for (const key of Object.keys(args)) {
    if (!known.has(key)) errors.push({ path: key, message: 'is not a known field' });
  }
  const params: Record<string, string> = {};
  const query: Record<string, string> = {};
  const fields: Record<string, unknown> = {};
  let whole: unknown;
  for (const { argument, target } of tool.bindings) {
    const value = args[argument];
    if (value === undefined) continue;
    if (target.part === 'params') {
      if (typeof value === 'string') params[target.field] = value;
      else errors.push({ path: argument, message: 'must be a string' });
    } else if (target.part === 'query') {
      if (['string', 'number', 'boolean'].includes(typeof value)) query[target.field] = String(value);
      else errors.push({ path: argument, message: 'must be a string or a number' });
    } else if (target.part === 'body-field') fields[target.field] = value;
    else if (target.part === 'body') whole = value;
  }
  const { op } = tool;
  const upload = op.tool.upload;
  let body: unknown;
  if (upload) body = uploadBody(upload, args, errors, tool.maxInlineZipBytes);
  else if (op.input.body) body = op.tool.bodyArgument ? whole : fields;
  if (errors.length > 0) throw new ValidationError(errors);
  return { params, query, body };
}

/** The zip inline (decoded here) or a staged zip's id; one of them, not both. */
function uploadBody(
  upload: UploadArguments,
  args: Record<string, unknown>,
  errors: FieldError[],
  maxZipBytes: number,
): UploadBody | undefined {
  const definition = args[upload.definition.argument];
  const zip = args[upload.zipBase64.argument];
  const stagedZipId = args[upload.stagedZipId.argument];
  const zipName = upload.zipBase64.argument;
  if (zip === undefined) {
    if (stagedZipId === undefined) {
      errors.push({
        path: zipName,
        message: `is required (or ${upload.stagedZipId.argument}, a zip staged before)`,
      });
      return undefined;
    }
    return { from: 'staged', definition, stagedZipId };
  }
  if (stagedZipId !== undefined) {
    errors.push({
      path: upload.stagedZipId.argument,
      message: `must not be given with ${zipName} (give one of them)`,
    });
    return undefined;
  }
  const bytes = decodeZip(zip, zipName, errors, maxZipBytes);
  return bytes && { from: 'bytes', definition, zip: bytes };
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
