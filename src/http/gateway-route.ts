/**
 * @module
 * The frame of the gateway's own routes (health, upload slots, the OpenAPI document, batch
 * cancellations): the request body is discarded unless the route reads it, the answer carries
 * the correlation headers, and any failure becomes problem+json and one log line — what the
 * operation handler does for catalog operations.
 */
import { createLogger, type Logger } from '../log.js';
import { GatewayError } from '../problems/errors.js';
import { problemResponse } from '../problems/to-problem.js';
import { type Correlation, correlate, correlationHeaders } from './correlation.js';
import type { GatewayRequest, RoutedRequest, RouteHandler } from './operation-handler.js';

export interface RouteContext {
  correlation: Correlation;
  /** Carries `requestId` and `operation` (the route name). */
  log: Logger;
}

/**
 * @example
 * const handler = gatewayRoute('health', async () => Response.json({ status: 'ok' }));
 */
export function gatewayRoute(
  name: string,
  run: (request: RoutedRequest, ctx: RouteContext) => Promise<Response>,
  options: { readsBody?: boolean } = {},
): RouteHandler {
  return async (request, sink) => {
    if (!options.readsBody) await request.body?.cancel().catch(() => undefined);
    const correlation = correlate(request.headers);
    const log = createLogger(sink).child({ requestId: correlation.requestId, operation: name });
    try {
      const response = await run(request, { correlation, log });
      for (const [header, value] of Object.entries(correlationHeaders(correlation))) {
        response.headers.set(header, value);
      }
      return response;
    } catch (error) {
      await request.body?.cancel().catch(() => undefined);
      const status = error instanceof GatewayError ? error.status : 500;
      if (status >= 500)
        log.error('request.failed', { status, error: error instanceof Error ? error.name : 'Error' });
      else log.warn('request.refused', { status, problem: (error as GatewayError).type });
      const instance = new URL(request.url, 'http://localhost').pathname;
      return problemResponse(error, correlation.requestId, instance, correlationHeaders(correlation));
    }
  };
}

/**
 * A request refused without running a handler (no route, a reserved name, a thrown bug): the
 * body is dropped and the problem carries the correlation headers.
 */
export async function refuse(request: GatewayRequest, error: unknown): Promise<Response> {
  await request.body?.cancel().catch(() => undefined);
  const correlation = correlate(request.headers);
  const instance = new URL(request.url, 'http://localhost').pathname;
  return problemResponse(error, correlation.requestId, instance, correlationHeaders(correlation));
}
