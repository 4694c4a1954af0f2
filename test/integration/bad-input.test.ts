/**
 * Every class of bad input gets a problem+json answer naming what is wrong, and reaches no
 * upstream: after each case the emulator's request journal is still empty.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createBody, EXECUTIONS, launchPlan } from '../helpers/flyte-requests.js';
import { call, type Gateway, SURFACES, startGateway } from '../helpers/gateway.js';

const validCreate = createBody('ok-run');

interface Case {
  title: string;
  method: string;
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  status: number;
  type: string;
  /** A field error path the answer must name. */
  field?: string;
}

const cases: Case[] = [
  { title: 'unknown route', method: 'GET', path: '/v1/api/v1/nothing-here', status: 404, type: 'not-found' },
  {
    title: 'unknown method on a known path',
    method: 'PUT',
    path: EXECUTIONS,
    body: {},
    status: 405,
    type: 'method-not-allowed',
  },
  {
    title: 'GET on recover',
    method: 'GET',
    path: `${EXECUTIONS}/recover`,
    status: 405,
    type: 'method-not-allowed',
  },
  {
    title: 'malformed JSON',
    method: 'POST',
    path: EXECUTIONS,
    body: '{"project": "flytesnacks",',
    status: 400,
    type: 'malformed-json',
  },
  {
    title: 'non-JSON content type',
    method: 'POST',
    path: EXECUTIONS,
    body: 'project=flytesnacks',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    status: 415,
    type: 'unsupported-media-type',
  },
  {
    title: 'empty body on create',
    method: 'POST',
    path: EXECUTIONS,
    status: 400,
    type: 'validation-failed',
    field: 'body',
  },
  {
    title: 'missing required field',
    method: 'POST',
    path: EXECUTIONS,
    body: { ...validCreate, project: undefined },
    status: 400,
    type: 'validation-failed',
    field: 'body.project',
  },
  {
    title: 'mistyped field',
    method: 'POST',
    path: EXECUTIONS,
    body: { ...validCreate, domain: 42 },
    status: 400,
    type: 'validation-failed',
    field: 'body.domain',
  },
  {
    title: 'missing launch plan version',
    method: 'POST',
    path: EXECUTIONS,
    body: { ...validCreate, spec: { launch_plan: { ...launchPlan, version: undefined } } },
    status: 400,
    type: 'validation-failed',
    field: 'body.spec.launch_plan.version',
  },
  {
    title: 'unknown top-level field',
    method: 'POST',
    path: EXECUTIONS,
    body: { ...validCreate, colour: 'blue' },
    status: 400,
    type: 'validation-failed',
    field: 'body.colour',
  },
  {
    title: 'upper-case execution name',
    method: 'POST',
    path: EXECUTIONS,
    body: { ...validCreate, name: 'MyRun' },
    status: 400,
    type: 'validation-failed',
    field: 'body.name',
  },
  {
    title: 'over-long execution name',
    method: 'POST',
    path: EXECUTIONS,
    body: { ...validCreate, name: `a${'b'.repeat(63)}` },
    status: 400,
    type: 'validation-failed',
    field: 'body.name',
  },
  {
    title: 'over-long project',
    method: 'GET',
    path: `${EXECUTIONS}/${'p'.repeat(64)}/development`,
    status: 400,
    type: 'validation-failed',
    field: 'params.id-project',
  },
  {
    title: 'path traversal with encoded slashes',
    method: 'GET',
    path: `${EXECUTIONS}/flytesnacks/development/..%2F..%2Fetc`,
    status: 400,
    type: 'validation-failed',
    field: 'params.id-name',
  },
  {
    title: 'dot-dot segment as a name',
    method: 'GET',
    path: `${EXECUTIONS}/flytesnacks/development/..%2E`,
    status: 400,
    type: 'validation-failed',
    field: 'params.id-name',
  },
  {
    title: 'control character in a name',
    method: 'DELETE',
    path: `${EXECUTIONS}/flytesnacks/development/run%0Aone`,
    status: 400,
    type: 'validation-failed',
    field: 'params.id-name',
  },
  {
    title: 'NUL in a domain',
    method: 'GET',
    path: `${EXECUTIONS}/flytesnacks/dev%00elopment/run`,
    status: 400,
    type: 'validation-failed',
    field: 'params.id-domain',
  },
  {
    title: 'project outside FLYTE_PROJECTS (create)',
    method: 'POST',
    path: EXECUTIONS,
    body: {
      ...validCreate,
      project: 'secret-project',
      spec: { launch_plan: { ...launchPlan, project: 'secret-project' } },
    },
    status: 403,
    type: 'forbidden',
  },
  {
    title: 'launch plan from a project outside FLYTE_PROJECTS',
    method: 'POST',
    path: EXECUTIONS,
    body: { ...validCreate, spec: { launch_plan: { ...launchPlan, project: 'secret-project' } } },
    status: 403,
    type: 'forbidden',
  },
  {
    title: 'project outside FLYTE_PROJECTS (list)',
    method: 'GET',
    path: `${EXECUTIONS}/other/development?limit=1`,
    status: 403,
    type: 'forbidden',
  },
  {
    title: 'project outside FLYTE_PROJECTS (get)',
    method: 'GET',
    path: `${EXECUTIONS}/other/development/run`,
    status: 403,
    type: 'forbidden',
  },
  {
    title: 'project outside FLYTE_PROJECTS (terminate)',
    method: 'DELETE',
    path: `${EXECUTIONS}/other/development/run`,
    status: 403,
    type: 'forbidden',
  },
  {
    title: 'project outside FLYTE_PROJECTS (metrics)',
    method: 'GET',
    path: `/v1/api/v1/metrics/executions/other/development/run`,
    status: 403,
    type: 'forbidden',
  },
  {
    title: 'project outside FLYTE_PROJECTS (recover)',
    method: 'POST',
    path: `${EXECUTIONS}/recover`,
    body: { id: { project: 'other', domain: 'development', name: 'run' } },
    status: 403,
    type: 'forbidden',
  },
  {
    title: 'project outside FLYTE_PROJECTS (relaunch)',
    method: 'POST',
    path: `${EXECUTIONS}/relaunch`,
    body: { id: { project: 'other', domain: 'development', name: 'run' } },
    status: 403,
    type: 'forbidden',
  },
  ...['0', '-1', '1.5', 'ten', '1001', ''].map((limit) => ({
    title: `limit=${JSON.stringify(limit)}`,
    method: 'GET',
    path: `${EXECUTIONS}/flytesnacks/development?limit=${limit}`,
    status: 400,
    type: 'validation-failed',
    field: 'query.limit',
  })),
  {
    title: 'non-numeric paging token',
    method: 'GET',
    path: `${EXECUTIONS}/flytesnacks/development?limit=1&token=abc`,
    status: 400,
    type: 'validation-failed',
    field: 'query.token',
  },
  {
    title: 'unknown filter function',
    method: 'GET',
    path: `${EXECUTIONS}/flytesnacks/development?limit=1&filters=${encodeURIComponent('drop(phase,RUNNING)')}`,
    status: 400,
    type: 'validation-failed',
    field: 'query.filters',
  },
  {
    title: 'sort direction without a key',
    method: 'GET',
    path: `${EXECUTIONS}/flytesnacks/development?limit=1&sort_by.direction=ASCENDING`,
    status: 400,
    type: 'validation-failed',
    field: 'query.sort_by.key',
  },
  {
    title: 'metrics depth above the cap',
    method: 'GET',
    path: `/v1/api/v1/metrics/executions/flytesnacks/development/run?depth=11`,
    status: 400,
    type: 'validation-failed',
    field: 'query.depth',
  },
  {
    title: 'terminate cause of the wrong type',
    method: 'DELETE',
    path: `${EXECUTIONS}/flytesnacks/development/run`,
    body: { cause: 7 },
    status: 400,
    type: 'validation-failed',
    field: 'body.cause',
  },
];

