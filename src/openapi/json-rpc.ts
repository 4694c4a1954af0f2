/**
 * @module
 * The JSON-RPC 2.0 error answer, a component of the document: how the MCP transport (src/mcp)
 * writes its refusals, with `id: null`.
 */
import type { JsonSchema } from '../shared/json-schema.js';

/** A JSON-RPC 2.0 error answer, as the MCP transport writes its refusals. */
export const jsonRpcErrorSchema: JsonSchema = {
  type: 'object',
  description: 'A JSON-RPC 2.0 error answer (MCP transport refusals carry id null)',
  required: ['jsonrpc', 'error', 'id'],
  properties: {
    jsonrpc: { const: '2.0' },
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'integer' }, message: { type: 'string' }, data: {} },
    },
    id: { type: ['string', 'integer', 'null'] },
  },
};
