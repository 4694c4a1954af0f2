/**
 * @module
 * Loads the MCP SDK on first use rather than at start-up (the cold-start budget: every
 * function module imports the route table), through `require` so the CommonJS build is
 * used — the same one the static type imports describe.
 */
import { createRequire } from 'node:module';

const load = createRequire(__filename);

/** @example const { McpServer } = mcpServerModule(); */
export const mcpServerModule = (): typeof import('@modelcontextprotocol/sdk/server/mcp.js') =>
  load('@modelcontextprotocol/sdk/server/mcp.js');

/** @example const { WebStandardStreamableHTTPServerTransport } = mcpTransportModule(); */
export const mcpTransportModule =
  (): typeof import('@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js') =>
    load('@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js');
