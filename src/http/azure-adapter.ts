/**
 * @module
 * Adapts a web-standard gateway handler to the Functions v4 HTTP trigger: the request body
 * stays the live stream (HTTP streaming is on) and the response body streams back.
 */
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { type HttpHandler, type HttpRequest, HttpResponse, type InvocationContext } from '@azure/functions';
import type { GatewayHandler } from './operation-handler.js';

/**
 * @example
 * app.http('getexecution', { route, methods: ['GET'], handler: toAzureHandler(operationHandler(getExecution)) });
 */
export function toAzureHandler(handler: GatewayHandler): HttpHandler {
  return async (request: HttpRequest, context: InvocationContext) => {
    const response = await handler(
      {
        method: request.method,
        url: request.url,
        headers: request.headers,
        params: request.params,
        body: request.body as ReadableStream<Uint8Array> | null,
      },
      context,
    );
    return new HttpResponse({
      status: response.status,
      headers: response.headers,
      body: response.body as NodeReadableStream | null,
    });
  };
}
