import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FlyteAdminEmulator, startFlyteAdminEmulator } from '../../sandbox/flyte-admin/index.js';
import {
  call,
  createBody,
  DOMAIN,
  EXECUTIONS,
  executionPath,
  launchPlan,
  manualClock,
  PROJECT,
} from './helpers/admin-client.js';

const clock = manualClock();
let admin: FlyteAdminEmulator;

beforeAll(async () => {
  admin = await startFlyteAdminEmulator({ now: clock.now, phaseDelaysMs: { queued: 50, running: 200 } });
});
afterAll(() => admin.close());
beforeEach(() => admin.reset());

const OLD_STYLE_INPUTS = {
  literals: {
    batch_size: { scalar: { primitive: { integer: 500 } } },
    region: { scalar: { primitive: { string_value: 'westeurope' } } },
    run_date: { scalar: { primitive: { datetime: '2026-01-15T01:00:00+01:00' } } },
  },
};

describe('CreateExecution → GetExecution', () => {
  it('returns the id with an empty org', async () => {
    // Act
    const res = await call(admin.url, 'POST', EXECUTIONS, { body: createBody('nightly-etl-0001') });
    // Assess
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.json).toEqual({ id: { project: PROJECT, domain: DOMAIN, name: 'nightly-etl-0001', org: '' } });
  });

  it('with Accept: application/json answers snake_case with every default emitted', async () => {
    // Prepare
    await call(admin.url, 'POST', EXECUTIONS, {
      body: createBody('nightly-etl-0002', {
        labels: { values: { team_name: 'data' } },
        metadata: { mode: 'MANUAL' },
      }),
    });
    // Act
    const { json, status } = await call(admin.url, 'GET', executionPath('nightly-etl-0002'));
    // Assess
    expect(status).toBe(200);
    expect(json.id).toEqual({ project: PROJECT, domain: DOMAIN, name: 'nightly-etl-0002', org: '' });
    expect(json.spec.launch_plan).toEqual({ ...launchPlan(), org: '' });
    expect(json.spec.inputs).toBeNull();
    expect(json.spec.metadata).toEqual({
      mode: 'MANUAL',
      principal: '',
      nesting: 0,
      scheduled_at: null,
      parent_node_execution: null,
      reference_execution: null,
      system_metadata: { execution_cluster: '', namespace: 'flytesnacks-development' },
      artifact_ids: [],
    });
    expect(json.spec.labels).toEqual({ values: { team_name: 'data' } });
    expect(json.spec.annotations).toEqual({ values: {} });
    expect(json.spec.security_context).toEqual({
      run_as: { iam_role: '', k8s_service_account: '', oauth2_client: null, execution_identity: '' },
      secrets: [],
      tokens: [],
    });
    expect(json.spec).toMatchObject({
      auth_role: null,
      quality_of_service: null,
      max_parallelism: 25,
      raw_output_data_config: { output_location_prefix: '' },
      cluster_assignment: null,
      interruptible: null,
      overwrite_cache: false,
      envs: { values: [] },
      tags: [],
      execution_cluster_label: null,
      execution_env_assignments: [],
    });
    // Unset oneofs are omitted entirely, not null.
    expect(Object.keys(json.spec)).not.toContain('notifications');
    expect(Object.keys(json.spec)).not.toContain('disable_all');
    expect(json.closure).toEqual({
      computed_inputs: null,
      phase: 'UNDEFINED',
      started_at: null,
      duration: null,
      created_at: '2026-01-15T02:00:00.051Z',
      updated_at: '2026-01-15T02:00:00.051Z',
      notifications: [],
      workflow_id: {
        resource_type: 'WORKFLOW',
        project: PROJECT,
        domain: DOMAIN,
        name: 'etl.pipeline.nightly',
        version: 'v42',
        org: '',
      },
      state_change_details: {
        state: 'EXECUTION_ACTIVE',
        occurred_at: '2026-01-15T02:00:00.051Z',
        principal: '',
      },
    });
  });

  it('with Accept: */* answers lowerCamelCase but keeps map keys (labels, literal names) as sent', async () => {
    // Prepare: old clients put inputs in the spec, where Get shows them.
    await call(admin.url, 'POST', EXECUTIONS, {
      body: createBody('camel-case-1', {
        labels: { values: { team_name: 'data' } },
        inputs: OLD_STYLE_INPUTS,
      }),
    });
    // Act
    const { json } = await call(admin.url, 'GET', executionPath('camel-case-1'), { accept: '*/*' });
    // Assess
    expect(json.spec.launchPlan).toEqual({
      resourceType: 'LAUNCH_PLAN',
      project: PROJECT,
      domain: DOMAIN,
      name: 'etl.pipeline.nightly',
      version: 'v42',
      org: '',
    });
    expect(json.spec.labels).toEqual({ values: { team_name: 'data' } });
    expect(json.spec.metadata.systemMetadata).toEqual({
      executionCluster: '',
      namespace: 'flytesnacks-development',
    });
    expect(json.spec.securityContext.runAs.k8sServiceAccount).toBe('');
    expect(json.spec.maxParallelism).toBe(25);
    expect(json.closure.createdAt).toBe('2026-01-15T02:00:00.051Z');
    expect(json.closure.workflowId.resourceType).toBe('WORKFLOW');
    expect(json.closure.stateChangeDetails.occurredAt).toBe('2026-01-15T02:00:00.051Z');
    expect(json.spec.inputs.literals.batch_size).toEqual({
      scalar: { primitive: { integer: '500' } },
      hash: '',
      metadata: {},
    });
    expect(json.spec.inputs.literals.region.scalar.primitive).toEqual({ stringValue: 'westeurope' });
    // Timestamps are normalised to UTC.
    expect(json.spec.inputs.literals.run_date.scalar.primitive).toEqual({ datetime: '2026-01-15T00:00:00Z' });
    expect(Object.keys(json.spec)).not.toContain('launch_plan');
  });

  it('accepts camelCase request fields and enum numbers', async () => {
    // Act
    const res = await call(admin.url, 'POST', EXECUTIONS, {
      body: {
        project: PROJECT,
        domain: DOMAIN,
        name: 'camel-input',
        spec: {
          launchPlan: { ...launchPlan({ resource_type: undefined }), resourceType: 3 },
          overwriteCache: true,
        },
      },
    });
    const { json } = await call(admin.url, 'GET', executionPath('camel-input'));
    // Assess
    expect(res.status).toBe(200);
    expect(json.spec.launch_plan.resource_type).toBe('LAUNCH_PLAN');
    expect(json.spec.overwrite_cache).toBe(true);
  });

  it('a generated name is "a" plus 19 characters of the k8s alphabet', async () => {
    const res = await call(admin.url, 'POST', EXECUTIONS, { body: createBody() });
    expect(res.status).toBe(200);
    expect(res.json.id.name).toMatch(/^a[bcdfghjklmnpqrstvwxz2456789]{19}$/);
  });

  it('overwrites spec.metadata.principal (anonymous without auth)', async () => {
    await call(admin.url, 'POST', EXECUTIONS, {
      body: createBody('principal-1', { metadata: { principal: 'mallory' } }),
    });
    const { json } = await call(admin.url, 'GET', executionPath('principal-1'));
    expect(json.spec.metadata.principal).toBe('');
  });
});

