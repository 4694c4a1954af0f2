import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FlyteAdminEmulator, startFlyteAdminEmulator } from '../../sandbox/flyte-admin/index.js';
import { call, createBody, EXECUTIONS, executionPath, manualClock } from './helpers/admin-client.js';

const clock = manualClock();
let admin: FlyteAdminEmulator;

beforeAll(async () => {
  admin = await startFlyteAdminEmulator({
    now: clock.now,
    phaseDelaysMs: { queued: 100, running: 10_000, aborting: 500 },
  });
});
afterAll(() => admin.close());
beforeEach(() => admin.reset());

const closure = async (name: string) => (await call(admin.url, 'GET', executionPath(name))).json.closure;

describe('TerminateExecution', () => {
  it('moves a RUNNING execution to ABORTING with abort metadata, then ABORTED', async () => {
    // Prepare
    await call(admin.url, 'POST', EXECUTIONS, { body: createBody('to-cancel') });
    clock.advance(1_000);
    const before = await closure('to-cancel');
    // Act
    const res = await call(admin.url, 'DELETE', executionPath('to-cancel'), {
      body: { cause: 'cancelled by ops' },
    });
    // Assess
    expect(res.status).toBe(200);
    expect(res.json).toEqual({});
    const aborting = await closure('to-cancel');
    expect(aborting).toMatchObject({
      phase: 'ABORTING',
      abort_metadata: { cause: 'cancelled by ops', principal: '' },
      started_at: before.started_at,
      updated_at: before.updated_at,
      duration: null,
    });
    clock.advance(500);
    const aborted = await closure('to-cancel');
    expect(aborted).toMatchObject({
      phase: 'ABORTED',
      abort_metadata: { cause: 'cancelled by ops', principal: '' },
      duration: '1.400s',
    });
    expect(Object.keys(aborted)).not.toContain('outputs');
  });

  it('terminating an ABORTING execution again succeeds and replaces the cause', async () => {
    await call(admin.url, 'POST', EXECUTIONS, { body: createBody('twice') });
    await call(admin.url, 'DELETE', executionPath('twice'), { body: { cause: 'first' } });
    const again = await call(admin.url, 'DELETE', executionPath('twice'), { body: { cause: 'second' } });
    expect(again.status).toBe(200);
    expect((await closure('twice')).abort_metadata.cause).toBe('second');
  });

  it('accepts an empty body (no cause) and an execution that never started', async () => {
    await call(admin.url, 'POST', EXECUTIONS, { body: createBody('not-started') });
    const res = await call(admin.url, 'DELETE', executionPath('not-started'));
    expect(res.status).toBe(200);
    clock.advance(500);
    expect(await closure('not-started')).toMatchObject({
      phase: 'ABORTED',
      started_at: null,
      duration: null,
      abort_metadata: { cause: '', principal: '' },
    });
  });

  it('a terminal execution is 400 code 9 with an EventFailureReason detail', async () => {
    // Prepare
    await call(admin.url, 'POST', EXECUTIONS, { body: createBody('done') });
    clock.advance(10_100);
    // Act
    const snake = await call(admin.url, 'DELETE', executionPath('done'), { body: { cause: 'too late' } });
    const camel = await call(admin.url, 'DELETE', executionPath('done'), {
      accept: '*/*',
      contentType: 'text/plain',
    });
    // Assess
    expect(snake.status).toBe(400);
    expect(snake.json).toEqual({
      code: 9,
      message: 'Cannot abort an already terminated workflow execution',
      details: [
        {
          '@type': 'type.googleapis.com/flyteidl.admin.EventFailureReason',
          already_in_terminal_state: { current_phase: 'SUCCEEDED' },
        },
      ],
    });
    expect(camel.status).toBe(400);
    expect(camel.json.details).toEqual([
      {
        '@type': 'type.googleapis.com/flyteidl.admin.EventFailureReason',
        alreadyInTerminalState: { currentPhase: 'SUCCEEDED' },
      },
    ]);
  });

  it('an ABORTED execution cannot be terminated again', async () => {
    await call(admin.url, 'POST', EXECUTIONS, { body: createBody('gone') });
    await call(admin.url, 'DELETE', executionPath('gone'));
    clock.advance(500);
    const res = await call(admin.url, 'DELETE', executionPath('gone'));
    expect(res.status).toBe(400);
    expect(res.json.details[0].already_in_terminal_state.current_phase).toBe('ABORTED');
  });

  it('a seeded execution pinned in RUNNING can be terminated', async () => {
    admin.seed({ name: 'pinned', phase: 'RUNNING' });
    await call(admin.url, 'DELETE', executionPath('pinned'), { body: { cause: 'stop' } });
    expect((await closure('pinned')).phase).toBe('ABORTING');
  });

  it('a missing execution is 404 code 5; unknown body fields are 400', async () => {
    const missing = await call(admin.url, 'DELETE', executionPath('nope'), { body: { cause: 'x' } });
    const unknown = await call(admin.url, 'DELETE', executionPath('nope'), { body: { reason: 'x' } });
    expect(missing.status).toBe(404);
    expect(missing.json.code).toBe(5);
    expect(unknown.status).toBe(400);
    expect(unknown.json).toEqual({ code: 3, message: 'proto: unknown field "reason"', details: [] });
  });
});
