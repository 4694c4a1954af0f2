import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FlyteAdminEmulator, startFlyteAdminEmulator } from '../../sandbox/flyte-admin/index.js';
import { call, createBody, EXECUTIONS, executionPath } from './helpers/admin-client.js';

let admin: FlyteAdminEmulator;
beforeAll(async () => {
  admin = await startFlyteAdminEmulator();
});
afterAll(() => admin.close());

describe('gateway routing errors', () => {
  it.each([
    ['GET', '/'],
    ['GET', '/api/v1/projects'],
    ['GET', '/api/v1/executions/flytesnacks/development/run/extra'],
    ['DELETE', '/api/v1/metrics/executions/flytesnacks/development'],
  ])('%s %s is 404 code 5 Not Found', async (method, path) => {
    const res = await call(admin.url, method, path);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.json).toEqual({ code: 5, message: 'Not Found', details: [] });
  });

  it.each([
    ['GET', EXECUTIONS],
    ['PUT', EXECUTIONS],
    ['GET', `${EXECUTIONS}/recover`],
    ['POST', '/api/v1/executions/flytesnacks/development'],
    ['PUT', executionPath('some-run')],
    ['DELETE', '/api/v1/metrics/executions/flytesnacks/development/some-run'],
  ])('%s %s (known path, wrong method) is 501 code 12', async (method, path) => {
    const res = await call(admin.url, method, path);
    expect(res.status).toBe(501);
    expect(res.json).toEqual({ code: 12, message: 'Method Not Allowed', details: [] });
  });

  it('a "recover"-looking project on a GET is just a list of that project', async () => {
    const res = await call(admin.url, 'GET', '/api/v1/executions/recover/development?limit=1');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ executions: [], token: '' });
  });

  it('binary protobuf is declined with 501 code 12', async () => {
    const res = await call(admin.url, 'GET', executionPath('x'), { accept: 'application/octet-stream' });
    expect(res.status).toBe(501);
    expect(res.json.code).toBe(12);
  });

  it('marshaler choice: exact Accept match only; otherwise the request Content-Type decides', async () => {
    // Prepare
    await call(admin.url, 'POST', EXECUTIONS, { body: createBody('marshal-1') });
    admin.seed({ name: 'marshal-done', phase: 'SUCCEEDED' });
    // Act
    const axiosLike = await call(admin.url, 'GET', executionPath('marshal-1'), {
      accept: 'application/json, text/plain, */*',
    });
    const none = await call(admin.url, 'GET', executionPath('marshal-1'), { accept: null });
    const byContentType = await call(admin.url, 'DELETE', executionPath('marshal-done'), {
      body: { cause: 'x' },
      accept: '*/*',
      contentType: 'Application/JSON; charset=utf-8',
    });
    // Assess
    expect(Object.keys(axiosLike.json.spec)).toContain('launchPlan');
    expect(Object.keys(none.json.spec)).toContain('launchPlan');
    expect(byContentType.status).toBe(400);
    expect(byContentType.json.details[0].already_in_terminal_state).toEqual({ current_phase: 'SUCCEEDED' });
  });
});
