/**
 * DROP_IN_ROUTES=true: every operation is served on its upstream's own path too —
 * `/execution/v1.0/subscriptions/.../startrun` in the Execution Service's casing, flyteadmin's
 * `/api/v1/executions...` — through the same pipeline: the upstream receives the same call as
 * through the gateway's own route, the allow-lists, query rule and Entra ID roles apply, and
 * the OpenAPI document does not list them. Off (the default), those paths are 404.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedRequest } from '../../sandbox/common/journal.js';
import { routeTable } from '../../src/app.js';
import { loadSettings } from '../../src/config.js';
import { findShadowing, hostRouteOf } from '../../src/http/host-routing.js';
import { createServices } from '../../src/services.js';
import { withPrefix } from '../../src/shared/host-json.js';
import {
  buildZip,
  example,
  experimentPath,
  postForm,
  startRunForm,
  upstreamExperimentPath,
} from '../helpers/azureml-requests.js';
import { call, type Gateway, SURFACES, startGateway } from '../helpers/gateway.js';
import { startTestIssuer, type TestIssuer } from '../helpers/test-issuer.js';

const ON = { DROP_IN_ROUTES: 'true' };
/** Executions stay running through a suite, so terminating one is a 200. */
const SLOW_PHASES = { phaseDelaysMs: { queued: 600_000, running: 600_000 } };
const UPSTREAM_EXP = upstreamExperimentPath();
const GATEWAY_EXP = experimentPath();
/** The same experiment as an Execution Service client spells it, in another case to show matching ignores it. */
const DROP_IN_EXP = UPSTREAM_EXP;

/** What the upstream received, without what differs between two calls anyway. */
const sameCall = (r: RecordedRequest | undefined) => ({
  method: r?.method,
  path: r?.path,
  query: r?.query,
  body: r?.body,
  contentType: r?.headers['content-type'],
});

it('adds one dropin-<operationId> route per operation, and no route hides another in the host order', () => {
  const services = createServices(loadSettings(ON));
  const table = routeTable(undefined, () => services);
  const dropIns = table.filter((r) => r.dropIn);
  expect(dropIns.map((r) => r.name).sort()).toStrictEqual(
    table
      .filter((r) => r.operation && !r.dropIn)
      .map((r) => `dropin-${r.name}`)
      .sort(),
  );
  expect(findShadowing(table.map((r) => hostRouteOf(r.name, r.methods, withPrefix(r.route))))).toStrictEqual(
    [],
  );
});

