import { afterEach, describe, expect, it } from 'vitest';
import { type FlyteAdminEmulator, startFlyteAdminEmulator } from '../../sandbox/flyte-admin/index.js';
import {
  call,
  createBody,
  EXECUTIONS,
  executionPath,
  manualClock,
  pollUntil,
} from './helpers/admin-client.js';

let admin: FlyteAdminEmulator | undefined;
afterEach(async () => {
  await admin?.close();
  admin = undefined;
});

async function closure(emulator: FlyteAdminEmulator, name: string) {
  return (await call(emulator.url, 'GET', executionPath(name))).json.closure;
}

describe('phase progression on an injected clock', () => {
  it('UNDEFINED → RUNNING → SUCCEEDED with started_at, duration, updated_at and outputs', async () => {
    // Prepare
    const clock = manualClock(Date.UTC(2026, 0, 15, 2, 0, 0, 51));
    admin = await startFlyteAdminEmulator({
      now: clock.now,
      phaseDelaysMs: { queued: 3_361, running: 754_120 },
    });
    await call(admin.url, 'POST', EXECUTIONS, { body: createBody('nightly-etl-0001') });

    // Act + Assess: still queued just before the delay elapses
    clock.advance(3_360);
    expect(await closure(admin, 'nightly-etl-0001')).toMatchObject({
      phase: 'UNDEFINED',
      started_at: null,
      duration: null,
    });

    clock.advance(1);
    const running = await closure(admin, 'nightly-etl-0001');
    expect(running).toMatchObject({
      phase: 'RUNNING',
      started_at: '2026-01-15T02:00:03.412Z',
      duration: null,
      created_at: '2026-01-15T02:00:00.051Z',
      updated_at: '2026-01-15T02:00:03.412Z',
    });
    expect(Object.keys(running)).not.toContain('outputs');

    clock.advance(754_120);
    expect(await closure(admin, 'nightly-etl-0001')).toMatchObject({
      phase: 'SUCCEEDED',
      started_at: '2026-01-15T02:00:03.412Z',
      duration: '754.120s',
      updated_at: '2026-01-15T02:12:37.532Z',
      outputs: {
        uri: 's3://my-s3-bucket/metadata/propeller/flytesnacks-development-nightly-etl-0001/end-node/data/0/outputs.pb',
      },
    });
  });

  it('a finishing delay shows SUCCEEDING; initialPhase QUEUED replaces UNDEFINED', async () => {
    const clock = manualClock();
    admin = await startFlyteAdminEmulator({
      now: clock.now,
      initialPhase: 'QUEUED',
      phaseDelaysMs: { queued: 10, running: 10, finishing: 10 },
    });
    await call(admin.url, 'POST', EXECUTIONS, { body: createBody('finishing-1') });
    const phases: string[] = [];
    for (let i = 0; i < 4; i++) {
      phases.push((await closure(admin, 'finishing-1')).phase);
      clock.advance(10);
    }
    expect(phases).toEqual(['QUEUED', 'RUNNING', 'SUCCEEDING', 'SUCCEEDED']);
  });

  it('the outcome option makes runs fail with a closure error', async () => {
    const clock = manualClock();
    admin = await startFlyteAdminEmulator({
      now: clock.now,
      phaseDelaysMs: { queued: 0, running: 1_000, finishing: 500 },
      outcome: (execution) => (execution.launchPlan.name === 'flaky' ? 'FAILED' : 'SUCCEEDED'),
    });
    await call(admin.url, 'POST', EXECUTIONS, {
      body: createBody('flaky-1', { launch_plan: { ...createBody().spec.launch_plan, name: 'flaky' } }),
    });
    clock.advance(1_000);
    expect((await closure(admin, 'flaky-1')).phase).toBe('FAILING');
    clock.advance(500);
    const failed = await closure(admin, 'flaky-1');
    expect(failed.phase).toBe('FAILED');
    expect(failed.duration).toBe('1.500s');
    expect(failed.error).toEqual({
      code: 'USER:RuntimeError',
      message: 'Execution flaky-1 failed (emulated outcome).',
      error_uri: '',
      kind: 'USER',
      timestamp: failed.updated_at,
      worker: '',
    });
  });
});

describe('phase progression in real time', () => {
  it('reaches SUCCEEDED within the configured delays (polled with a deadline)', async () => {
    // Prepare
    admin = await startFlyteAdminEmulator({ phaseDelaysMs: { queued: 20, running: 150 } });
    const started = Date.now();
    await call(admin.url, 'POST', EXECUTIONS, { body: createBody('real-time-1') });
    const emulator = admin;
    // Act
    const seen = new Set<string>();
    const done = await pollUntil(
      () => closure(emulator, 'real-time-1'),
      (c) => {
        seen.add(c.phase);
        return c.phase === 'SUCCEEDED';
      },
      { timeoutMs: 3_000, intervalMs: 5 },
    );
    // Assess
    expect(Date.now() - started).toBeGreaterThanOrEqual(170);
    expect(seen.has('RUNNING')).toBe(true);
    expect(done.duration).toBe('0.150s');
  });
});
