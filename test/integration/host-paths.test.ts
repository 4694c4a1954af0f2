/**
 * Paths as the real Functions host routes them (docs/functions-host.md, 2.3), on both surfaces:
 * empty segments match no literal or parameter (the catch-all answers 404), a path that starts
 * with `//` matches no function at all, dot segments are resolved before routing, and request
 * headers may take 32 KiB.
 * `node:http` sends the paths raw (fetch would resolve them itself).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Gateway, SURFACES, startGateway } from '../helpers/gateway.js';
import { getRaw } from '../helpers/raw-get.js';

describe.each(SURFACES)('paths on %s', (surface) => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startGateway({ surface });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it.each(['/v1//health', '/v1/health//', '/v1/api/v1/executions/flytesnacks//nightly-etl-0001'])(
    'GET %s: an empty segment matches no route: 404 problem+json, nothing upstream',
    async (path) => {
      // Act
      const res = await getRaw(gw.url, path);

      // Assess
      expect(res.status).toBe(404);
      expect(res.type).toBe('application/problem+json');
      expect(JSON.parse(res.text)).toMatchObject({ type: '/problems/not-found', instance: path });
      expect(gw.emulator.requests).toHaveLength(0);
    },
  );

  it("GET //v1/health matches no function: the host's bare 404", async () => {
    // Act
    const res = await getRaw(gw.url, '//v1/health');

    // Assess
    expect({ status: res.status, text: res.text }).toStrictEqual({ status: 404, text: '' });
  });

  it("request headers up to 32 KiB are taken, larger ones get 431 (the host's limits)", async () => {
    // Act
    const big = await getRaw(gw.url, '/v1/health', { 'x-big': 'a'.repeat(20_000) });
    const tooBig = await getRaw(gw.url, '/v1/health', { 'x-big': 'a'.repeat(40_000) });

    // Assess
    expect([big.status, tooBig.status]).toStrictEqual([200, 431]);
  });

  it('GET /v1/x/../health: dot segments are resolved before routing', async () => {
    // Act
    const res = await getRaw(gw.url, '/v1/x/../health');

    // Assess
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toMatchObject({ status: 'ok' });
  });
});
