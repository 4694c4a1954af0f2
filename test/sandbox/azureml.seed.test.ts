import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AzureMlEmulator, SEED_DEFAULTS, startAzureMlEmulator } from '../../sandbox/azureml/index.js';
import { call, experimentPath, historyPath, manualClock } from './helpers/azureml-client.js';

const T0 = Date.UTC(2026, 0, 15, 2, 0, 0, 0);
const clock = manualClock(T0);
const DEFAULT_SCOPE = {
  sub: SEED_DEFAULTS.subscriptionId,
  rg: SEED_DEFAULTS.resourceGroupName,
  ws: SEED_DEFAULTS.workspaceName,
  exp: SEED_DEFAULTS.experimentName,
};
const cancelPath = (runId: string) => `${experimentPath(DEFAULT_SCOPE)}/runId/${runId}/cancel`;
const readPath = (runId: string) => historyPath(runId, DEFAULT_SCOPE);
let aml: AzureMlEmulator;
let conflict: AzureMlEmulator;

beforeAll(async () => {
  aml = await startAzureMlEmulator({ now: clock.now, statusDelaysMs: { cancelRequested: 500 } });
  conflict = await startAzureMlEmulator({ now: clock.now, cancelTerminal: 'conflict' });
});
afterAll(async () => {
  await aml.close();
  await conflict.close();
});
beforeEach(() => {
  clock.set(T0);
  aml.reset();
  conflict.reset();
});

describe('seed', () => {
  it('inserts runs with the documented defaults and returns their ids, without any request', () => {
    // Act
    const ids = aml.seed([{}, { status: 'Running' }, { runId: 'mine_1', experimentName: 'other' }]);
    // Assess
    expect(ids).toEqual(['exp_1768442400000', 'exp_1768442400000_1', 'mine_1']);
    expect(aml.requests).toEqual([]);
    const runs = aml.runs.listRuns();
    expect(runs.map((r) => [r.runId, r.experimentName, r.status])).toEqual([
      ['exp_1768442400000', 'exp', 'NotStarted'], // unpinned: walks the path from createdAt
      ['exp_1768442400000_1', 'exp', 'Running'],
      ['mine_1', 'other', 'NotStarted'],
    ]);
    expect(runs[1]).toMatchObject({
      subscriptionId: '00000000-0000-0000-0000-000000000000',
      resourceGroupName: 'rg-ml',
      workspaceName: 'ws-demo',
      operation: 'snapshotrun',
      createdAt: T0,
      startedAt: T0,
    });
    expect(runs[1]?.snapshotId).toMatch(/^[0-9a-f-]{36}$/);
    expect(runs[1]).not.toHaveProperty('pinnedStatus');
    expect(runs[1]?.endedAt).toBeUndefined();
    clock.advance(10 + 20 + 20 + 200 + 20);
    expect(aml.runs.getRun('ws-demo', 'exp', 'exp_1768442400000')?.status).toBe('Completed');
  });

  it('keeps a pinned run in its status however far the clock moves', () => {
    aml.seed({ runId: 'pinned_1', status: 'Queued' });
    clock.advance(86_400_000);
    expect(aml.runs.getRun('ws-demo', 'exp', 'pinned_1')?.status).toBe('Queued');
  });

  it('seeds many runs quickly with unique ids', () => {
    const ids = aml.seed(Array.from({ length: 500 }, () => ({ status: 'Running' as const })));
    expect(new Set(ids).size).toBe(500);
    expect(aml.runs.listRuns().filter((r) => r.status === 'Running')).toHaveLength(500);
  });

  it('throws on a duplicate run id and on invalid ids', () => {
    aml.seed({ runId: 'dup_1' });
    expect(() => aml.seed({ runId: 'dup_1' })).toThrow('seed runId dup_1 already exists in experiment exp');
    expect(() => aml.seed({ runId: 'bad id' })).toThrow(TypeError);
    expect(() => aml.seed({ subscriptionId: 'not-a-guid' })).toThrow(TypeError);
    expect(aml.runs.listRuns().map((r) => r.runId)).toEqual(['dup_1']);
  });
});

describe('cancelling seeded runs over HTTP', () => {
  it('a seeded Running run answers 200 and goes CancelRequested → Canceled', async () => {
    // Prepare
    const [runId = ''] = aml.seed({ status: 'Running' });
    // Act
    const cancel = await call(aml.url, 'POST', cancelPath(runId));
    const requested = await call(aml.url, 'GET', readPath(runId));
    clock.advance(500);
    const canceled = await call(aml.url, 'GET', readPath(runId));
    // Assess
    expect(cancel.status).toBe(200);
    expect(requested.json).toMatchObject({ runId, status: 'CancelRequested', endTimeUtc: null });
    expect(requested.json.cancelRequestedUtc).not.toBeNull();
    expect(canceled.json).toMatchObject({ runId, status: 'Canceled' });
    expect(aml.runs.getRun('ws-demo', 'exp', runId)).toMatchObject({
      status: 'Canceled',
      cancelRequestedAt: T0,
      endedAt: T0 + 500,
    });
    expect(aml.requests.map((r) => [r.method, r.path, r.status])).toEqual([
      ['POST', cancelPath(runId), 200],
      ['GET', readPath(runId), 200],
      ['GET', readPath(runId), 200],
    ]);
  });

  it('a seeded Completed run answers 409 with cancelTerminal "conflict" and stays Completed', async () => {
    conflict.seed({ runId: 'done_1', status: 'Completed' });
    const res = await call(conflict.url, 'POST', cancelPath('done_1'));
    expect(res.status).toBe(409);
    expect(res.json.error).toMatchObject({ code: 'UserError', innerError: { code: 'RunInTerminalState' } });
    expect(conflict.runs.getRun('ws-demo', 'exp', 'done_1')).toMatchObject({
      status: 'Completed',
      endedAt: T0,
    });
    expect(conflict.runs.getRun('ws-demo', 'exp', 'done_1')?.cancelRequestedAt).toBeUndefined();
  });

  it('a seeded Failed run answers 200 by default and stays Failed', async () => {
    aml.seed({ runId: 'failed_1', status: 'Failed' });
    const res = await call(aml.url, 'POST', cancelPath('failed_1'));
    expect(res.status).toBe(200);
    expect(aml.runs.getRun('ws-demo', 'exp', 'failed_1')?.status).toBe('Failed');
  });

  it('an unknown run answers 404', async () => {
    aml.seed({ runId: 'known_1', status: 'Running' });
    const res = await call(aml.url, 'POST', cancelPath('unknown_1'));
    expect(res.status).toBe(404);
    expect(res.json.error).toMatchObject({ code: 'UserError', innerError: { code: 'NotFoundError' } });
    expect(aml.runs.getRun('ws-demo', 'exp', 'known_1')?.status).toBe('Running');
  });
});
