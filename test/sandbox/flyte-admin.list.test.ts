import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FlyteAdminEmulator, startFlyteAdminEmulator } from '../../sandbox/flyte-admin/index.js';
import { call, createBody, DOMAIN, EXECUTIONS, manualClock, PROJECT } from './helpers/admin-client.js';

const clock = manualClock(Date.UTC(2026, 0, 15, 0, 0, 0));
const HOUR = 3_600_000;
let admin: FlyteAdminEmulator;

beforeAll(async () => {
  admin = await startFlyteAdminEmulator({ now: clock.now, phaseDelaysMs: { queued: 100, running: 1_000 } });
});
afterAll(() => admin.close());

/** GET the list with properly encoded query parameters (a raw `+` or `;` would break the filter). */
async function list(params: Record<string, string>, domain = DOMAIN, accept?: string) {
  const query = new URLSearchParams(params).toString();
  return call(admin.url, 'GET', `${EXECUTIONS}/${PROJECT}/${domain}?${query}`, { accept });
}

const names = (res: { json: { executions: Array<{ id: { name: string } }> } }) =>
  res.json.executions.map((execution) => execution.id.name);

describe('paging', () => {
  beforeEach(() => {
    admin.reset();
    const base = clock.value - 10 * HOUR;
    admin.seed(
      ['run-1', 'run-2', 'run-3', 'run-4', 'run-5'].map((name, i) => ({ name, createdAt: base + i * HOUR })),
    );
    admin.seed(['stage-1', 'stage-2', 'stage-3', 'stage-4'].map((name) => ({ name, domain: 'staging' })));
  });

  it('returns offset tokens only for full pages', async () => {
    const first = await list({ limit: '2' });
    const second = await list({ limit: '2', token: first.json.token });
    const third = await list({ limit: '2', token: second.json.token });
    expect([names(first), first.json.token]).toEqual([['run-1', 'run-2'], '2']);
    expect([names(second), second.json.token]).toEqual([['run-3', 'run-4'], '4']);
    expect([names(third), third.json.token]).toEqual([['run-5'], '']);
  });

  it('a last full page is followed by one empty page', async () => {
    const second = await list({ limit: '2', token: '2' }, 'staging');
    const empty = await list({ limit: '2', token: second.json.token }, 'staging');
    expect([names(second), second.json.token]).toEqual([['stage-3', 'stage-4'], '4']);
    expect(empty.status).toBe(200);
    expect(empty.json).toEqual({ executions: [], token: '' });
  });

  it.each([
    [{}, 'invalid value for limit'],
    [{ limit: '0' }, 'invalid value for limit'],
    [{ limit: 'abc' }, 'strconv.ParseUint: parsing "abc": invalid syntax'],
    [{ limit: '2', token: '-1' }, 'invalid pagination token -1 for ListExecutions'],
    [{ limit: '2', token: 'abc' }, 'invalid pagination token abc for ListExecutions'],
    [{ limit: '1', 'sort_by.direction': 'ASCENDING' }, "invalid sort key ''"],
    [{ limit: '1', 'sort_by.key': 'nope' }, "invalid sort key 'nope'"],
    [
      { limit: '1', 'sort_by.key': 'phase', 'sort_by.direction': 'SIDEWAYS' },
      '"SIDEWAYS" is not a valid value',
    ],
  ])('%j is 400 code 3', async (params, message) => {
    const res = await list(params as Record<string, string>);
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ code: 3, message, details: [] });
  });

  it('an unknown project is not checked: the list is just empty', async () => {
    const res = await call(admin.url, 'GET', `${EXECUTIONS}/no-such-project/${DOMAIN}?limit=10`);
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ executions: [], token: '' });
  });

  it('id.name adds an equality filter', async () => {
    const res = await list({ limit: '10', 'id.name': 'run-3' });
    expect(names(res)).toEqual(['run-3']);
  });

  it('camelCase answers with Accept */*', async () => {
    const res = await list({ limit: '1' }, DOMAIN, '*/*');
    expect(res.json.token).toBe('1');
    expect(res.json.executions[0].closure.createdAt).toBe('2026-01-14T14:00:00Z');
    expect(res.json.executions[0].spec.launchPlan.name).toBe('sandbox.workflows.hello');
  });
});

describe('sorting', () => {
  beforeAll(() => {
    admin.reset();
    admin.seed([
      { name: 'bravo', createdAt: clock.value - 3 * HOUR },
      { name: 'alpha', createdAt: clock.value - 1 * HOUR },
      { name: 'charlie', createdAt: clock.value - 2 * HOUR },
    ]);
  });

  it.each([
    [{ 'sort_by.key': 'execution_name', 'sort_by.direction': 'ASCENDING' }, ['alpha', 'bravo', 'charlie']],
    [{ 'sort_by.key': 'execution_name' }, ['charlie', 'bravo', 'alpha']],
    [{ 'sort_by.key': 'created_at', 'sort_by.direction': 'DESCENDING' }, ['alpha', 'charlie', 'bravo']],
    [{ 'sort_by.key': 'execution_created_at', 'sort_by.direction': '1' }, ['bravo', 'charlie', 'alpha']],
    [{}, ['bravo', 'alpha', 'charlie']],
  ])('%j orders as %j', async (params: Record<string, string>, expected) => {
    expect(names(await list({ limit: '10', ...params }))).toEqual(expected);
  });
});