describe.each(SURFACES)('bad input via %s', (surface) => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startGateway({ surface, env: { MAX_JSON_BODY_BYTES: '2048' } });
  });
  afterAll(() => gw.close());
  beforeEach(() => gw.emulator.reset());

  it.each(cases)('$title → $status $type', async ({ method, path, body, headers, status, type, field }) => {
    // Act
    const res = await call(gw, method, path, body, headers);
    // Assess
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const problem = res.json();
    expect(problem).toMatchObject({ type: `/problems/${type}`, status });
    expect(problem.detail).toEqual(expect.any(String));
    expect(problem.correlationId).toBe(res.headers.get('x-request-id'));
    if (field) expect(problem.errors.map((e: { path: string }) => e.path)).toContain(field);
    expect(res.text).not.toMatch(/\bat .+\.(ts|js):\d+/); // no stack trace
    expect(gw.emulator.requests).toEqual([]);
  });

  it('405 names the allowed methods in Allow', async () => {
    const res = await call(gw, 'PATCH', `${EXECUTIONS}/flytesnacks/development/run`, {});
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')?.split(', ').sort()).toEqual(['DELETE', 'GET']);
  });

  it('413 for a body over MAX_JSON_BODY_BYTES that declares its length', async () => {
    const res = await call(gw, 'POST', EXECUTIONS, { ...validCreate, pad: 'x'.repeat(4096) });
    expect(res.status).toBe(413);
    expect(res.json().type).toBe('/problems/payload-too-large');
    expect(gw.emulator.requests).toEqual([]);
  });

  it('413 for a chunked body over the cap (bytes counted as they stream, no Content-Length)', async () => {
    // Prepare: a streamed body has no Content-Length, so only counting can catch it.
    const chunk = new TextEncoder().encode(`"${'x'.repeat(1000)}",`);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 0) controller.enqueue(new TextEncoder().encode('['));
        if (sent++ < 10) controller.enqueue(chunk);
        else controller.close();
      },
    });
    // Act
    const response = await fetch(`${gw.url}${EXECUTIONS}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit);
    // Assess
    expect(response.status).toBe(413);
    expect(((await response.json()) as { type: string }).type).toBe('/problems/payload-too-large');
    expect(gw.emulator.requests).toEqual([]);
  });

  it('reports errors in params, query and body together', async () => {
    const res = await call(gw, 'DELETE', `${EXECUTIONS}/Flytesnacks/development/BAD`, { cause: 1 });
    expect(res.status).toBe(400);
    expect(
      res
        .json()
        .errors.map((e: { path: string }) => e.path)
        .sort(),
    ).toEqual(['body.cause', 'params.id-name', 'params.id-project']);
  });
});
