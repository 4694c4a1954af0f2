/**
 * @module
 * Turns a tool call's arguments into the synthetic web-standard request that the operation's
 * REST route would receive — method, URL (path segments filled from the arguments and
 * percent-encoded, query), JSON or multipart body as a stream, `content-type` and the
 * correlation headers — so that the one REST pipeline (`operationHandler`) serves the tool.
 * Only what cannot be expressed as REST input is checked here (unknown arguments, values that
 * cannot go in a path or query, the inline zip); everything else is the pipeline's to validate.
 */
import { newRunId } from '../azureml/executions.js';
import { withPrefix } from '../http/host-json.js';
import type { RoutedRequest } from '../http/operation-handler.js';
import { type FieldError, ValidationError } from '../problems/errors.js';
import type { ToolDefinition } from './tools.js';

/** Headers of the MCP request that travel into the tool's request (correlation only). */
const FORWARDED_HEADERS = ['x-request-id', 'traceparent'];
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export interface ToolCallContext {
  /** Origin of the MCP request, e.g. `http://127.0.0.1:7071`. */
  origin: string;
  /** Headers of the MCP request. */
  headers: Headers;
}

export interface ToolRequest {
  request: RoutedRequest;
  /** The run id sent with an Azure ML start (the caller's or one minted here), for resource URIs. */
  runId?: string;
}

/**
 * Throws `ValidationError` (argument names as paths) for arguments no REST request can carry.
 * @example
 * const { request } = toGatewayRequest(tool, { project: 'flytesnacks', domain: 'development' }, context);
 * const response = await operationHandler(tool.op)(request, sink);
 */
export function toGatewayRequest(
  tool: ToolDefinition,
  args: Record<string, unknown>,
  context: ToolCallContext,
): ToolRequest {
  const errors: FieldError[] = [];
  const known = new Set(tool.bindings.map((b) => b.argument));
  for (const key of Object.keys(args)) {
    if (!known.has(key)) errors.push({ path: key, message: 'is not a known field' });
  }
  const params: Record<string, string> = {};
  const query = new URLSearchParams();
  const fields: Record<string, unknown> = {};
  const upload: Record<string, unknown> = {};
  let whole: unknown;
  for (const { argument, target } of tool.bindings) {
    const value = args[argument];
    if (value === undefined) continue;
    if (target.part === 'params') {
      if (typeof value === 'string') params[target.field] = value;
      else errors.push({ path: argument, message: 'must be a string' });
    } else if (target.part === 'query') {
      if (['string', 'number', 'boolean'].includes(typeof value)) query.set(target.field, String(value));
      else errors.push({ path: argument, message: 'must be a string or a number' });
    } else if (target.part === 'body-field') fields[target.field] = value;
    else if (target.part === 'body') whole = value;
    else upload[target.field] = value;
  }
  const runId = mintRunId(tool, params, query);
  const headers = new Headers();
  for (const name of FORWARDED_HEADERS) {
    const value = context.headers.get(name);
    if (value) headers.set(name, value);
  }
  let body: ReadableStream<Uint8Array> | null = null;
  const { op } = tool;
  if (tool.bindings.some((b) => b.target.part === 'upload')) {
    const encoded = uploadBody(upload, errors, tool.maxInlineZipBytes);
    if (encoded) {
      headers.set('content-type', encoded.contentType);
      body = encoded.body;
    }
  } else if (op.input.body) {
    headers.set('content-type', 'application/json');
    const json = tool.bindings.some((b) => b.target.part === 'body') ? whole : fields;
    body = json === undefined ? null : jsonStream(json);
  }
  if (errors.length > 0) throw new ValidationError(errors);
  const path = op.rest.path.replace(/\{([^}]+)\}/g, (_, name: string) =>
    encodeURIComponent(params[name] ?? ''),
  );
  const search = query.size > 0 ? `?${query}` : '';
  const url = new URL(`/${withPrefix(path.replace(/^\//, ''))}${search}`, context.origin).href;
  return { request: { method: op.rest.method, url, headers, params, query, body }, runId };
}

/**
 * Azure ML starts take an optional `runId`; one is minted here when absent (as the catalog
 * would) so that the answer — a binary resource included — can name the run.
 */
function mintRunId(tool: ToolDefinition, params: Record<string, string>, query: URLSearchParams) {
  const takesRunId = tool.bindings.some((b) => b.target.part === 'query' && b.target.field === 'runId');
  if (!takesRunId || tool.op.capability !== 'azureml') return undefined;
  const experiment = params.experimentname;
  if (!query.has('runId') && experiment !== undefined) query.set('runId', newRunId(experiment));
  return query.get('runId') ?? undefined;
}

/** startrun: multipart with the zip given inline, else the JSON retry form with `stagedZipId`. */
function uploadBody(upload: Record<string, unknown>, errors: FieldError[], maxZipBytes: number) {
  const { runDefinition, stagedZipId, projectZipBase64 } = upload;
  if (projectZipBase64 === undefined) {
    if (stagedZipId === undefined) {
      errors.push({ path: 'projectZipBase64', message: 'is required (or stagedZipId, a zip staged before)' });
      return undefined;
    }
    return { contentType: 'application/json', body: jsonStream({ runDefinition, stagedZipId }) };
  }
  if (stagedZipId !== undefined) {
    errors.push({
      path: 'stagedZipId',
      message: 'must not be given with projectZipBase64 (give one of them)',
    });
    return undefined;
  }
  const zip = decodeZip(projectZipBase64, errors, maxZipBytes);
  if (!zip) return undefined;
  const form = new FormData();
  if (runDefinition !== undefined) {
    const definition = new Blob([JSON.stringify(runDefinition)], { type: 'application/json' });
    form.append('runDefinitionFile', definition, 'runDefinition.json');
  }
  form.append('projectZipFile', new Blob([zip], { type: 'application/zip' }), 'project.zip');
  const encoded = new Request('http://mcp.invalid/', { method: 'POST', body: form });
  return { contentType: encoded.headers.get('content-type') ?? '', body: encoded.body };
}

function decodeZip(value: unknown, errors: FieldError[], maxBytes: number): Uint8Array | undefined {
  const text = typeof value === 'string' ? value.replace(/\s+/g, '') : undefined;
  if (text === undefined || !BASE64.test(text) || text.length % 4 === 1) {
    errors.push({ path: 'projectZipBase64', message: 'must be a base64 string' });
    return undefined;
  }
  if (Math.floor((text.length * 3) / 4) - (text.match(/=/g)?.length ?? 0) > maxBytes) {
    errors.push({
      path: 'projectZipBase64',
      message: `must decode to at most ${maxBytes} bytes; stage larger zips (POST /v1/uploads) and give stagedZipId`,
    });
    return undefined;
  }
  return Buffer.from(text, 'base64');
}

function jsonStream(value: unknown): ReadableStream<Uint8Array> {
  return new Blob([JSON.stringify(value)]).stream();
}
