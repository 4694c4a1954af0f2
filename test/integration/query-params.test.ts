/**
 * Query strings never change what a retry does: the host's `code` (a function key) is taken on
 * every route and never read as input; any other parameter a route does not know is refused
 * with 400 naming it, reaching no upstream; on the Azure ML routes `runId` is read in any case,
 * as the Execution Service reads it, so a retry spelt `?runid=` is refused as a duplicate
 * instead of starting a second run; and one name with two values is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routeTable } from '../../src/app.js';
import { FALLBACK_NAME } from '../../src/http/fallback.js';
import { buildZip, example, experimentPath, postForm, startRunForm } from '../helpers/azureml-requests.js';
import { call, type Gateway, SURFACES, startGateway } from '../helpers/gateway.js';

const EXECUTIONS = '/v1/api/v1/executions';
const EXP = experimentPath();
const BATCH = '00000000-0000-4000-8000-000000000000';
/** The execution the first case creates; recover and relaunch name it. */
const CREATED = { project: 'flytesnacks', domain: 'development', name: 'qp-create' };
const MCP_HEADERS = { accept: 'application/json, text/event-stream' };

interface RouteCase {
  name: string;
  method: string;
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** A startrun: the body is a fresh multipart form. */
  form?: true;
  /** What the route answers this request with. */
  status: number;
}

/** One request per route of the table, each valid as it stands. */
const ROUTES: RouteCase[] = [
  {
    name: 'createexecution',
    method: 'POST',
    path: EXECUTIONS,
    body: { ...example('create-execution.json'), name: 'qp-create' },
    status: 200,
  },
  {
    name: 'recoverexecution',
    method: 'POST',
    path: `${EXECUTIONS}/recover`,
    body: { ...example('recover-execution.json'), id: CREATED, name: 'qp-recover' },
    status: 200,
  },
  {
    name: 'relaunchexecution',
    method: 'POST',
    path: `${EXECUTIONS}/relaunch`,
    body: { ...example('relaunch-execution.json'), id: CREATED, name: 'qp-relaunch' },
    status: 200,
  },
  {
    name: 'listexecutions',
    method: 'GET',
    path: `${EXECUTIONS}/flytesnacks/development?limit=2`,
    status: 200,
  },
  {
    name: 'getexecution',
    method: 'GET',
    path: `${EXECUTIONS}/flytesnacks/development/qp-create`,
    status: 200,
  },
  {
    name: 'getexecutionmetrics',
    method: 'GET',
    path: '/v1/api/v1/metrics/executions/flytesnacks/development/qp-create?depth=1',
    status: 200,
  },
  {
    name: 'terminateexecution',
    method: 'DELETE',
    path: `${EXECUTIONS}/flytesnacks/development/qp-create`,
    body: { cause: 'query-params test' },
    status: 200,
  },
  {
    name: 'microsoftazurerunsstartrun',
    method: 'POST',
    path: `${EXP}/startrun?runId=qp-start`,
    form: true,
    status: 200,
  },
  {
    name: 'microsoftazurerunsstartsnapshotrun',
    method: 'POST',
    path: `${EXP}/snapshotrun?runId=qp-snapshot`,
    body: example('snapshot-run-definition.json'),
    status: 200,
  },
  {
    name: 'microsoftazurerunsstartlocalrun',
    method: 'POST',
    path: `${EXP}/startlocalrun?runId=qp-local`,
    body: example('local-run-definition.json'),
    status: 200,
  },
  {
    name: 'microsoftazurerunscancelrunwithuri',
    method: 'POST',
    path: `${EXP}/runid/qp-snapshot/cancel`,
    status: 200,
  },
  { name: 'health', method: 'GET', path: '/v1/health', status: 200 },
  { name: 'uploadslot', method: 'POST', path: '/v1/uploads', status: 201 },
  {
    name: 'cancellations',
    method: 'POST',
    path: '/v1/cancellations',
    body: { targets: [{ kind: 'flyte', project: 'flytesnacks', domain: 'development', name: 'qp-gone' }] },
    status: 202,
  },
  { name: 'cancellationreport', method: 'GET', path: `/v1/cancellations/${BATCH}?limit=5`, status: 404 },
  {
    name: 'mcp',
    method: 'POST',
    path: '/mcp',
    body: { jsonrpc: '2.0', id: 1, method: 'tools/list' },
    headers: MCP_HEADERS,
    status: 200,
  },
  { name: 'openapi', method: 'GET', path: '/v1/openapi.json', status: 200 },
  { name: 'docs', method: 'GET', path: '/v1/docs', status: 200 },
  { name: 'docsasset', method: 'GET', path: '/v1/docs/swagger-ui.css', status: 200 },
  {
    name: 'oauthprotectedresource',
    method: 'GET',
    path: '/.well-known/oauth-protected-resource',
    status: 404, // served under AUTH_MODE=entra only
  },
];

const withQuery = (path: string, extra: string) => `${path}${path.includes('?') ? '&' : '?'}${extra}`;

async function send(gw: Gateway, route: RouteCase, path: string) {
  if (route.form) {
    const form = startRunForm(
      example('local-run-definition.json'),
      buildZip([{ name: 'train.py', data: 'print(1)\n' }]),
    );
    return postForm(gw, path, form);
  }
  return call(gw, route.method, path, route.body, route.headers);
}

