/**
 * `GET /v1/docs` over real HTTP on both surfaces: the reference page and its assets come
 * from the app itself (no CDN) with their content types and caching, and only the listed
 * asset names are served.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, type Gateway, SURFACES, startGateway } from '../helpers/gateway.js';

describe.each(SURFACES)('the API reference page on %s', (surface) => {
  let gw: Gateway;

  beforeAll(async () => {
    gw = await startGateway({ surface });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('is an HTML page that loads Swagger UI from the app only', async () => {
    // Act
    const res = await call(gw, 'GET', '/v1/docs');

    // Assess
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    const urls = [...res.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(urls.length).toBeGreaterThan(2);
    expect(urls.every((u) => u?.startsWith('/v1/docs/'))).toBe(true);
    expect(res.text).not.toMatch(/<script>/);
  });

  it.each([
    { asset: 'swagger-ui.css', type: /^text\/css/ },
    { asset: 'swagger-ui-bundle.js', type: /^text\/javascript/ },
    { asset: 'favicon-32x32.png', type: /^image\/png/ },
    { asset: 'docs-initializer.js', type: /^text\/javascript/ },
  ])('serves $asset', async ({ asset, type }) => {
    // Act
    const res = await call(gw, 'GET', `/v1/docs/${asset}`);

    // Assess
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(type);
    expect(res.headers.get('cache-control')).toBeTruthy();
    expect(res.text.length).toBeGreaterThan(0);
  });

  it('configures Swagger UI with the app document and try-it-out', async () => {
    // Act
    const res = await call(gw, 'GET', '/v1/docs/docs-initializer.js');

    // Assess
    expect(res.text).toContain('"url":"/v1/openapi.json"');
    expect(res.text).toContain('"tryItOutEnabled":true');
  });

  it.each([
    '/v1/docs/..%2Fpackage.json',
    '/v1/docs/..%2F..%2Fpackage.json',
    '/v1/docs/package.json',
    '/v1/docs/index.html',
    '/v1/docs/swagger-ui.css/x',
    '/v1/docs/toString',
  ])('answers 404 problem for %s', async (path) => {
    // Act
    const res = await call(gw, 'GET', path);

    // Assess
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
  });
});
