import { describe, expect, it } from 'vitest';
import { routeTable } from '../../src/app.js';
import { FALLBACK_NAME, fallbackRoute } from '../../src/http/fallback.js';
import { gatewayRequest, jsonOf, recordingSink } from '../helpers/unit-factories.js';

const fallback = () => {
  const route = routeTable().find((r) => r.name === FALLBACK_NAME);
  if (!route) throw new Error('no fallback route');
  return route.handler;
};

describe.each([
  { method: 'POST', path: '/v1/health', allow: 'GET' },
  { method: 'HEAD', path: '/v1/health', allow: 'GET' },
  { method: 'GET', path: '/v1/api/v1/executions', allow: 'POST' },
  { method: 'GET', path: '/v1/api/v1/executions/recover', allow: 'POST' },
  { method: 'PUT', path: '/v1/api/v1/executions/relaunch', allow: 'POST' },
  { method: 'POST', path: '/v1/api/v1/executions/flytesnacks/development', allow: 'GET' },
  { method: 'PUT', path: '/v1/api/v1/executions/flytesnacks/development/run-1', allow: 'GET, DELETE' },
  { method: 'PATCH', path: '/V1/API/V1/EXECUTIONS/p/d/n', allow: 'GET, DELETE' },
  { method: 'DELETE', path: '/v1/api/v1/metrics/executions/p/d/n', allow: 'GET' },
])('$method $path', ({ method, path, allow }) => {
  it(`answers 405 with Allow: ${allow}`, async () => {
    // Act
    const response = await fallback()(gatewayRequest(path, { method }), recordingSink());

    // Assess
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe(allow);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    const body = await jsonOf(response);
    expect(body).toMatchObject({
      type: '/problems/method-not-allowed',
      status: 405,
      detail: `${method} is not allowed here; use ${allow}.`,
      instance: path,
    });
  });
});

describe.each([
  '/',
  '/nope',
  '/v1',
  '/v1/api',
  '/v1/api/v1/executions/p/d/n/extra',
  '/v1/api/v1/metrics/executions/p/d',
  '/api/v1/health',
])('any method on %s', (path) => {
  it.each(['GET', 'POST'])('%s answers a 404 problem+json', async (method) => {
    // Act
    const response = await fallback()(gatewayRequest(path, { method }), recordingSink());

    // Assess
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.headers.get('allow')).toBeNull();
    const body = await jsonOf(response);
    expect(body).toStrictEqual({
      type: '/problems/not-found',
      title: 'Not found',
      status: 404,
      detail: `No operation is served at ${path}.`,
      correlationId: response.headers.get('x-request-id'),
      instance: path,
    });
  });
});

describe('the fallback', () => {
  it('reuses a safe caller request id and ignores the query string', async () => {
    // Act
    const response = await fallback()(
      gatewayRequest('/nope?x=1', { headers: { 'x-request-id': 'caller-42' } }),
      recordingSink(),
    );

    // Assess
    expect(response.headers.get('x-request-id')).toBe('caller-42');
    expect(response.headers.get('traceparent')).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(await jsonOf(response)).toMatchObject({ correlationId: 'caller-42', instance: '/nope' });
  });

  it('cancels a request body it will never read', async () => {
    // Prepare
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      cancel() {
        cancelled = true;
      },
    });

    // Act
    const response = await fallback()(gatewayRequest('/nope', { method: 'POST', body }), recordingSink());

    // Assess
    expect(response.status).toBe(404);
    expect(cancelled).toBe(true);
  });

  it('only knows the routes it is given', async () => {
    // Prepare
    const [health] = routeTable().filter((r) => r.name === 'health');
    const { handler } = fallbackRoute(health ? [health] : []);

    // Act
    const known = await handler(gatewayRequest('/v1/health', { method: 'DELETE' }), recordingSink());
    const unknown = await handler(
      gatewayRequest('/v1/api/v1/executions', { method: 'GET' }),
      recordingSink(),
    );

    // Assess
    expect([known.status, unknown.status]).toStrictEqual([405, 404]);
  });
});
