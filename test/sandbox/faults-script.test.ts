import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AzureMlEmulator, startAzureMlEmulator } from '../../sandbox/azureml/index.js';
import { FaultControl } from '../../sandbox/common/faults.js';
import { type FlyteAdminEmulator, startFlyteAdminEmulator } from '../../sandbox/flyte-admin/index.js';
import { call as adminCall } from './helpers/admin-client.js';
import {
  call,
  EXP,
  experimentPath,
  historyPath,
  manualClock,
  RG,
  rawRequest,
  SUB,
  WS,
} from './helpers/azureml-client.js';

const clock = manualClock(Date.UTC(2026, 0, 15, 2, 0, 0, 0));
const CANCEL_A = `${experimentPath()}/runId/a_1/cancel`;
const CANCEL_B = `${experimentPath()}/runId/b_1/cancel`;
const READ_A = historyPath('a_1');
let aml: AzureMlEmulator;
let admin: FlyteAdminEmulator;

beforeAll(async () => {
  aml = await startAzureMlEmulator({ now: clock.now });
  admin = await startFlyteAdminEmulator();
});
afterAll(async () => {
  await aml.close();
  await admin.close();
});
beforeEach(() => {
  aml.reset();
  admin.reset();
  // Where `experimentPath()` points.
  const scope = { subscriptionId: SUB, resourceGroupName: RG, workspaceName: WS, experimentName: EXP };
  aml.seed([
    { ...scope, runId: 'a_1', status: 'Running' },
    { ...scope, runId: 'b_1', status: 'Running' },
  ]);
});

const journal = (target: AzureMlEmulator) => target.requests.map((r) => [r.path, r.status ?? 'dropped']);

describe('scripted faults (in code)', () => {
  it('give one path 429 with Retry-After, then 503, then its normal answer; other paths are unaffected', async () => {
    // Prepare
    aml.faults.script(CANCEL_A, [{ kind: 'status429', retryAfterSeconds: 4 }, { kind: 'status5xx' }]);
    // Act
    const first = await call(aml.url, 'POST', `${CANCEL_A}?api-version=2019-11-01`);
    const other = await call(aml.url, 'POST', CANCEL_B);
    const read = await call(aml.url, 'GET', READ_A);
    const second = await call(aml.url, 'POST', CANCEL_A);
    const third = await call(aml.url, 'POST', CANCEL_A);
    // Assess
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('4');
    expect(first.json.error).toMatchObject({ code: 'RequestThrottled' });
    expect(other.status).toBe(200);
    expect(read.status).toBe(200);
    expect(read.json.status).toBe('Running'); // the faulted cancels did not reach the run
    expect(second.status).toBe(503);
    expect(second.json.error).toMatchObject({ code: 'TransientError' });
    expect(second.headers.get('retry-after')).toBeNull();
    expect(third.status).toBe(200);
    expect(aml.runs.getRun('ws-ml', 'exp-a', 'a_1')?.status).toBe('CancelRequested');
    expect(journal(aml)).toEqual([
      [CANCEL_A, 429],
      [CANCEL_B, 200],
      [READ_A, 200],
      [CANCEL_A, 503],
      [CANCEL_A, 200],
    ]);
    expect(aml.faults.scripts).toEqual({});
    expect(aml.faults.snapshot()).toEqual({ latencyMs: 0 });
  });

  it('take precedence over counted faults on their path, which still hit other paths', async () => {
    aml.faults.set({ status5xx: { count: 2, status: 500 } });
    aml.faults.script(CANCEL_A, [{ kind: 'status429' }]);
    const outcomes = [];
    for (const path of [CANCEL_A, CANCEL_A, CANCEL_B])
      outcomes.push((await call(aml.url, 'POST', path)).status);
    expect(outcomes).toEqual([429, 500, 500]);
    expect(aml.faults.status5xx?.count).toBe(0);
  });

  it('ignore pathPrefix, drop the connection on a drop step, and are replaced by a second script()', async () => {
    aml.faults.set({ pathPrefix: '/msi/' });
    aml.faults.script(CANCEL_A, [
      { kind: 'status5xx', status: 500 },
      { kind: 'status5xx', status: 500 },
    ]);
    aml.faults.script(CANCEL_A, [{ kind: 'drop' }]);
    const dropped = await rawRequest(aml.url, 'POST', CANCEL_A);
    const next = await rawRequest(aml.url, 'POST', CANCEL_A);
    expect('error' in dropped && dropped.error.code).toBe('ECONNRESET');
    expect('status' in next && next.status).toBe(200);
    expect(journal(aml)).toEqual([
      [CANCEL_A, 'dropped'],
      [CANCEL_A, 200],
    ]);
  });

  it('are removed by set() without scripts, clear() and reset()', () => {
    const steps = [{ kind: 'drop' as const }];
    aml.faults.script(CANCEL_A, steps);
    aml.faults.set({ latencyMs: 0 });
    expect(aml.faults.scripts).toEqual({});
    aml.faults.script(CANCEL_A, steps);
    aml.faults.clear();
    expect(aml.faults.scripts).toEqual({});
    aml.faults.script(CANCEL_A, steps);
    aml.reset();
    expect(aml.faults.snapshot()).toEqual({ latencyMs: 0 });
  });

  it('script() rejects malformed steps with a TypeError naming the field', () => {
    const faults = new FaultControl();
    // biome-ignore lint/suspicious/noExplicitAny: deliberately malformed input
    const bad = (steps: any) => () => faults.script('/x', steps);
    expect(bad([{ kind: 'status404' }])).toThrow(
      'scripts["/x"][0].kind must be one of status429, status5xx, drop',
    );
    expect(bad([{ kind: 'drop' }, { kind: 'status5xx', status: 404 }])).toThrow(
      'scripts["/x"][1].status is out of range: 404',
    );
    expect(bad([{ kind: 'drop', count: 1 }])).toThrow('unknown field scripts["/x"][0].count for kind drop');
    expect(() => faults.script('/x?a=1', [])).toThrow(TypeError);
    expect(faults.scripts).toEqual({});
  });

  it('work the same in the Flyte Admin emulator, matching the path without its query', async () => {
    const list = '/api/v1/executions/flytesnacks/development';
    admin.faults.script(list, [{ kind: 'status429', retryAfterSeconds: 2 }]);
    const throttled = await adminCall(admin.url, 'GET', `${list}?limit=1`);
    const ok = await adminCall(admin.url, 'GET', `${list}?limit=1`);
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('2');
    expect(ok.status).toBe(200);
    expect(admin.requests.map((r) => [r.path, r.status])).toEqual([
      [list, 429],
      [list, 200],
    ]);
  });
});

