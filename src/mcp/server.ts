/**
 * @module
 * The MCP server factory: a fresh `McpServer` per request (stateless), with one tool per
 * catalog operation. A tool call binds its arguments to the operation's input and runs
 * `invoke` in process — the same path REST routes and batch cancellation take — then maps the
 * answer, or the error object, to a tool result. Each call is logged once, with the MCP
 * request's id.
 * @see https://modelcontextprotocol.io/specification/2025-06-18/server/tools
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Caller } from '../auth/caller.js';
import { mayUse } from '../auth/identify.js';
import { invoke } from '../catalog/invoke.js';
import type { Operation, OperationServices } from '../catalog/operation.js';
import { GatewayError } from '../problems/errors.js';
import type { Correlation } from '../shared/correlation.js';
import type { LogFields, Logger } from '../shared/log.js';
import { packageVersion } from '../shared/package-version.js';
import { startWorkSpan } from '../telemetry/spans.js';
import { mcpServerModule } from './sdk.js';
import { toToolInput } from './tool-input.js';
import { errorResult, toToolResult } from './tool-result.js';
import { deriveTools, type ToolDefinition } from './tools.js';

/** What `initialize` reports: the gateway and its package version. */
const serverInfo = () => ({ name: 'execution-gateway', version: packageVersion() });

export interface ServerOptions {
  services: OperationServices;
  ops: readonly Operation[];
  /** The MCP request's correlation: every tool call runs under its request id. */
  correlation: Correlation;
  /** The Entra ID caller (AUTH_MODE=entra): only the tools its roles allow are listed, and each call is checked. */
  caller?: Caller;
  /** Whose staged zips tool calls may stage and use (auth/owner.ts). */
  owner?: string;
  /** Aborted when the `/mcp` caller goes away: its tool calls are abandoned too. */
  signal?: AbortSignal;
  log: Logger;
}

/**
 * @example
 * const server = getServer({ services, ops: operations, correlation, log });
 * await server.connect(transport);
 */
export function getServer(options: ServerOptions): McpServer {
  const { McpServer } = mcpServerModule();
  const server = new McpServer(serverInfo(), { capabilities: { tools: {} } });
  for (const tool of deriveTools(options.ops, options.services.settings)) {
    if (!mayUse(options.caller, tool.op.role)) continue;
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: tool.inputSchema,
        annotations: tool.annotations,
      },
      (args: Record<string, unknown>) => callTool(tool, args, options),
    );
  }
  return server;
}

async function callTool(
  tool: ToolDefinition,
  args: Record<string, unknown>,
  { services, correlation: given, caller, owner, signal, log: requestLog }: ServerOptions,
): Promise<CallToolResult> {
  const started = performance.now();
  // With telemetry on, a span per tool call, under the request's and parent of its upstream call.
  const span = startWorkSpan(`tools/call ${tool.name}`, 'internal', given, {
    'mcp.method.name': 'tools/call',
    'gen_ai.tool.name': tool.name,
    'gateway.operation': tool.op.operationId,
  });
  const correlation = span?.correlation ?? given;
  const log = requestLog.child({ tool: tool.name, operation: tool.op.operationId }, correlation.trace);
  const notes: LogFields = {};
  const note = (fields: LogFields) => Object.assign(notes, fields);
  const took = () => ({ ...notes, durationMs: Math.round(performance.now() - started) });
  try {
    const raw = toToolInput(tool, args);
    const { input, answer } = await invoke(tool.op, raw, {
      services,
      caller,
      owner,
      signal,
      correlation,
      log,
      note,
    });
    const result = await toToolResult(answer, tool, input);
    log.info('tool.done', { status: answer.status, ...took() });
    span?.end();
    return result;
  } catch (error) {
    // Never the SDK's default error result, which quotes the message.
    const status = error instanceof GatewayError ? error.status : 500;
    const problem = error instanceof GatewayError ? error.type : 'internal-error';
    if (status >= 500) log.error('tool.failed', { status, problem, ...took() });
    else log.warn('tool.refused', { status, problem, ...took() });
    span?.end(problem);
    return errorResult(error, correlation.requestId, tool, args);
  }
}