describe('CreateExecution errors', () => {
  it('a duplicate name is 409 code 6', async () => {
    // Prepare
    await call(admin.url, 'POST', EXECUTIONS, { body: createBody('dup-1') });
    // Act
    const res = await call(admin.url, 'POST', EXECUTIONS, { body: createBody('dup-1') });
    // Assess
    expect(res.status).toBe(409);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.json).toEqual({
      code: 6,
      message:
        'value with matching already exists (duplicate key value violates unique constraint "executions_pkey")',
      details: [],
    });
  });

  it.each([
    ['12345', "invalid name format: 12345, does not match regex '^[a-z][a-z\\-0-9]*$'"],
    ['MyRun', "invalid name format: MyRun, does not match regex '^[a-z][a-z\\-0-9]*$'"],
    ['bad_name', "invalid name format: bad_name, does not match regex '^[a-z][a-z\\-0-9]*$'"],
    ['a'.repeat(64), `size of name exceeded length 63 : ${'a'.repeat(64)}`],
  ])('name %s is 400 code 3', async (name, message) => {
    const res = await call(admin.url, 'POST', EXECUTIONS, { body: createBody(name) });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ code: 3, message, details: [] });
  });

  it('a 63-character name is accepted', async () => {
    const res = await call(admin.url, 'POST', EXECUTIONS, { body: createBody(`a${'-'.repeat(61)}z`) });
    expect(res.status).toBe(200);
  });

  it.each([
    [
      { project: 'unknown-project' },
      'failed to validate that project [unknown-project] and domain [development] are registered, err: [project [unknown-project] not found]',
    ],
    [{ domain: 'qa' }, 'domain [qa] is unrecognized by system'],
    [{ project: '' }, 'missing project'],
    [{ spec: undefined }, 'missing spec'],
    [{ spec: { metadata: {} } }, 'missing id'],
    [{ spec: { launch_plan: launchPlan({ version: '' }) } }, 'missing version'],
    [
      { spec: { launch_plan: launchPlan({ resource_type: 'WORKFLOW' }) } },
      'Invalid reference entity resource type [WORKFLOW], only [map[TASK:<nil> LAUNCH_PLAN:<nil>]] allowed',
    ],
  ])('%j is 400 code 3', async (override, message) => {
    const res = await call(admin.url, 'POST', EXECUTIONS, {
      body: { ...createBody('bad-request'), ...override },
    });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ code: 3, message, details: [] });
  });

  it('unknown body fields are 400 with Content-Type application/json and ignored otherwise', async () => {
    // Act
    const strict = await call(admin.url, 'POST', EXECUTIONS, {
      body: { ...createBody('unknown-1'), colour: 'red' },
    });
    const lenient = await call(admin.url, 'POST', EXECUTIONS, {
      body: { ...createBody('unknown-2'), colour: 'red' },
      contentType: 'text/plain',
    });
    // Assess
    expect(strict.status).toBe(400);
    expect(strict.json).toEqual({ code: 3, message: 'proto: unknown field "colour"', details: [] });
    expect(lenient.status).toBe(200);
    expect(lenient.json.id.name).toBe('unknown-2');
  });

  it('malformed JSON and wrong field types are 400 code 3', async () => {
    const syntax = await call(admin.url, 'POST', EXECUTIONS, { rawBody: '{"project":' });
    const type = await call(admin.url, 'POST', EXECUTIONS, { body: { ...createBody('typed'), name: 7 } });
    expect(syntax.status).toBe(400);
    expect(syntax.json.code).toBe(3);
    expect(type.status).toBe(400);
    expect(type.json.message).toBe('proto: invalid value for string field name: 7');
  });

  it('GetExecution of a missing execution is 404 code 5', async () => {
    const res = await call(admin.url, 'GET', executionPath('nope'));
    expect(res.status).toBe(404);
    expect(res.json).toEqual({
      code: 5,
      message:
        'missing entity of type execution with identifier project:"flytesnacks" domain:"development" name:"nope"',
      details: [],
    });
  });
});
