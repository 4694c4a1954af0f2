/**
 * Each of the seven Flyte operations over real HTTP, on both surfaces (local host and the
 * Functions registrations), against the emulator: what came back, and exactly what the
 * upstream received.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { call, type Gateway, SURFACES, startGateway } from '../helpers/gateway.js';
import { pollUntil } from '../helpers/poll.js';

const example = (file: string) => JSON.parse(readFileSync(join(__dirname, '../../examples', file), 'utf8'));
const EXECUTIONS = '/v1/api/v1/executions';
const ID = { project: 'flytesnacks', domain: 'development' };

describe.each(SURFACES)('Flyte operations via %s', (surface) => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startGateway({ surface });
  });
  afterAll(() => gw.close());
  beforeEach(() => gw.emulator.reset());

  const create = (name: string) =>
    call(gw, 'POST', EXECUTIONS, { ...example('create-execution.json'), name });
  const last = () => gw.emulator.requests.at(-1);

  it('createexecution: forwards the validated body and returns the upstream id unchanged', async () => {
    // Act
    const res = await call(gw, 'POST', EXECUTIONS, example('create-execution.json'), {
      'x-request-id': 'req-create-1',
    });
    // Assess
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.json()).toEqual({ id: { ...ID, name: 'nightly-etl-0001', org: '' } });
    expect(res.headers.get('x-request-id')).toBe('req-create-1');
    expect(gw.emulator.requests).toHaveLength(1);
    const sent = last();
    expect(sent?.method).toBe('POST');
    expect(sent?.path).toBe('/api/v1/executions');
    expect(sent?.headers.accept).toBe('application/json');
    expect(sent?.headers['content-type']).toBe('application/json');
    expect(sent?.headers['x-request-id']).toBe('req-create-1');
    expect(sent?.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    expect(JSON.parse(sent?.body ?? '')).toEqual(example('create-execution.json'));
  });

  it('getexecution: returns flyteadmin snake_case JSON and the execution reaches SUCCEEDED', async () => {
    // Prepare
    await create('get-me');
    // Act
    const done = await pollUntil(
      () => call(gw, 'GET', `${EXECUTIONS}/flytesnacks/development/get-me`),
      (r) => r.json().closure.phase === 'SUCCEEDED',
    );
    // Assess
    expect(done.status).toBe(200);
    const execution = done.json();
    expect(execution.id).toEqual({ ...ID, name: 'get-me', org: '' });
    expect(execution.spec.launch_plan).toMatchObject({ name: 'etl.pipeline.nightly', version: 'v42' });
    expect(execution.closure.started_at).toEqual(expect.any(String));
    expect(last()).toMatchObject({
      method: 'GET',
      path: '/api/v1/executions/flytesnacks/development/get-me',
    });
  });

  it('listexecutions: forwards limit, token, filters and sort_by, and pages with the upstream token', async () => {
    // Prepare
    for (const name of ['list-a', 'list-b', 'list-c']) await create(name);
    const query = new URLSearchParams({
      limit: '2',
      filters: 'value_in(phase,UNDEFINED;QUEUED;RUNNING;SUCCEEDED)',
      'sort_by.key': 'created_at',
      'sort_by.direction': 'ASCENDING',
    });
    // Act
    const first = await call(gw, 'GET', `${EXECUTIONS}/flytesnacks/development?${query}`);
    const sentFirst = last();
    query.set('token', first.json().token);
    const second = await call(gw, 'GET', `${EXECUTIONS}/flytesnacks/development?${query}`);
    // Assess
    expect(first.status).toBe(200);
    expect(first.json().executions.map((e: { id: { name: string } }) => e.id.name)).toEqual([
      'list-a',
      'list-b',
    ]);
    expect(first.json().token).toBe('2');
    expect(second.json().executions.map((e: { id: { name: string } }) => e.id.name)).toEqual(['list-c']);
    expect(second.json().token).toBe('');
    expect(sentFirst?.path).toBe('/api/v1/executions/flytesnacks/development');
    expect(sentFirst?.query).toEqual({
      limit: '2',
      filters: 'value_in(phase,UNDEFINED;QUEUED;RUNNING;SUCCEEDED)',
      'sort_by.key': 'created_at',
      'sort_by.direction': 'ASCENDING',
    });
    expect(last()?.query.token).toBe('2');
  });

  it('listexecutions: repairs a raw + between filters (decoded as a space) before forwarding', async () => {
    // Act
    const res = await call(
      gw,
      'GET',
      `${EXECUTIONS}/flytesnacks/development?limit=5&filters=ne(phase,FAILED)+ne(phase,ABORTED)`,
    );
    // Assess
    expect(res.status).toBe(200);
    expect(last()?.query.filters).toBe('ne(phase,FAILED)+ne(phase,ABORTED)');
  });

  it('listexecutions: sends the default limit when none is given', async () => {
    const res = await call(gw, 'GET', `${EXECUTIONS}/flytesnacks/development`);
    expect(res.status).toBe(200);
    expect(last()?.query).toEqual({ limit: '100' });
  });

  it('terminateexecution: sends DELETE with the cause in the body; the run goes ABORTING then ABORTED', async () => {
    // Prepare
    await create('stop-me');
    // Act
    const res = await call(gw, 'DELETE', `${EXECUTIONS}/flytesnacks/development/stop-me`, {
      cause: 'cancelled by ops',
    });
    // Assess
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({});
    expect(last()?.method).toBe('DELETE');
    expect(last()?.path).toBe('/api/v1/executions/flytesnacks/development/stop-me');
    expect(JSON.parse(last()?.body ?? '')).toEqual({ cause: 'cancelled by ops' });
    const aborted = await pollUntil(
      () => call(gw, 'GET', `${EXECUTIONS}/flytesnacks/development/stop-me`),
      (r) => r.json().closure.phase === 'ABORTED',
    );
    expect(aborted.json().closure.abort_metadata.cause).toBe('cancelled by ops');
  });

  it('terminateexecution: an empty body is accepted and sent as an empty cause', async () => {
    await create('stop-quietly');
    const res = await call(gw, 'DELETE', `${EXECUTIONS}/flytesnacks/development/stop-quietly`);
    expect(res.status).toBe(200);
    expect(JSON.parse(last()?.body ?? '')).toEqual({ cause: '' });
  });

  it('getexecutionmetrics: forwards depth and returns the span tree', async () => {
    await create('measure-me');
    const res = await call(
      gw,
      'GET',
      `/v1/api/v1/metrics/executions/flytesnacks/development/measure-me?depth=2`,
    );
    expect(res.status).toBe(200);
    expect(res.json().span.workflow_id).toEqual({ ...ID, name: 'measure-me', org: '' });
    expect(Array.isArray(res.json().span.spans)).toBe(true);
    expect(last()).toMatchObject({
      path: '/api/v1/metrics/executions/flytesnacks/development/measure-me',
      query: { depth: '2' },
    });
  });

  it.each([
    ['recoverexecution', 'recover', 'recover-execution.json', 'RECOVERED'],
    ['relaunchexecution', 'relaunch', 'relaunch-execution.json', 'RELAUNCH'],
  ])('%s: forwards the body and the new execution references the source', async (_name, path, file, mode) => {
    // Prepare
    await create('nightly-etl-0001');
    const body = example(file);
    // Act
    const res = await call(gw, 'POST', `${EXECUTIONS}/${path}`, body);
    // Assess
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ id: { ...ID, name: body.name, org: '' } });
    expect(last()?.path).toBe(`/api/v1/executions/${path}`);
    expect(JSON.parse(last()?.body ?? '')).toEqual(body);
    const created = await call(gw, 'GET', `${EXECUTIONS}/flytesnacks/development/${body.name}`);
    expect(created.json().spec.metadata.mode).toBe(mode);
    expect(created.json().spec.metadata.reference_execution).toMatchObject({
      ...ID,
      name: 'nightly-etl-0001',
    });
  });

  it('never forwards caller credentials, cookies or function keys', async () => {
    // Act (unknown query parameters are refused: test/integration/query-params.test.ts)
    const res = await call(
      gw,
      'GET',
      `${EXECUTIONS}/flytesnacks/development?limit=1&code=fn-key-123`,
      undefined,
      {
        authorization: 'Bearer caller-token',
        cookie: 'session=abc',
        'x-functions-key': 'fn-key-456',
        'x-ms-client-principal': 'e30=',
      },
    );
    // Assess
    expect(res.status).toBe(200);
    const sent = last();
    expect(sent?.query).toEqual({ limit: '1' });
    expect(sent?.headers.authorization).toBeUndefined();
    expect(sent?.headers.cookie).toBeUndefined();
    expect(sent?.headers['x-functions-key']).toBeUndefined();
    expect(sent?.headers['x-ms-client-principal']).toBeUndefined();
  });

  it('keeps the caller trace id on the upstream hop with a new parent id, and returns it', async () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const res = await call(gw, 'GET', `${EXECUTIONS}/flytesnacks/development?limit=1`, undefined, {
      traceparent,
    });
    const sent = last()?.headers.traceparent ?? '';
    expect(sent).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
    expect(sent).not.toBe(traceparent);
    expect(res.headers.get('traceparent')).toBe(sent);
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('health: 200 with the package version and the configured upstreams, naming no endpoint', async () => {
    const res = await call(gw, 'GET', '/v1/health');
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({
      status: 'ok',
      version: JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')).version,
      upstreams: {
        flyte: { configured: true, auth: 'none' },
        azureml: { configured: false, auth: 'managed-identity' },
        storage: { configured: false },
      },
    });
    expect(res.text).not.toContain(gw.emulator.url);
    expect(gw.emulator.requests).toEqual([]);
  });
});
