/**
 * @module
 * The `/mcp` endpoint: MCP streamable HTTP, stateless, JSON responses, in the request frame
 * (one request id, returned as `x-request-id` and carried by every tool call's log line and
 * problem). Each POST gets a fresh server and transport, both closed when the answer is ready;
 * GET and DELETE (SSE streams and sessions, which a stateless server has not) get 405. The
 * body is capped by `MAX_JSON_BODY_BYTES` (413 problem); malformed JSON-RPC gets the SDK's
 * JSON-RPC error; an unexpected failure gets a bare JSON-RPC -32603 with no details.
 * @see https://modelcontextprotocol.io/specification/2025-06-18/basic/transports#streamable-http
 */
import type { Operation, OperationServices } from '../catalog/operation.js';
import { describe, discard, frame } from '../http/frame.js';
import type { RouteEntry } from '../http/route.js';
import { GatewayError } from '../problems/errors.js';
import { readBodyUnder } from '../shared/read-capped.js';
import { mcpPathItem } from './openapi.js';
import { mcpTransportModule } from './sdk.js';
import { getServer } from './server.js';

/** Headers not copied onto the request handed to the transport (its body is re-framed). */
const REFRAMED_HEADERS = ['content-length', 'transfer-encoding', 'connection'];

/**
 * @example
 * table.push(mcpRoute(getServices, operations));
 */
export function mcpRoute(servicesOf: () => OperationServices, ops: readonly Operation[]): RouteEntry {
  return {
    name: 'mcp',
    methods: ['GET', 'POST', 'DELETE'],
    route: 'mcp',
    authLevel: 'function',
    handler: frame(
      'mcp',
      async (request, { correlation, log, note }) => {
        if (request.method.toUpperCase() !== 'POST') {
          await discard(request.body);
          return jsonRpcError(405, -32000, 'Method not allowed.', { allow: 'POST' });
        }
        let closers: (() => Promise<void>)[] = [];
        try {
          const services = servicesOf();
          const limit = services.settings.MAX_JSON_BODY_BYTES;
          const bytes = await readBodyUnder(request.body, request.headers, limit);
          const headers = new Headers(request.headers);
          for (const name of REFRAMED_HEADERS) headers.delete(name);
          const { WebStandardStreamableHTTPServerTransport } = mcpTransportModule();
          const transport = new WebStandardStreamableHTTPServerTransport({
            sessionIdGenerator: undefined,
            enableJsonResponse: true,
            maxRequestBodySize: limit,
            // No allowedOrigins/allowedHosts/enableDnsRebindingProtection (deprecated in the SDK,
            // exact-string only): bindRoute has refused a foreign Origin before this route ran,
            // and the local host a non-loopback Host (http/cross-site.ts).
          });
          const server = getServer({
            services,
            ops,
            correlation,
            log,
            caller: request.caller,
            owner: request.owner,
            signal: request.signal,
          });
          closers = [() => transport.close(), () => server.close()];
          await server.connect(transport);
          const answer = await transport.handleRequest(
            new Request(new URL(request.url, 'http://localhost'), {
              method: 'POST',
              headers,
              body: new Uint8Array(bytes),
            }),
          );
          // JSON responses are complete once returned; read them before the transport closes.
          const body = answer.body ? await answer.arrayBuffer() : null;
          return new Response(body, { status: answer.status, headers: answer.headers });
        } catch (error) {
          if (error instanceof GatewayError) throw error;
          note({ error: describe(error) });
          return jsonRpcError(500, -32603, 'Internal server error');
        } finally {
          for (const close of closers) await close().catch(() => undefined);
        }
      },
      { readsBody: true },
    ),
    openapi: mcpPathItem,
  };
}

function jsonRpcError(status: number, code: number, message: string, extra: Record<string, string> = {}) {
  return new Response(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }), {
    status,
    headers: { 'content-type': 'application/json', ...extra },
  });
}