describe('filters', () => {
  beforeAll(() => {
    admin.reset();
    const t = clock.value;
    admin.seed([
      { name: 'running-1', phase: 'RUNNING', createdAt: t - 5 * HOUR, principal: 'alice' },
      { name: 'succeeded-1', phase: 'SUCCEEDED', createdAt: t - 4 * HOUR, updatedAt: t - 4 * HOUR + 60_000 },
      { name: 'failed-1', phase: 'FAILED', createdAt: t - 3 * HOUR, launchPlan: { name: 'etl.daily' } },
      { name: 'timed-out-1', phase: 'TIMED_OUT', createdAt: t - 2 * HOUR, mode: 'RELAUNCH' },
      { name: 'fresh-1', createdAt: t, labels: { team: 'ml' } },
    ]);
  });

  it.each([
    ['eq(phase,RUNNING)', ['running-1']],
    ['ne(phase,SUCCEEDED)', ['running-1', 'failed-1', 'timed-out-1', 'fresh-1']],
    ['value_in(phase,FAILED;TIMED_OUT)', ['failed-1', 'timed-out-1']],
    ['value_not_in(phase,FAILED;TIMED_OUT;UNDEFINED)', ['running-1', 'succeeded-1']],
    ['eq(phase,UNDEFINED)', ['fresh-1']],
    ['gte(execution_created_at,2026-01-14T22:00:00Z)', ['timed-out-1', 'fresh-1']],
    ['lt(execution_created_at,2026-01-14T21:00:00Z)', ['running-1', 'succeeded-1']],
    ['contains(execution_name,-out-)', ['timed-out-1']],
    ['eq(launch_plan.name,etl.daily)', ['failed-1']],
    ['eq(workflow.name,sandbox.workflows.hello)', ['running-1', 'succeeded-1', 'timed-out-1', 'fresh-1']],
    ['eq(mode,3)', ['timed-out-1']],
    ['eq(user,alice)', ['running-1']],
    ['eq(execution_tag.key,team)', ['fresh-1']],
    ['gt(duration,59)', ['succeeded-1']],
    ['eq(state,1)', []],
    ['ne(phase,RUNNING)+lte(execution_created_at,2026-01-14T21:00:00Z)', ['succeeded-1', 'failed-1']],
  ])('%s', async (filters, expected) => {
    const res = await list({ limit: '10', filters });
    expect(res.status).toBe(200);
    expect(names(res)).toEqual(expected);
  });

  it('the phase of a progressing execution is evaluated at request time', async () => {
    clock.advance(100);
    const res = await list({ limit: '10', filters: 'eq(phase,RUNNING)' });
    clock.advance(-100);
    expect(names(res)).toEqual(['running-1', 'fresh-1']);
  });

  it.each([
    ['phase=RUNNING', 'invalid value for filters'],
    ['foo(phase,RUNNING)', 'unrecognized filter function: foo'],
    ['eq(nope,RUNNING)', "'e.nope' is invalid filter"],
    ['eq(name,running-1)', "'e.name' is invalid filter"],
    ['eq(project.name,x)', "'p' entity is not allowed in filters"],
    ['eq(duration,forever)', 'Failed to parse duration [forever]'],
  ])('%s is 400 code 3', async (filters, message) => {
    const res = await list({ limit: '10', filters });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ code: 3, message, details: [] });
  });

  it('a value the column cannot hold fails like the database would (500 code 2)', async () => {
    const res = await list({ limit: '10', filters: 'eq(mode,RELAUNCH)' });
    expect(res.status).toBe(500);
    expect(res.json).toEqual({
      code: 2,
      message: 'failed database operation with invalid input syntax for type bigint: "RELAUNCH"',
      details: [],
    });
  });

  it('a raw semicolon in the query is rejected as Go does', async () => {
    const res = await call(
      admin.url,
      'GET',
      `${EXECUTIONS}/${PROJECT}/${DOMAIN}?limit=10&filters=value_in(phase,A;B)`,
    );
    expect(res.status).toBe(400);
    expect(res.json.message).toBe('invalid semicolon separator in query');
  });
});

describe('list items', () => {
  it('force spec.inputs and closure.computed_inputs to null and trim error messages to 100 bytes', async () => {
    // Prepare
    admin.reset();
    await call(admin.url, 'POST', EXECUTIONS, {
      body: createBody('with-inputs', {
        inputs: { literals: { n: { scalar: { primitive: { integer: '1' } } } } },
      }),
    });
    admin.seed({
      name: 'long-error',
      phase: 'FAILED',
      failure: { code: 'USER:ValueError', kind: 'USER', message: `é${'x'.repeat(200)}` },
    });
    // Act
    const res = await list({ limit: '10' });
    const get = await call(admin.url, 'GET', `${EXECUTIONS}/${PROJECT}/${DOMAIN}/with-inputs`);
    // Assess
    const [withInputs, failed] = res.json.executions;
    expect(get.json.spec.inputs.literals.n.scalar.primitive.integer).toBe('1');
    expect(withInputs.spec.inputs).toBeNull();
    expect(withInputs.closure.computed_inputs).toBeNull();
    expect(Buffer.byteLength(failed.closure.error.message)).toBe(100);
    expect(failed.closure.error.message).toBe(`é${'x'.repeat(98)}`);
  });
});
