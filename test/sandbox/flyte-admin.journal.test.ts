import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FlyteAdminEmulator, startFlyteAdminEmulator } from '../../sandbox/flyte-admin/index.js';
import { call, createBody, EXECUTIONS, executionPath, manualClock } from './helpers/admin-client.js';

const clock = manualClock(Date.UTC(2026, 0, 15, 2, 0, 0));
let admin: FlyteAdminEmulator;

beforeAll(async () => {
  admin = await startFlyteAdminEmulator({ now: clock.now });
});
afterAll(() => admin.close());
beforeEach(() => admin.reset());

describe('request journal', () => {
  it('records method, raw path, decoded query, lower-cased headers, raw body, time and status', async () => {
    // Prepare
    const body = JSON.stringify(createBody('journal-1'));
    // Act
    await call(admin.url, 'POST', EXECUTIONS, { rawBody: body, headers: { 'X-Correlation-Id': 'corr-42' } });
    await call(
      admin.url,
      'GET',
      '/api/v1/executions/flytesnacks/development?limit=2&filters=eq(phase%2CRUNNING)',
    );
    // Assess
    const [create, list] = admin.requests;
    expect(create).toMatchObject({
      method: 'POST',
      path: '/api/v1/executions',
      query: {},
      body,
      at: Date.UTC(2026, 0, 15, 2, 0, 0),
      status: 200,
    });
    expect(create?.headers['x-correlation-id']).toBe('corr-42');
    expect(create?.headers['content-type']).toBe('application/json');
    expect(create?.headers.accept).toBe('application/json');
    expect(list).toMatchObject({
      method: 'GET',
      path: '/api/v1/executions/flytesnacks/development',
      query: { limit: '2', filters: 'eq(phase,RUNNING)' },
      body: '',
      status: 200,
    });
  });

  it('records rejected requests with their status (what reached the upstream, not only successes)', async () => {
    await call(admin.url, 'DELETE', executionPath('missing'), { body: { cause: 'x' } });
    await call(admin.url, 'GET', '/nowhere');
    expect(admin.requests.map((r) => [r.method, r.path, r.status, r.body])).toEqual([
      ['DELETE', '/api/v1/executions/flytesnacks/development/missing', 404, '{"cause":"x"}'],
      ['GET', '/nowhere', 404, ''],
    ]);
  });

  it('is readable and clearable over HTTP; control calls are not recorded', async () => {
    // Prepare
    await call(admin.url, 'GET', executionPath('a'));
    // Act
    const listed = await call(admin.url, 'GET', '/_emulator/requests');
    const cleared = await call(admin.url, 'DELETE', '/_emulator/requests');
    // Assess
    expect(listed.json.tokenRequests).toBe(0);
    expect(listed.json.requests).toHaveLength(1);
    expect(listed.json.requests[0]).toMatchObject({ method: 'GET', path: executionPath('a'), status: 404 });
    expect(cleared.json).toEqual({ requests: [], tokenRequests: 0 });
    expect(admin.requests).toEqual([]);
  });

  it('reset() and POST /_emulator/reset clear executions, faults and the journal', async () => {
    // Prepare
    await call(admin.url, 'POST', EXECUTIONS, { body: createBody('kept-until-reset') });
    admin.faults.latencyMs = 5;
    // Act
    const reset = await call(admin.url, 'POST', '/_emulator/reset');
    // Assess
    expect(reset.status).toBe(200);
    expect(admin.requests).toEqual([]);
    expect(admin.faults.latencyMs).toBe(0);
    expect((await call(admin.url, 'GET', executionPath('kept-until-reset'))).status).toBe(404);
  });

  it('unknown control paths are 404 and wrong methods 405, in plain JSON', async () => {
    const unknown = await call(admin.url, 'GET', '/_emulator/nothing');
    const method = await call(admin.url, 'POST', '/_emulator/requests');
    expect(unknown.status).toBe(404);
    expect(unknown.json).toEqual({ error: 'unknown emulator control endpoint /_emulator/nothing' });
    expect(method.status).toBe(405);
    expect(method.headers.get('allow')).toBe('GET, DELETE');
  });
});
