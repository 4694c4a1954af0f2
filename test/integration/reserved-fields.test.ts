/**
 * A query parameter or top-level JSON body field named `headers` or `query` (any case) is
 * refused on every surface: under the real host it displaces the trigger's own Headers entry,
 * and the function would get empty or caller-made headers (docs/functions-host.md 3.4). The
 * Functions surface imitates that displacement; nothing reaches an upstream.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { example } from '../helpers/azureml-requests.js';
import { call, type Gateway, SURFACES, startGateway } from '../helpers/gateway.js';

const EXECUTIONS = '/v1/api/v1/executions';

describe.each(SURFACES)('reserved names on %s', (surface) => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startGateway({ surface });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it.each([
    {
      title: '?headers=1 on create',
      method: 'POST',
      path: `${EXECUTIONS}?headers=1`,
      field: 'query.headers',
    },
    {
      title: '?Headers={…} on health',
      method: 'GET',
      path: `/v1/health?Headers=${encodeURIComponent('{"x-request-id":"spoofed"}')}`,
      field: 'query.Headers',
    },
    {
      title: '?Query=x on list',
      method: 'GET',
      path: `${EXECUTIONS}/flytesnacks/development?Query=x`,
      field: 'query.Query',
    },
    {
      title: 'a body field "headers"',
      method: 'POST',
      path: EXECUTIONS,
      extra: { headers: 'x' },
      field: 'body.headers',
    },
    {
      title: 'a body field "Headers" holding headers',
      method: 'POST',
      path: EXECUTIONS,
      extra: { Headers: { 'x-request-id': 'spoofed' } },
      field: 'body.Headers',
    },
  ])('$title: 400 naming $field, nothing upstream', async ({ method, path, extra, field }) => {
    // Prepare
    const body = method === 'POST' ? { ...example('create-execution.json'), ...extra } : undefined;

    // Act
    const res = await call(gw, method, path, body, { 'x-request-id': 'reserved-1' });

    // Assess
    expect(res.status, res.text).toBe(400);
    expect(res.json()).toMatchObject({
      type: '/problems/validation-failed',
      errors: [
        { path: field, message: "is reserved: the Functions host would take it for the request's headers" },
      ],
    });
    expect(gw.emulator.requests).toHaveLength(0);
  });
});
