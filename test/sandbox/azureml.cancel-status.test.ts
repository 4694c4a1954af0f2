import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AzureMlEmulator, startAzureMlEmulator } from '../../sandbox/azureml/index.js';
import {
  call,
  EXP,
  experimentPath,
  historyPath,
  manualClock,
  pollUntil,
  RG,
  SNAPSHOT,
  SUB,
  WS,
} from './helpers/azureml-client.js';

const T0 = Date.UTC(2026, 0, 15, 2, 0, 0, 0);
const clock = manualClock(T0);
const DELAYS = {
  notStarted: 100,
  starting: 200,
  queued: 300,
  running: 1000,
  finalizing: 400,
  cancelRequested: 500,
};
let aml: AzureMlEmulator;

beforeAll(async () => {
  aml = await startAzureMlEmulator({ now: clock.now, statusDelaysMs: DELAYS });
});
afterAll(() => aml.close());
beforeEach(() => aml.reset());

const cancelPath = (runId: string, scope = {}) => `${experimentPath(scope)}/runId/${runId}/cancel`;

async function startSnapshotRun(target: AzureMlEmulator, runId: string) {
  const res = await call(target.url, 'POST', `${experimentPath()}/snapshotrun?runId=${runId}`, {
    json: { snapshotId: SNAPSHOT },
  });
  expect(res.status).toBe(200);
}

async function statusOf(target: AzureMlEmulator, runId: string): Promise<string> {
  return (await call(target.url, 'GET', historyPath(runId))).json.status;
}

