import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FlyteAdminEmulator, startFlyteAdminEmulator } from '../../sandbox/flyte-admin/index.js';
import {
  call,
  createBody,
  DOMAIN,
  EXECUTIONS,
  executionPath,
  manualClock,
  PROJECT,
} from './helpers/admin-client.js';

const clock = manualClock();
let admin: FlyteAdminEmulator;

beforeAll(async () => {
  admin = await startFlyteAdminEmulator({ now: clock.now, phaseDelaysMs: { queued: 100, running: 1_000 } });
});
afterAll(() => admin.close());
beforeEach(async () => {
  admin.reset();
  await call(admin.url, 'POST', EXECUTIONS, {
    body: createBody('nightly-etl-0001', {
      labels: { values: { team: 'data' } },
      inputs: { literals: { batch_size: { scalar: { primitive: { integer: '500' } } } } },
    }),
  });
});

const source = { project: PROJECT, domain: DOMAIN, name: 'nightly-etl-0001' };
const get = async (name: string) => (await call(admin.url, 'GET', executionPath(name))).json;

describe('RelaunchExecution', () => {
  it('copies the spec with mode RELAUNCH, a reference to the source and a generated name', async () => {
    // Act
    const res = await call(admin.url, 'POST', `${EXECUTIONS}/relaunch`, {
      body: { id: source, overwrite_cache: true },
    });
    // Assess
    expect(res.status).toBe(200);
    expect(res.json.id).toMatchObject({ project: PROJECT, domain: DOMAIN, org: '' });
    expect(res.json.id.name).toMatch(/^a[bcdfghjklmnpqrstvwxz2456789]{19}$/);
    const relaunched = await get(res.json.id.name);
    expect(relaunched.spec.metadata.mode).toBe('RELAUNCH');
    expect(relaunched.spec.metadata.reference_execution).toEqual({ ...source, org: '' });
    expect(relaunched.spec.overwrite_cache).toBe(true);
    expect(relaunched.spec.labels).toEqual({ values: { team: 'data' } });
    expect(relaunched.spec.launch_plan.name).toBe('etl.pipeline.nightly');
    expect(relaunched.spec.inputs.literals.batch_size.scalar.primitive.integer).toBe('500');
    expect(relaunched.closure.phase).toBe('UNDEFINED');
  });

  it('accepts camelCase and relaunches even a RUNNING source (no phase check)', async () => {
    clock.advance(200);
    expect((await get('nightly-etl-0001')).closure.phase).toBe('RUNNING');
    const res = await call(admin.url, 'POST', `${EXECUTIONS}/relaunch`, {
      body: { id: source, name: 'nightly-etl-0001-again', overwriteCache: false },
    });
    expect(res.status).toBe(200);
    expect(res.json.id.name).toBe('nightly-etl-0001-again');
    expect((await get('nightly-etl-0001-again')).spec.overwrite_cache).toBe(false);
  });

  it('a duplicate new name is 409 and a missing source is 404', async () => {
    const duplicate = await call(admin.url, 'POST', `${EXECUTIONS}/relaunch`, {
      body: { id: source, name: 'nightly-etl-0001' },
    });
    const missing = await call(admin.url, 'POST', `${EXECUTIONS}/relaunch`, {
      body: { id: { ...source, name: 'nope' } },
    });
    expect(duplicate.status).toBe(409);
    expect(duplicate.json.code).toBe(6);
    expect(missing.status).toBe(404);
    expect(missing.json.message).toBe(
      'missing entity of type execution with identifier project:"flytesnacks" domain:"development" name:"nope"',
    );
  });

  it('a bad new name is 400 like on create', async () => {
    const res = await call(admin.url, 'POST', `${EXECUTIONS}/relaunch`, {
      body: { id: source, name: 'Bad Name' },
    });
    expect(res.status).toBe(400);
    expect(res.json.message).toMatch(/^invalid name format: Bad Name/);
  });
});

describe('RecoverExecution', () => {
  it('copies the spec with mode RECOVERED under the requested name', async () => {
    // Prepare: a failed source, seeded
    admin.seed({ name: 'failed-run', phase: 'FAILED', mode: 'SCHEDULED' });
    // Act
    const res = await call(admin.url, 'POST', `${EXECUTIONS}/recover`, {
      body: {
        id: { ...source, name: 'failed-run' },
        name: 'failed-run-r1',
        metadata: { parent_node_execution: { node_id: 'n3', execution_id: { ...source, name: 'parent' } } },
      },
    });
    // Assess
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ id: { ...source, name: 'failed-run-r1', org: '' } });
    const recovered = await get('failed-run-r1');
    expect(recovered.spec.metadata).toMatchObject({
      mode: 'RECOVERED',
      reference_execution: { ...source, name: 'failed-run', org: '' },
      parent_node_execution: { node_id: 'n3', execution_id: { ...source, name: 'parent', org: '' } },
    });
    expect(recovered.spec.launch_plan.name).toBe('sandbox.workflows.hello');
  });

  it('a second recover with the same name is 409; an unknown body field is 400', async () => {
    const body = { id: source, name: 'recovered-once' };
    const first = await call(admin.url, 'POST', `${EXECUTIONS}/recover`, { body });
    const second = await call(admin.url, 'POST', `${EXECUTIONS}/recover`, { body });
    const unknown = await call(admin.url, 'POST', `${EXECUTIONS}/recover`, {
      body: { ...body, overwrite_cache: true },
    });
    expect([first.status, second.status, unknown.status]).toEqual([200, 409, 400]);
    expect(unknown.json.message).toBe('proto: unknown field "overwrite_cache"');
  });

  it('a missing source is 404 code 5', async () => {
    const res = await call(admin.url, 'POST', `${EXECUTIONS}/recover`, {
      body: { id: { ...source, name: 'ghost' } },
    });
    expect(res.status).toBe(404);
    expect(res.json.code).toBe(5);
  });
});
