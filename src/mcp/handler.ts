/**
 * @module
 * The `/mcp` endpoint: MCP streamable HTTP, stateless, JSON responses. Each POST gets a fresh
 * server and transport, both closed when the answer is ready; GET and DELETE (SSE streams and
 * sessions, which a stateless server has not) get 405. The request body is capped by
 * `MAX_JSON_BODY_BYTES` (413 problem); malformed JSON-RPC gets the SDK's JSON-RPC error; an
 * unexpected failure gets a bare JSON-RPC -32603 with no details.
 * @see https://modelcontextprotocol.io/specification/2025-06-18/basic/transports#streamable-http
 */
import { operations } from '../catalog/index.js';
import type { Operation } from '../catalog/operation.js';
import { correlate, correlationHeaders } from '../http/correlation.js';
import type { RouteHandler } from '../http/operation-handler.js';
import { readCapped } from '../http/read-capped.js';
import { createLogger } from '../log.js';
import { GatewayError, PayloadTooLargeError } from '../problems/errors.js';
import { problemResponse } from '../problems/to-problem.js';
import { getRuntime, type Runtime } from '../runtime.js';
import { mcpTransportModule } from './sdk.js';
import { getServer } from './server.js';

/** Headers not copied onto the request handed to the transport (its body is re-framed). */
const REFRAMED_HEADERS = ['content-length', 'transfer-encoding', 'connection'];

/**
 * @example
 * table.push({ name: 'mcp', methods: ['GET', 'POST', 'DELETE'], route: 'mcp', authLevel: 'function',
 *   handler: mcpHandler(runtimeOf) });
 */
export function mcpHandler(
  runtimeOf: () => Runtime = getRuntime,
  ops: readonly Operation[] = operations,
): RouteHandler {
  return async (request, sink) => {
    if (request.method.toUpperCase() !== 'POST') {
      await request.body?.cancel().catch(() => undefined);
      return jsonRpcError(405, -32000, 'Method not allowed.', { allow: 'POST' });
    }
    const correlation = correlate(request.headers);
    const url = new URL(request.url, 'http://localhost');
    const log = createLogger(sink).child({ requestId: correlation.requestId, operation: 'mcp' });
    let closers: (() => Promise<void>)[] = [];
    try {
      const limit = runtimeOf().settings.MAX_JSON_BODY_BYTES;
      const bytes = await readBody(request.body, request.headers, limit);
      const headers = new Headers(request.headers);
      for (const name of REFRAMED_HEADERS) headers.delete(name);
      const { WebStandardStreamableHTTPServerTransport } = mcpTransportModule();
      const transport = new WebStandardStreamableHTTPServerTransport({
        sessionIdGenerator: undefined,
        enableJsonResponse: true,
        maxRequestBodySize: limit,
      });
      const server = getServer({ runtimeOf, sink, ops, origin: url.origin, headers });
      closers = [() => transport.close(), () => server.close()];
      await server.connect(transport);
      const answer = await transport.handleRequest(
        new Request(url, { method: 'POST', headers, body: new Uint8Array(bytes) }),
      );
      // JSON responses are complete once returned; read them before the transport closes.
      const body = answer.body ? await answer.arrayBuffer() : null;
      return new Response(body, { status: answer.status, headers: answer.headers });
    } catch (error) {
      await request.body?.cancel().catch(() => undefined);
      if (error instanceof GatewayError) {
        log.warn('mcp.refused', { status: error.status, problem: error.type });
        return problemResponse(error, correlation.requestId, url.pathname, correlationHeaders(correlation));
      }
      log.error('mcp.failed', { error: errorName(error) });
      return jsonRpcError(500, -32603, 'Internal server error');
    } finally {
      for (const close of closers) await close().catch(() => undefined);
    }
  };
}

/** The body, counted as it streams in and refused at the cap; `Content-Length` is a hint only. */
async function readBody(
  body: ReadableStream<Uint8Array> | null,
  headers: Headers,
  limit: number,
): Promise<Buffer> {
  const declared = Number(headers.get('content-length') ?? Number.NaN);
  if (!headers.has('transfer-encoding') && Number.isFinite(declared) && declared > limit) {
    throw new PayloadTooLargeError(limit);
  }
  if (!body) return Buffer.alloc(0);
  const { bytes, truncated } = await readCapped(body, limit);
  if (truncated) throw new PayloadTooLargeError(limit);
  return bytes;
}

function jsonRpcError(status: number, code: number, message: string, extra: Record<string, string> = {}) {
  return new Response(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }), {
    status,
    headers: { 'content-type': 'application/json', ...extra },
  });
}

/** Error class only: messages of foreign errors may quote request data. */
function errorName(error: unknown): string {
  const name = (error as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' ? name : 'Error';
}