describe('status progression (history endpoint)', () => {
  it('walks NotStarted → Starting → Queued → Running → Finalizing → Completed on the injected clock', async () => {
    // Prepare
    clock.set(T0);
    await startSnapshotRun(aml, 'walk_1');
    // Act: sample just before and at every boundary
    const seen: [number, string][] = [];
    for (const offset of [0, 99, 100, 299, 300, 599, 600, 1599, 1600, 1999, 2000, 99_999]) {
      clock.set(T0 + offset);
      seen.push([offset, await statusOf(aml, 'walk_1')]);
    }
    // Assess
    expect(seen).toEqual([
      [0, 'NotStarted'],
      [99, 'NotStarted'],
      [100, 'Starting'],
      [299, 'Starting'],
      [300, 'Queued'],
      [599, 'Queued'],
      [600, 'Running'],
      [1599, 'Running'],
      [1600, 'Finalizing'],
      [1999, 'Finalizing'],
      [2000, 'Completed'],
      [99_999, 'Completed'],
    ]);
    const details = (await call(aml.url, 'GET', historyPath('walk_1'))).json;
    expect(details).toMatchObject({
      runId: 'walk_1',
      experimentName: EXP,
      status: 'Completed',
      snapshotId: SNAPSHOT,
      runType: 'experiment',
      createdUtc: '2026-01-15T02:00:00.0000000+00:00',
      startTimeUtc: '2026-01-15T02:00:00.6000000+00:00',
      endTimeUtc: '2026-01-15T02:00:02.0000000+00:00',
      cancelRequestedUtc: null,
    });
    expect(details.runUuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(aml.runs.getRun(WS, EXP, 'walk_1')).toMatchObject({ startedAt: T0 + 600, endedAt: T0 + 2000 });
  });

  it('answers 404 NotFoundError for an unknown run', async () => {
    const res = await call(aml.url, 'GET', historyPath('nobody_1'));
    expect(res.status).toBe(404);
    expect(res.json.error).toMatchObject({ code: 'UserError', innerError: { code: 'NotFoundError' } });
  });

  it('advances on the real clock too (polled with a deadline)', async () => {
    const live = await startAzureMlEmulator({
      statusDelaysMs: { notStarted: 5, starting: 5, queued: 5, running: 30, finalizing: 5 },
      finalStatus: ({ runId }) => (runId.startsWith('fail') ? 'Failed' : 'Completed'),
    });
    try {
      await startSnapshotRun(live, 'ok_1');
      await startSnapshotRun(live, 'fail_1');
      const ok = await pollUntil(
        () => statusOf(live, 'ok_1'),
        (s) => s === 'Completed',
        { timeoutMs: 3000 },
      );
      const failed = await pollUntil(
        () => statusOf(live, 'fail_1'),
        (s) => s === 'Failed',
        { timeoutMs: 3000 },
      );
      expect([ok, failed]).toEqual(['Completed', 'Failed']);
    } finally {
      await live.close();
    }
  });
});

describe('CancelRunWithUri', () => {
  it('answers 404 UserError/NotFoundError for an unknown run', async () => {
    const res = await call(aml.url, 'POST', cancelPath('ghost_1'));
    expect(res.status).toBe(404);
    expect(res.json.error).toMatchObject({
      code: 'UserError',
      message: `Run ghost_1 was not found in experiment ${EXP}.`,
      target: 'runId',
      innerError: { code: 'NotFoundError', innerError: null },
    });
  });

  it('moves an active run to CancelRequested, then Canceled; a repeated cancel changes nothing', async () => {
    // Prepare: the run is Running at T0+700
    clock.set(T0);
    await startSnapshotRun(aml, 'stop_1');
    clock.advance(700);
    expect(await statusOf(aml, 'stop_1')).toBe('Running');
    // Act
    const cancel = await call(aml.url, 'POST', cancelPath('stop_1'));
    const requested = await statusOf(aml, 'stop_1');
    clock.advance(200);
    const again = await call(aml.url, 'POST', cancelPath('stop_1'));
    clock.advance(299);
    const stillRequested = await statusOf(aml, 'stop_1');
    clock.advance(1);
    const canceled = (await call(aml.url, 'GET', historyPath('stop_1'))).json;
    // Assess
    expect(cancel.status).toBe(200);
    expect(cancel.json).toEqual({ runId: 'stop_1' });
    expect(again.json).toEqual({ runId: 'stop_1' });
    expect([requested, stillRequested, canceled.status]).toEqual([
      'CancelRequested',
      'CancelRequested',
      'Canceled',
    ]);
    expect(canceled.cancelRequestedUtc).toBe('2026-01-15T02:00:00.7000000+00:00');
    expect(canceled.endTimeUtc).toBe('2026-01-15T02:00:01.2000000+00:00');
  });

  it('finds the run with differently cased subscription, resource group and workspace', async () => {
    await startSnapshotRun(aml, 'case_1');
    const scope = { sub: SUB.toUpperCase(), rg: RG.toUpperCase(), ws: WS.toUpperCase() };
    const res = await call(aml.url, 'POST', cancelPath('case_1', scope));
    expect(res.status).toBe(200);
    expect(aml.runs.getRun(WS, EXP, 'case_1')?.status).toBe('CancelRequested');
  });

  it('answers 200 and leaves a finished run alone by default', async () => {
    clock.set(T0);
    await startSnapshotRun(aml, 'done_1');
    clock.advance(5000);
    const res = await call(aml.url, 'POST', cancelPath('done_1'));
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ runId: 'done_1' });
    expect(aml.runs.getRun(WS, EXP, 'done_1')).toMatchObject({ status: 'Completed' });
    expect(aml.runs.getRun(WS, EXP, 'done_1')?.cancelRequestedAt).toBeUndefined();
  });

  it("answers 409 for a finished run with cancelTerminal: 'conflict'", async () => {
    const strictClock = manualClock(T0);
    const strict = await startAzureMlEmulator({
      now: strictClock.now,
      statusDelaysMs: DELAYS,
      cancelTerminal: 'conflict',
    });
    try {
      await startSnapshotRun(strict, 'done_2');
      await startSnapshotRun(strict, 'live_2');
      const active = await call(strict.url, 'POST', cancelPath('live_2'));
      strictClock.advance(5000);
      const finished = await call(strict.url, 'POST', cancelPath('done_2'));
      const canceled = await call(strict.url, 'POST', cancelPath('live_2'));
      expect(active.status).toBe(200);
      expect(finished.status).toBe(409);
      expect(finished.json.error).toMatchObject({
        code: 'UserError',
        message: 'Run done_2 cannot be canceled: it is already Completed.',
        innerError: { code: 'RunInTerminalState' },
      });
      expect(canceled.status).toBe(409);
      expect(canceled.json.error.message).toBe('Run live_2 cannot be canceled: it is already Canceled.');
    } finally {
      await strict.close();
    }
  });

  it('answers 400 for a cancel path runId that breaks the pattern, 405 for GET', async () => {
    const bad = await call(aml.url, 'POST', cancelPath('bad.id'));
    const get = await call(aml.url, 'GET', cancelPath('ok_1'));
    expect(bad.status).toBe(400);
    expect(bad.json.error.target).toBe('runId');
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
  });
});
