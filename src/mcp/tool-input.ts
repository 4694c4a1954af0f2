/**
 * @module
 * Binds a tool call's arguments straight to its operation's input — `{ params, query, body }`
 * as `invoke` takes it — by the tool's bindings: route params and query fields by their
 * renamed argument, body fields (or the whole body) as they are, and an upload's parts (the
 * definition with the zip's bytes decoded from base64, or a staged zip's id). Only what no
 * operation input can carry is refused here (unknown arguments, values that cannot be a path
 * or query value, the inline zip's form and size); everything else is the operation's schemas'
 * to validate, with the same field errors as REST.
 */
import type { UploadArguments } from '../catalog/operation.js';
import type { RawInput } from '../catalog/validate.js';
import { type FieldError, ValidationError } from '../problems/errors.js';
import type { UploadBody } from '../staging/upload-body.js';
import type { ToolDefinition } from './tools.js';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Throws `ValidationError` (argument names as paths) for arguments no operation input can carry.
 * @example
 * const raw = toToolInput(tool, { project: 'flytesnacks', domain: 'development' });
 * await invoke(tool.op, raw, ctx);
 */
export function toToolInput(tool: ToolDefinition, args: Record<string, unknown>): RawInput {
  const errors: FieldError[] = [];
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
      message: `must decode to at most ${maxBytes} bytes; stage larger zips (POST /v1/uploads) and give stagedZipId`,
    });
    return undefined;
  }
  return Buffer.from(text, 'base64');
}
