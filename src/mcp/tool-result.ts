/**
 * @module
 * A tool call's outcome as an MCP tool result. A 2xx answer: JSON becomes text plus
 * `structuredContent`, text stays text, a binary answer (startlocalrun's invocation zip)
 * becomes an embedded resource named by the operation. The answer is read only up to
 * `MCP_MAX_ANSWER_BYTES`: a result is held whole (and again as text, parsed JSON or base64), so
 * beyond the cap the upstream body is cancelled and the tool answers a 413 problem naming the
 * cap and the REST route, which streams answers of any size. A failure becomes an `isError`
 * result carrying the problem REST clients get — status, type, detail, field errors — rendered
 * from the error object, with field paths renamed to the tool's argument names.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { OperationInput } from '../catalog/operation.js';
import { GatewayError, PayloadTooLargeError } from '../problems/errors.js';
import { toProblem } from '../problems/to-problem.js';
import { readCapped } from '../shared/read-capped.js';
import { isJsonMediaType } from '../shared/read-json-body.js';
import type { UpstreamResponse } from '../upstream/http-client.js';
import { aliasesUsed, toArgumentPath } from './arguments.js';
import type { ToolDefinition } from './tools.js';

/**
 * @example
 * const { input, answer } = await invoke(tool.op, raw, ctx);
 * return toToolResult(answer, tool, input);
 */
export async function toToolResult(
  answer: UpstreamResponse,
  tool: ToolDefinition,
  input: OperationInput<unknown, unknown, unknown>,
): Promise<CallToolResult> {
  const type = header(answer, 'content-type') ?? '';
  const essence = type.split(';')[0]?.trim().toLowerCase() ?? '';
  if (answer.status === 204 || answer.status === 205) {
    await answer.body.cancel();
    return { content: [{ type: 'text', text: `Done (HTTP ${answer.status}, no content).` }] };
  }
  const { bytes, truncated } = await readCapped(answer.body, tool.maxAnswerBytes);
  if (truncated) throw answerTooLarge(tool, input);
  if (bytes.length === 0) {
    return { content: [{ type: 'text', text: `Done (HTTP ${answer.status}, no content).` }] };
  }
  if (isJsonMediaType(type)) {
    const text = bytes.toString('utf8');
    const parsed = parseJson(text);
    return { content: [{ type: 'text', text }], ...(isObject(parsed) ? { structuredContent: parsed } : {}) };
  }
  if (essence.startsWith('text/')) return { content: [{ type: 'text', text: bytes.toString('utf8') }] };
  const file = fileName(header(answer, 'content-disposition')) ?? 'result.bin';
  const uri =
    tool.op.tool.resourceUri?.(input, file) ?? `${tool.op.capability}://results/${encodeURIComponent(file)}`;
  return {
    content: [
      {
        type: 'resource',
        resource: { uri, mimeType: essence || 'application/octet-stream', blob: bytes.toString('base64') },
      },
    ],
  };
}

/**
 * The problem as REST clients get it, its field paths in argument names — the names the agent
 * used: `id.project`, or `project` when it sent that deprecated alias (`args`).
 * @example
 * errorResult(new ValidationError([{ path: 'params.id-project', message: 'is required' }]), 'req-1', tool)
 * // errors[0].path === 'id.project'
 */
export function errorResult(
  error: unknown,
  requestId: string,
  tool: ToolDefinition,
  args: Record<string, unknown> = {},
): CallToolResult {
  const problem: Record<string, unknown> = { ...toProblem(error, requestId) };
  const viaAlias = aliasesUsed(tool.bindings, args);
  const rename = (path: string) => toArgumentPath(path, tool.bindings, viaAlias);
  if (Array.isArray(problem.errors)) {
    const errors = problem.errors as { path: string; message: string }[];
    problem.errors = errors.map((e) => ({ ...e, path: rename(e.path) }));
    // The detail names the first error by its path too (`params.id-project: ...`).
    const [first] = errors;
    if (first && typeof problem.detail === 'string' && problem.detail.startsWith(`${first.path}: `)) {
      problem.detail = rename(first.path) + problem.detail.slice(first.path.length);
    }
  }
  const retryAfter = error instanceof GatewayError ? error.headers['Retry-After'] : undefined;
  if (retryAfter && problem.retryAfter === undefined) problem.retryAfter = retryAfter;
  return {
    isError: true,
    content: [{ type: 'text', text: JSON.stringify(problem) }],
    structuredContent: problem,
  };
}

/**
 * 413 for an answer over the cap (the payload being the tool result), naming the cap and the
 * REST route with this call's params and query filled in, as `restRoute` too.
 */
function answerTooLarge(
  tool: ToolDefinition,
  input: OperationInput<unknown, unknown, unknown>,
): GatewayError {
  const limit = tool.maxAnswerBytes;
  const route = restRoute(tool, input);
  // A call that changed something upstream already did: say so before the agent repeats it.
  const done = tool.annotations.readOnlyHint ? '' : ' The operation itself succeeded upstream.';
  const error = new PayloadTooLargeError(
    limit,
    `The upstream's answer exceeds the ${limit} bytes a tool result may carry (MCP_MAX_ANSWER_BYTES), ` +
      `so it was not read further.${done} Call the REST route ${route} instead: it streams answers of any size.`,
  );
  Object.assign(error.extensions, { limit, restRoute: route });
  return error;
}

/** `GET /v1/api/v1/executions/flytesnacks/development?limit=100`: the operation's REST twin for this input. */
function restRoute({ op }: ToolDefinition, input: OperationInput<unknown, unknown, unknown>): string {
  const params = isObject(input.params) ? input.params : {};
  const path = op.rest.path.replace(/\{([^}]+)\}/g, (whole, name: string) => {
    const value = params[name];
    return typeof value === 'string' || typeof value === 'number' ? encodeURIComponent(value) : whole;
  });
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(isObject(input.query) ? input.query : {})) {
    if (['string', 'number', 'boolean'].includes(typeof value)) query.set(name, String(value));
  }
  const search = query.size > 0 ? `?${query}` : '';
  return `${op.rest.method} ${path}${search}`;
}

function header(answer: UpstreamResponse, name: string): string | undefined {
  const value = answer.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function fileName(disposition: string | undefined): string | undefined {
  const match = /filename="?([^";]+)"?/i.exec(disposition ?? '');
  return match?.[1];
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
