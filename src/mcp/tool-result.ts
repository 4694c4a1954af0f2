/**
 * @module
 * Maps the REST pipeline's `Response` to an MCP tool result: JSON answers become text plus
 * `structuredContent`; a binary answer (startlocalrun's invocation zip) becomes an embedded
 * resource; a problem+json becomes an `isError` result carrying the same problem — status,
 * type, detail, field errors — with field paths renamed to the tool's argument names.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { isJsonMediaType } from '../http/read-json-body.js';
import type { FieldError } from '../problems/errors.js';
import { toArgumentPath } from './arguments.js';
import type { ToolDefinition } from './tools.js';

/**
 * @example
 * const result = await toToolResult(await handler(request, sink), tool, runId);
 */
export async function toToolResult(
  response: Response,
  tool: ToolDefinition,
  runId?: string,
): Promise<CallToolResult> {
  const type = response.headers.get('content-type') ?? '';
  const essence = type.split(';')[0]?.trim().toLowerCase() ?? '';
  if (response.status < 200 || response.status > 299) return errorResult(response, tool);
  if (!response.body || response.status === 204) {
    return { content: [{ type: 'text', text: `Done (HTTP ${response.status}, no content).` }] };
  }
  if (isJsonMediaType(type)) {
    const text = await response.text();
    const parsed = parseJson(text);
    return { content: [{ type: 'text', text }], ...(isObject(parsed) ? { structuredContent: parsed } : {}) };
  }
  if (essence.startsWith('text/')) return { content: [{ type: 'text', text: await response.text() }] };
  const blob = Buffer.from(await response.arrayBuffer()).toString('base64');
  const file = fileName(response.headers.get('content-disposition')) ?? 'result.bin';
  const scope =
    tool.op.capability === 'azureml'
      ? `azureml://runs/${encodeURIComponent(runId ?? 'unknown')}`
      : 'flyte://results';
  return {
    content: [
      {
        type: 'resource',
        resource: {
          uri: `${scope}/${encodeURIComponent(file)}`,
          mimeType: essence || 'application/octet-stream',
          blob,
        },
      },
    ],
  };
}

/** The problem as REST clients get it, its field paths in argument names. */
async function errorResult(response: Response, tool: ToolDefinition): Promise<CallToolResult> {
  const text = await response.text();
  const parsed = parseJson(text);
  const problem: Record<string, unknown> = isObject(parsed)
    ? { ...parsed }
    : { type: '/problems/internal-error', status: response.status, detail: text.slice(0, 1024) };
  if (Array.isArray(problem.errors)) {
    problem.errors = (problem.errors as FieldError[]).map((e) => ({
      ...e,
      path: toArgumentPath(e.path, tool.bindings),
    }));
  }
  const retryAfter = response.headers.get('retry-after');
  if (retryAfter && problem.retryAfter === undefined) problem.retryAfter = retryAfter;
  return {
    isError: true,
    content: [{ type: 'text', text: JSON.stringify(problem) }],
    structuredContent: problem,
  };
}

function fileName(disposition: string | null): string | undefined {
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
