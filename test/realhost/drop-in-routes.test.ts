/**
 * Under the REAL Functions host: the function key in `?code=` (any case) on the batch report
 * route is the host's and never a query parameter of the route, while an unknown parameter is
 * refused; and with DROP_IN_ROUTES=true the host maps the upstreams' own paths
 * (`execution/v1.0/.../Microsoft.MachineLearningServices/...`, `api/v1/executions/...`) to the
 * same operations, enforces their keys, and the emulators receive the calls; a retry of a start
 * spelt `?runid=` is refused as a duplicate.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { example, upstreamExperimentPath } from '../helpers/azureml-requests.js';
import {
  describeRealHost,
  REALHOST_HOOK_TIMEOUT_MS,
  type RealHost,
  startRealHost,
} from '../helpers/realhost.js';

const REPORT = '/v1/cancellations/00000000-0000-4000-8000-000000000000';
const UPSTREAM_EXP = upstreamExperimentPath();

describeRealHost('the real Functions host: ?code= and drop-in upstream paths', () => {
  let host: RealHost;

  beforeAll(async () => {
    host = await startRealHost({ env: { DROP_IN_ROUTES: 'true' } });
    console.info(`[realhost] drop-in routes: host serving after ${host.startMs} ms (log ${host.logFile})`);
  }, REALHOST_HOOK_TIMEOUT_MS);
  afterAll(async () => {
    await host?.stop();
  }, REALHOST_HOOK_TIMEOUT_MS);

  it.each(['code', 'Code', 'CODE'])(
    'GET the batch report with the key in ?%s= : the route runs (404 unknown batch)',
    async (name) => {
      const res = await host.call('GET', `${REPORT}?${name}=${encodeURIComponent(host.key)}&limit=5`, {
        key: 'none',
      });
      expect(res.status, res.text).toBe(404);
      expect(res.json()).toMatchObject({ type: '/problems/not-found' });
    },
  );

  it('GET the batch report with an unknown parameter: 400 naming it, not the key', async () => {
    const res = await host.call('GET', `${REPORT}?run_id=1`, { key: 'code' });
    expect(res.status, res.text).toBe(400);
    expect(res.json().errors).toStrictEqual([{ path: 'query.run_id', message: 'is not a known field' }]);
  });

  it('maps the drop-in routes', () => {
    const log = host.log();
    expect(log).toMatch(
      /execution\/v1\.0\/subscriptions\/\{subscriptionid\}\/resourceGroups\/.*Microsoft\.MachineLearningServices/,
    );
    expect(log).toContain('api/v1/executions/{id-project}/{id-domain}/{id-name}');
  });

  it("flyteadmin's own path: the key is enforced, and flyteadmin gets the call", async () => {
    // Prepare
    host.flyte.seed({ project: 'flytesnacks', domain: 'development', name: 'di-real', phase: 'RUNNING' });
    const path = '/api/v1/executions/flytesnacks/development/di-real';

    // Act
    const without = await host.call('GET', path, { key: 'none' });
    const mark = host.logMark();
    const before = host.flyte.requests.length;
    const res = await host.call('GET', path, { key: 'code' });

    // Assess: a keyed function took the path (the catch-all is anonymous), and it was the drop-in one.
    expect(without.status).toBe(401);
    expect(host.logSince(mark)).toContain("Executing 'Functions.dropin-getexecution'");
    expect(res.status, res.text).toBe(200);
    expect(res.json()).toMatchObject({ id: { name: 'di-real' } });
    expect(host.flyte.requests.slice(before)).toHaveLength(1);
    expect(host.flyte.requests.at(-1)).toMatchObject({ method: 'GET', path, query: {} });
  });

  it("the Execution Service's own path: ?runid= starts the run, a retry spelt ?runId= is a duplicate", async () => {
    // Prepare
    const path = `${UPSTREAM_EXP}/snapshotrun`;
    const definition = example('snapshot-run-definition.json');

    // Act
    const first = await host.call('POST', `${path}?runid=di-real-1`, { body: definition });
    const retry = await host.call('POST', `${path}?runId=di-real-1`, { body: definition });

    // Assess
    expect(first.status, first.text).toBe(200);
    expect(first.json()).toMatchObject({ runId: 'di-real-1' });
    expect(retry.status, retry.text).toBe(409);
    const sent = host.azureml.requests.filter((r) => r.path === path);
    expect(sent.map((r) => [r.query, r.status])).toStrictEqual([
      [{ runId: 'di-real-1' }, 200],
      [{ runId: 'di-real-1' }, 409],
    ]);
  });
});
