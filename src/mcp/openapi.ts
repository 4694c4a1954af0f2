/**
 * @module
 * The path item of `/mcp` (route.ts): MCP streamable HTTP as that route serves it —
 * stateless (no `Mcp-Session-Id` is issued or needed; each POST stands alone), JSON answers
 * only (never an SSE stream), and the transport's content negotiation: a POST must accept both
 * `application/json` and `text/event-stream` (406 otherwise) and send `application/json` (415
 * otherwise). GET and DELETE (an SSE stream, ending a session) answer 405 with `Allow: POST`.
 * The transport's refusals are JSON-RPC errors with `id: null`; only the body cap is a problem.
 */
import type { Settings } from '../config.js';
import { GATEWAY_TAG } from '../openapi/tags.js';
import type { JsonSchema } from '../shared/json-schema.js';

const jsonRpcError = (code: number, message: string): JsonSchema => ({
  'application/json': {
    schema: { $ref: '#/components/schemas/JsonRpcError' },
    examples: { refused: { value: { jsonrpc: '2.0', error: { code, message }, id: null } } },
  },
});

const message: JsonSchema = {
  type: 'object',
  required: ['jsonrpc'],
  properties: {
    jsonrpc: { const: '2.0' },
    id: { type: ['string', 'integer'] },
    method: { type: 'string', examples: ['initialize', 'tools/list', 'tools/call'] },
    params: { type: 'object' },
    result: { type: 'object' },
    error: { type: 'object' },
  },
};

const ACCEPT = 'application/json, text/event-stream';

/** Methods other than POST: no SSE stream and no session to end. */
const notAllowed = (operationId: string, summary: string) => ({
  operationId,
  tags: [GATEWAY_TAG],
  summary,
  description: 'A stateless server has no SSE stream to open and no session to end: always 405.',
  responses: {
    '405': {
      description: 'Method not allowed; only POST is served',
      headers: { Allow: { description: 'POST', schema: { type: 'string', const: 'POST' } } },
      content: jsonRpcError(-32000, 'Method not allowed.'),
    },
  },
});

/**
 * @example
 * mcpPathItem(settings); // { post, get, delete }, the answers' JSON-RPC errors in components
 */
export function mcpPathItem(settings: Settings): Record<string, JsonSchema> {
  return {
    post: {
      operationId: 'mcp',
      tags: [GATEWAY_TAG],
      summary: 'MCP (streamable HTTP, stateless): every operation as a tool',
      description:
        'One JSON-RPC 2.0 message (or a batch) of the Model Context Protocol; the answer is JSON, never an SSE ' +
        'stream. Stateless: no Mcp-Session-Id is issued and none is needed; every POST stands alone (no ' +
        '`initialize` needs to come first). The request must accept both application/json and ' +
        `text/event-stream (send \`Accept: ${ACCEPT}\`), else 406, and be application/json, else 415. ` +
        `The body may take ${settings.MAX_JSON_BODY_BYTES} bytes (MAX_JSON_BODY_BYTES; 413 problem above).`,
      parameters: [
        {
          name: 'MCP-Protocol-Version',
          in: 'header',
          required: false,
          description: 'The negotiated protocol version; an unsupported one is refused with 400',
          schema: { type: 'string', examples: ['2025-06-18'] },
        },
      ],
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: { oneOf: [message, { type: 'array', minItems: 1, items: message }] },
          },
        },
      },
      responses: {
        '200': {
          description: 'The JSON-RPC answer (a tool failure is a result with isError, not an HTTP error)',
          content: {
            'application/json': { schema: { oneOf: [message, { type: 'array', items: message }] } },
          },
        },
        '202': { description: 'Only notifications or responses were sent: accepted, no body' },
        '400': {
          description: 'Not JSON, not a JSON-RPC message, or an unsupported MCP-Protocol-Version',
          content: jsonRpcError(-32700, 'Parse error: Invalid JSON'),
        },
        '406': {
          description: 'Accept does not list both application/json and text/event-stream',
          content: jsonRpcError(
            -32000,
            'Not Acceptable: Client must accept both application/json and text/event-stream',
          ),
        },
        '413': { $ref: '#/components/responses/Problem413' },
        '415': {
          description: 'The body is not application/json',
          content: jsonRpcError(-32000, 'Unsupported Media Type: Content-Type must be application/json'),
        },
        '500': {
          description: 'The gateway failed unexpectedly (no details)',
          content: jsonRpcError(-32603, 'Internal server error'),
        },
      },
    },
    get: notAllowed('mcpstream', 'MCP SSE stream: not offered (stateless server)'),
    delete: notAllowed('mcpendsession', 'MCP session end: not offered (no sessions)'),
  };
}