describe('scripted faults over PUT /_emulator/faults', () => {
  it('are set with scripts and show their remaining steps in GET', async () => {
    // Prepare
    const put = await call(aml.url, 'PUT', '/_emulator/faults', {
      json: {
        latencyMs: 0,
        scripts: {
          [CANCEL_A]: [
            { kind: 'status429', retryAfterSeconds: 3 },
            { kind: 'status5xx', status: 502 },
          ],
          [CANCEL_B]: [{ kind: 'drop' }],
        },
      },
    });
    // Act
    const first = await call(aml.url, 'POST', CANCEL_A);
    const got = await call(aml.url, 'GET', '/_emulator/faults');
    const second = await call(aml.url, 'POST', CANCEL_A);
    const after = await call(aml.url, 'GET', '/_emulator/faults');
    // Assess
    expect(put.status).toBe(200);
    expect(put.json).toEqual({
      latencyMs: 0,
      scripts: {
        [CANCEL_A]: [
          { kind: 'status429', retryAfterSeconds: 3 },
          { kind: 'status5xx', status: 502 },
        ],
        [CANCEL_B]: [{ kind: 'drop' }],
      },
    });
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('3');
    expect(got.json).toEqual({
      latencyMs: 0,
      scripts: { [CANCEL_A]: [{ kind: 'status5xx', status: 502 }], [CANCEL_B]: [{ kind: 'drop' }] },
    });
    expect(second.status).toBe(502);
    expect(after.json).toEqual({ latencyMs: 0, scripts: { [CANCEL_B]: [{ kind: 'drop' }] } });
    expect(journal(aml)).toEqual([
      [CANCEL_A, 429],
      [CANCEL_A, 502],
    ]);
  });

  it.each([
    [{ scripts: [] }, 'scripts must be an object'],
    [{ scripts: { [CANCEL_A]: { kind: 'drop' } } }, `scripts["${CANCEL_A}"] must be an array of steps`],
    [{ scripts: { [CANCEL_A]: [{ kind: 'teapot' }] } }, `scripts["${CANCEL_A}"][0].kind must be one of`],
    [{ scripts: { [CANCEL_A]: [{ kind: 'status5xx', status: 418 }] } }, `scripts["${CANCEL_A}"][0].status`],
    [
      { scripts: { [CANCEL_A]: [{ kind: 'status429', retryAfterSeconds: -1 }] } },
      `scripts["${CANCEL_A}"][0].retryAfterSeconds`,
    ],
    [{ scripts: { 'no-slash': [] } }, 'scripts["no-slash"]: a scripted path must start with /'],
  ])('answer 400 for a bad script %j and keep the previous settings', async (body, message) => {
    aml.faults.script(CANCEL_B, [{ kind: 'drop' }]);
    const res = await call(aml.url, 'PUT', '/_emulator/faults', { json: body });
    expect(res.status).toBe(400);
    expect(res.json.error).toContain(message);
    expect(aml.faults.snapshot()).toEqual({ latencyMs: 0, scripts: { [CANCEL_B]: [{ kind: 'drop' }] } });
    expect(aml.requests).toEqual([]); // control requests are not journaled
  });
});
