/**
 * @module
 * The MCP server factory: a fresh `McpServer` per request (stateless), with one tool per
 * catalog operation. Each tool call builds the REST request of its operation and runs it
 * through the same `operationHandler` the REST routes use, then maps the answer to a tool
 * result — one pipeline, one error model.
 * @see https://modelcontextprotocol.io/specification/2025-06-18/server/tools
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { operations } from '../catalog/index.js';
import type { Operation } from '../catalog/operation.js';
import { correlate } from '../http/correlation.js';
import { packageVersion } from '../http/health.js';
import { operationHandler } from '../http/operation-handler.js';
import type { LogSink } from '../log.js';
import { problemResponse } from '../problems/to-problem.js';
import type { Runtime } from '../runtime.js';
import { mcpServerModule } from './sdk.js';
import { type ToolCallContext, toGatewayRequest } from './tool-request.js';
import { toToolResult } from './tool-result.js';
import { deriveTools, type ToolDefinition } from './tools.js';

/** What `initialize` reports: the gateway and its package version. */
export const serverInfo = () => ({ name: 'execution-gateway', version: packageVersion() });

export interface ServerOptions extends ToolCallContext {
  runtimeOf: () => Runtime;
  sink: LogSink;
  /** @default the catalog's operations */
  ops?: readonly Operation[];
}

/**
 * @example
 * const server = getServer({ runtimeOf, sink, origin: 'http://127.0.0.1:7071', headers: request.headers });
 * await server.connect(transport);
 */
export function getServer(options: ServerOptions): McpServer {
  const { McpServer } = mcpServerModule();
  const server = new McpServer(serverInfo(), { capabilities: { tools: {} } });
  const runtime = options.runtimeOf();
  for (const tool of deriveTools(options.ops ?? operations, runtime.settings)) {
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
  options: ServerOptions,
): Promise<CallToolResult> {
  const refused = (error: unknown) =>
    toToolResult(problemResponse(error, correlate(options.headers).requestId), tool);
  let built: ReturnType<typeof toGatewayRequest>;
  try {
    built = toGatewayRequest(tool, args, options);
  } catch (error) {
    return refused(error);
  }
  try {
    const response = await operationHandler(tool.op, options.runtimeOf)(built.request, options.sink);
    return await toToolResult(response, tool, built.runId);
  } catch (error) {
    // The pipeline renders its own failures; this is an answer that broke off while read.
    // A bare internal-error problem, never the SDK's default (which quotes the message).
    return refused(error);
  }
}
