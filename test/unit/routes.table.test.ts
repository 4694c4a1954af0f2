import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { routeTable } from '../../src/app.js';
import { operations } from '../../src/catalog/index.js';
import { FALLBACK_NAME } from '../../src/http/fallback.js';
import { routeOf } from '../../src/http/operation-route.js';
import { ALL_METHODS } from '../../src/http/route.js';
import { createServices } from '../../src/services.js';
import { gatewayRequest, jsonOf, recordingSink, unitSettings } from '../helpers/unit-factories.js';

describe.each(operations.map((op) => ({ seed: op.operationId, op })))('the route for $seed', ({ op }) => {
  it('is named after the operation, on its contract path and method, behind a function key', () => {
    // Act
    const route = routeTable().find((r) => r.name === op.operationId);

    // Assess
    expect(route).toMatchObject({
      name: op.operationId,
      methods: [op.rest.method],
      route: op.rest.path.slice(1),
      authLevel: 'function',
    });
    expect(route?.route.startsWith('/')).toBe(false);
  });
});

describe('routeTable', () => {
  it('holds one route per operation, then health, the upload slot, batch cancellations, MCP and the fallback', () => {
    // Act
    const names = routeTable().map((r) => r.name);

    // Assess
    expect(names).toStrictEqual([
      ...operations.map((op) => op.operationId),
      'health',
      'uploadslot',
      'cancellations',
      'cancellationreport',
      'mcp',
      'openapi',
      'oauthprotectedresource',
      'docs',
      'docsasset',
      FALLBACK_NAME,
    ]);
    expect(new Set(names).size).toBe(names.length);
  });

  it('serves the seven Flyte operations', () => {
    // Act
    const names = routeTable()
      .filter((r) => r.authLevel === 'function' && r.route.startsWith('v1/api/'))
      .map((r) => `${r.methods.join(',')} ${r.route}`);

    // Assess
    expect(names).toStrictEqual([
      'POST v1/api/v1/executions',
      'POST v1/api/v1/executions/recover',
      'POST v1/api/v1/executions/relaunch',
      'GET v1/api/v1/executions/{id-project}/{id-domain}',
      'GET v1/api/v1/executions/{id-project}/{id-domain}/{id-name}',
      'DELETE v1/api/v1/executions/{id-project}/{id-domain}/{id-name}',
      'GET v1/api/v1/metrics/executions/{id-project}/{id-domain}/{id-name}',
    ]);
  });

  it('has an anonymous GET health route', () => {
    // Act
    const health = routeTable().find((r) => r.name === 'health');

    // Assess
    expect(health).toMatchObject({ methods: ['GET'], route: 'v1/health', authLevel: 'anonymous' });
  });

  it('ends with an anonymous catch-all fallback for every method', () => {
    // Act
    const fallback = routeTable().at(-1);

    // Assess
    expect(fallback).toMatchObject({
      name: FALLBACK_NAME,
      methods: ALL_METHODS,
      route: '{*path}',
      authLevel: 'anonymous',
    });
  });

  it('builds the table from the operations it is given', () => {
    // Prepare
    const [first] = operations;

    // Act
    const names = routeTable(first ? [first] : []).map((r) => r.name);

    // Assess
    expect(names).toStrictEqual([
      first?.operationId,
      'health',
      'uploadslot',
      'cancellations',
      'cancellationreport',
      'mcp',
      'openapi',
      'oauthprotectedresource',
      'docs',
      'docsasset',
      FALLBACK_NAME,
    ]);
  });
});

describe('routeOf', () => {
  it.each([
    { path: '/v1/api/v1/executions', expected: 'v1/api/v1/executions' },
    { path: 'v1/health', expected: 'v1/health' },
  ])('turns $path into $expected', ({ path, expected }) => {
    // Act
    const route = routeOf({ rest: { method: 'GET', path } });

    // Assess
    expect(route).toBe(expected);
  });
});

describe('the health route of a table built with its own runtime', () => {
  const services = createServices(unitSettings({ FLYTE_AUTH: 'api-key', FLYTE_API_KEY: 'k' }));

  beforeEach(() => {
    // The process settings have no Flyte endpoint, unlike the injected services.
    vi.stubEnv('FLYTE_ENDPOINT', '');
    vi.stubEnv('FLYTE_AUTH', '');
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    await services.close();
  });

  // Health reports the settings of the services its table was built with, not the process's
  // (getServices → process.env, here: flyte not configured, auth none).
  it('reports the settings of those services', async () => {
    // Prepare
    const health = routeTable(operations, () => services).find((r) => r.name === 'health');

    // Act
    const response = await health?.handler(gatewayRequest('/v1/health'), recordingSink());

    // Assess
    expect(response?.status).toBe(200);
    expect(response && (await jsonOf(response))).toMatchObject({
      upstreams: { flyte: { configured: true, auth: 'api-key' } },
    });
  });
});