/** Everything either upstream has received so far. */
const received = (gw: Gateway) => gw.emulator.requests.length + (gw.azureml?.requests.length ?? 0);

it('the cases cover every route of the table but the catch-all', () => {
  const names = routeTable()
    .filter((r) => r.name !== FALLBACK_NAME && !r.dropIn)
    .map((r) => r.name)
    .sort();
  expect(ROUTES.map((r) => r.name).sort()).toStrictEqual(names);
});

describe.each(SURFACES)('query parameters (%s)', (surface) => {
  let gw: Gateway;

  beforeAll(async () => {
    // Executions stay running through the suite, so terminating one is a 200.
    gw = await startGateway({
      surface,
      azureml: true,
      cancellations: true,
      emulator: { phaseDelaysMs: { queued: 600_000, running: 600_000 } },
    });
  }, 60_000);
  afterAll(() => gw?.close());

  it.each(ROUTES)(
    '$name takes the function key in ?code= (any case) and answers as without it',
    async (route) => {
      // Act
      const res = await send(gw, route, withQuery(route.path, 'code=some-function-key'));

      // Assess
      expect(res.status, res.text).toBe(route.status);
      for (const sent of [...gw.emulator.requests, ...(gw.azureml?.requests ?? [])]) {
        expect(Object.keys(sent.query).map((k) => k.toLowerCase())).not.toContain('code');
      }
    },
  );

  it.each(ROUTES)(
    '$name refuses an unknown parameter with 400 naming it, and calls no upstream',
    async (route) => {
      // Prepare
      const before = received(gw);

      // Act
      const res = await send(gw, route, withQuery(route.path, 'run_id=qp-1&Code=k'));

      // Assess
      expect(res.status, res.text).toBe(400);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      const problem = res.json();
      expect(problem.type).toBe('/problems/validation-failed');
      expect(problem.errors).toContainEqual({ path: 'query.run_id', message: 'is not a known field' });
      expect(received(gw)).toBe(before);
    },
  );

  it.each(['runid', 'RUNID', 'runId', 'RunId'])(
    'reads ?%s= as the run id: a retry with the same id in another spelling is refused as a duplicate',
    async (spelling) => {
      // Prepare
      const runId = `qp-${[...spelling].map((c) => (c === c.toUpperCase() ? 'u' : 'l')).join('')}-${surface}`;
      const start = (name: string) =>
        call(gw, 'POST', `${EXP}/snapshotrun?${name}=${runId}`, example('snapshot-run-definition.json'));

      // Act
      const first = await start(spelling);
      const retry = await start(spelling === 'runId' ? 'runid' : 'runId');

      // Assess: one run, started with the caller's id; the retry reached the service with the same id.
      expect(first.status, first.text).toBe(200);
      expect(first.json().runId).toBe(runId);
      expect(retry.status, retry.text).toBe(409);
      expect(retry.json()).toMatchObject({ runId, upstream: { status: 409 } });
      const sent = (gw.azureml?.requests ?? []).filter(
        (r) => r.path.endsWith('/snapshotrun') && r.query.runId === runId,
      );
      expect(sent.map((r) => r.status)).toStrictEqual([200, 409]);
    },
  );

  it('reads ?runid= on a multipart startrun too', async () => {
    // Act
    const form = startRunForm(
      example('local-run-definition.json'),
      buildZip([{ name: 'a.py', data: '1\n' }]),
    );
    const res = await postForm(gw, `${EXP}/startrun?runid=qp-multipart-${surface}`, form);

    // Assess
    expect(res.status, res.text).toBe(200);
    const sent = gw.azureml?.requests.at(-1);
    expect(sent?.path.endsWith('/startrun')).toBe(true);
    expect(sent?.query).toStrictEqual({ runId: `qp-multipart-${surface}` });
  });

  it.each([
    { name: 'two spellings with different values', query: 'runId=qp-a&runid=qp-b', path: 'query.runId' },
    { name: 'one name twice with different values', query: 'runId=qp-a&runId=qp-b', path: 'query.runId' },
  ])('refuses $name with 400, calling no upstream', async ({ query, path }) => {
    // Prepare
    const before = received(gw);

    // Act
    const res = await call(
      gw,
      'POST',
      `${EXP}/snapshotrun?${query}`,
      example('snapshot-run-definition.json'),
    );

    // Assess
    expect(res.status, res.text).toBe(400);
    expect(res.json().errors.map((e: { path: string }) => e.path)).toStrictEqual([path]);
    expect(received(gw)).toBe(before);
  });

  it('takes one name given twice with the same value', async () => {
    // Act
    const res = await call(
      gw,
      'POST',
      `${EXP}/snapshotrun?runId=qp-same-${surface}&RUNID=qp-same-${surface}`,
      example('snapshot-run-definition.json'),
    );

    // Assess
    expect(res.status, res.text).toBe(200);
    expect(gw.azureml?.requests.at(-1)?.query).toStrictEqual({ runId: `qp-same-${surface}` });
  });

  it("matches Flyte's query names exactly, as flyteadmin's gateway does", async () => {
    // Prepare
    const before = received(gw);

    // Act
    const res = await call(gw, 'GET', `${EXECUTIONS}/flytesnacks/development?LIMIT=5`);

    // Assess
    expect(res.status, res.text).toBe(400);
    expect(res.json().errors).toStrictEqual([{ path: 'query.LIMIT', message: 'is not a known field' }]);
    expect(received(gw)).toBe(before);
  });
});