describe.each(SURFACES)('drop-in upstream paths, DROP_IN_ROUTES=true (%s)', (surface) => {
  let gw: Gateway;

  beforeAll(async () => {
    gw = await startGateway({ surface, azureml: true, env: ON, emulator: SLOW_PHASES });
    gw.emulator.seed({ project: 'flytesnacks', domain: 'development', name: 'di-run', phase: 'RUNNING' });
  }, 60_000);
  afterAll(() => gw?.close());

  /** Calls `gatewayPath` and then `dropInPath`; the Flyte emulator must have received the same call twice. */
  async function flyteSame(method: string, gatewayPath: string, dropInPath: string, body?: unknown) {
    const viaGateway = await call(gw, method, gatewayPath, body);
    const first = gw.emulator.requests.at(-1);
    const viaDropIn = await call(gw, method, dropInPath, body);
    const second = gw.emulator.requests.at(-1);
    expect(viaDropIn.status, viaDropIn.text).toBe(viaGateway.status);
    expect(second).not.toBe(first);
    expect(sameCall(second)).toStrictEqual(sameCall(first));
    return viaDropIn;
  }

  it.each([
    ['listexecutions', 'GET', 'api/v1/executions/flytesnacks/development?limit=2&sort_by.key=created_at'],
    ['getexecution', 'GET', 'api/v1/executions/flytesnacks/development/di-run'],
    ['getexecutionmetrics', 'GET', 'api/v1/metrics/executions/flytesnacks/development/di-run?depth=2'],
  ])('Flyte %s: %s /%s reaches flyteadmin as through /v1/…', async (_name, method, path) => {
    const res = await flyteSame(method, `/v1/${path}`, `/${path}`);
    expect(res.status, res.text).toBe(200);
  });

  it('Flyte create, recover, relaunch and terminate on /api/v1/executions…', async () => {
    // create: the same body under two names, so both succeed.
    const create = (name: string) => ({ ...example('create-execution.json'), name });
    const a = await call(gw, 'POST', '/v1/api/v1/executions', create('di-create-a'));
    const viaGateway = gw.emulator.requests.at(-1);
    const b = await call(gw, 'POST', '/api/v1/executions', create('di-create-b'));
    const viaDropIn = gw.emulator.requests.at(-1);
    expect([a.status, b.status]).toStrictEqual([200, 200]);
    expect(b.json()).toMatchObject({ id: { name: 'di-create-b' } });
    expect(viaDropIn?.path).toBe(viaGateway?.path);
    expect(JSON.parse(viaDropIn?.body ?? '')).toStrictEqual(create('di-create-b'));

    const id = { project: 'flytesnacks', domain: 'development', name: 'di-create-a' };
    for (const [path, body] of [
      ['/api/v1/executions/recover', { id, name: 'di-recovered' }],
      ['/api/v1/executions/relaunch', { id, name: 'di-relaunched' }],
    ] as const) {
      const res = await call(gw, 'POST', path, body);
      expect(res.status, res.text).toBe(200);
      expect(gw.emulator.requests.at(-1)).toMatchObject({ method: 'POST', path });
      expect(JSON.parse(gw.emulator.requests.at(-1)?.body ?? '')).toStrictEqual(body);
    }

    const terminate = await call(gw, 'DELETE', '/api/v1/executions/flytesnacks/development/di-create-b', {
      cause: 'drop-in',
    });
    expect(terminate.status, terminate.text).toBe(200);
    expect(gw.emulator.requests.at(-1)).toMatchObject({
      method: 'DELETE',
      path: '/api/v1/executions/flytesnacks/development/di-create-b',
    });
  });

  it('Azure ML snapshotrun and cancel: the Execution Service path reaches the service as through /v1/execution/v1-0/…', async () => {
    const definition = example('snapshot-run-definition.json');
    const viaGateway = await call(
      gw,
      'POST',
      `${GATEWAY_EXP}/snapshotrun?runId=di-snap-${surface}`,
      definition,
    );
    const first = gw.azureml?.requests.at(-1);
    const viaDropIn = await call(
      gw,
      'POST',
      `${DROP_IN_EXP}/snapshotrun?runid=di-snap2-${surface}`,
      definition,
    );
    const second = gw.azureml?.requests.at(-1);
    expect([viaGateway.status, viaDropIn.status], viaDropIn.text).toStrictEqual([200, 200]);
    expect(viaDropIn.json()).toMatchObject({ runId: `di-snap2-${surface}` });
    expect({ ...sameCall(second), query: undefined }).toStrictEqual({ ...sameCall(first), query: undefined });
    expect(second?.path).toBe(`${UPSTREAM_EXP}/snapshotrun`);
    expect(second?.query).toStrictEqual({ runId: `di-snap2-${surface}` });

    // The same run id again on the drop-in path: refused by the service as a duplicate, no second run.
    const retry = await call(gw, 'POST', `${DROP_IN_EXP}/snapshotrun?runId=di-snap2-${surface}`, definition);
    expect(retry.status, retry.text).toBe(409);

    const cancel = await call(gw, 'POST', `${DROP_IN_EXP}/runId/di-snap2-${surface}/cancel`);
    expect(cancel.status, cancel.text).toBe(200);
    expect(gw.azureml?.requests.at(-1)).toMatchObject({
      method: 'POST',
      path: `${UPSTREAM_EXP}/runId/di-snap2-${surface}/cancel`,
    });
  });

  it('Azure ML startrun (multipart) and startlocalrun on the Execution Service paths, matched in any case', async () => {
    const form = startRunForm(
      example('local-run-definition.json'),
      buildZip([{ name: 'a.py', data: '1\n' }]),
    );
    const start = await postForm(gw, `${DROP_IN_EXP.toLowerCase()}/startrun?runId=di-start-${surface}`, form);
    expect(start.status, start.text).toBe(200);
    expect(gw.azureml?.requests.at(-1)).toMatchObject({
      path: `${UPSTREAM_EXP}/startrun`,
      query: { runId: `di-start-${surface}` },
    });
    const local = await call(
      gw,
      'POST',
      `${DROP_IN_EXP.toUpperCase().replace('/SUBSCRIPTIONS/00000000', '/subscriptions/00000000')}/startlocalrun?runId=di-local-${surface}`,
      example('local-run-definition.json'),
    );
    expect(local.status, local.text).toBe(200);
  });

  it.each([
    [
      'a workspace not on AZUREML_WORKSPACES',
      'POST',
      `${upstreamExperimentPath({ workspace: 'ws-other' })}/snapshotrun?runId=di-x`,
      example('snapshot-run-definition.json'),
      403,
    ],
    [
      'a Flyte project not on FLYTE_PROJECTS',
      'GET',
      '/api/v1/executions/other/development/di-run',
      undefined,
      403,
    ],
    [
      'an unknown query parameter',
      'GET',
      '/api/v1/executions/flytesnacks/development?run_id=1',
      undefined,
      400,
    ],
    ['a bad run id', 'POST', `${DROP_IN_EXP}/runId/bad%20id/cancel`, undefined, 400],
  ])(
    'refuses %s as the gateway route does, reaching no upstream',
    async (_case, method, path, body, status) => {
      const before = gw.emulator.requests.length + (gw.azureml?.requests.length ?? 0);
      const res = await call(gw, method, path, body);
      expect(res.status, res.text).toBe(status);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(gw.emulator.requests.length + (gw.azureml?.requests.length ?? 0)).toBe(before);
    },
  );

  it('answers 405 for a method the upstream path does not take', async () => {
    const res = await call(gw, 'PUT', '/api/v1/executions/flytesnacks/development/di-run', {});
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, DELETE');
  });

  it('leaves the drop-in paths out of the OpenAPI document', async () => {
    const doc = (await call(gw, 'GET', '/v1/openapi.json')).json();
    const paths = Object.keys(doc.paths);
    expect(paths.filter((p) => p.startsWith('/api/') || p.startsWith('/execution/'))).toStrictEqual([]);
    const ids = Object.values(doc.paths).flatMap((item) =>
      Object.values(item as Record<string, { operationId?: string }>).map((op) => op.operationId),
    );
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('drop-in upstream paths, DROP_IN_ROUTES unset (the default)', () => {
  let gw: Gateway;

  beforeAll(async () => {
    gw = await startGateway({ azureml: true });
  }, 60_000);
  afterAll(() => gw?.close());

  it.each([
    ['GET', '/api/v1/executions/flytesnacks/development'],
    ['POST', `${DROP_IN_EXP}/snapshotrun?runId=di-off`],
  ])('%s %s is 404, reaching no upstream', async (method, path) => {
    const res = await call(
      gw,
      method,
      path,
      method === 'POST' ? example('snapshot-run-definition.json') : undefined,
    );
    expect(res.status, res.text).toBe(404);
    expect(res.json().type).toBe('/problems/not-found');
    expect(gw.emulator.requests).toStrictEqual([]);
    expect(gw.azureml?.requests).toStrictEqual([]);
  });
});

describe('drop-in upstream paths under AUTH_MODE=entra', () => {
  let issuer: TestIssuer;
  let gw: Gateway;

  beforeAll(async () => {
    issuer = await startTestIssuer();
    gw = await startGateway({ azureml: true, env: { ...issuer.env, ...ON }, emulator: SLOW_PHASES });
    gw.emulator.seed({ project: 'flytesnacks', domain: 'development', name: 'di-run', phase: 'RUNNING' });
  }, 60_000);
  afterAll(async () => {
    await gw?.close();
    await issuer?.close();
  });

  it.each([
    ['no token', async () => ({}), 401],
    [
      "the Azure ML SDK's own token (audience https://ml.azure.com)",
      async () => issuer.bearer(['Executions.Read'], { audience: 'https://ml.azure.com' }),
      401,
    ],
    ['a token without the role the operation needs', async () => issuer.bearer([]), 403],
  ])('%s: %i, nothing upstream', async (_case, headers, status) => {
    const before = gw.emulator.requests.length;
    const res = await call(
      gw,
      'GET',
      '/api/v1/executions/flytesnacks/development/di-run',
      undefined,
      await headers(),
    );
    expect(res.status, res.text).toBe(status);
    expect(gw.emulator.requests.length).toBe(before);
  });

  it('a caller with the role gets through', async () => {
    const res = await call(
      gw,
      'GET',
      '/api/v1/executions/flytesnacks/development/di-run',
      undefined,
      await issuer.bearer(['Executions.Read']),
    );
    expect(res.status, res.text).toBe(200);
    expect(gw.emulator.requests.at(-1)?.path).toBe('/api/v1/executions/flytesnacks/development/di-run');
  });
});
