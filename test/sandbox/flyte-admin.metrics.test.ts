import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FlyteAdminEmulator, startFlyteAdminEmulator } from '../../sandbox/flyte-admin/index.js';
import { call, createBody, DOMAIN, EXECUTIONS, manualClock, PROJECT } from './helpers/admin-client.js';

const clock = manualClock(Date.UTC(2026, 0, 15, 2, 0, 0, 51));
let admin: FlyteAdminEmulator;
const METRICS = '/api/v1/metrics/executions';
const workflowId = (name: string) => ({ project: PROJECT, domain: DOMAIN, name, org: '' });

beforeAll(async () => {
  admin = await startFlyteAdminEmulator({
    now: clock.now,
    phaseDelaysMs: { queued: 3_361, running: 754_120 },
  });
  await call(admin.url, 'POST', EXECUTIONS, { body: createBody('finished') });
  clock.advance(3_361 + 754_120);
  await call(admin.url, 'POST', EXECUTIONS, { body: createBody('waiting') });
});
afterAll(() => admin.close());

const metrics = (name: string, depth?: number, accept?: string) =>
  call(
    admin.url,
    'GET',
    `${METRICS}/${PROJECT}/${DOMAIN}/${name}${depth === undefined ? '' : `?depth=${depth}`}`,
    {
      accept,
    },
  );

type Span = { operation_id?: string; node_id?: unknown; task_id?: unknown; spans: Span[] };
const shape = (span: Span): unknown =>
  span.operation_id ??
  (span.node_id ? { node: span.spans.map(shape) } : span.task_id ? { task: span.spans.map(shape) } : '?');

describe('GetExecutionMetrics', () => {
  it('depth 0 (the default) is the root span only, created_at → updated_at', async () => {
    const res = await metrics('finished');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      span: {
        start_time: '2026-01-15T02:00:00.051Z',
        end_time: '2026-01-15T02:12:37.532Z',
        workflow_id: workflowId('finished'),
        spans: [],
      },
    });
  });

  it.each([
    [1, ['WORKFLOW_SETUP', { node: [] }, 'WORKFLOW_TEARDOWN']],
    [2, ['WORKFLOW_SETUP', { node: ['NODE_SETUP', 'NODE_TEARDOWN'] }, 'WORKFLOW_TEARDOWN']],
    [
      3,
      [
        'WORKFLOW_SETUP',
        { node: ['NODE_SETUP', { task: ['TASK_SETUP', 'TASK_RUNTIME', 'TASK_TEARDOWN'] }, 'NODE_TEARDOWN'] },
        'WORKFLOW_TEARDOWN',
      ],
    ],
    [
      -1,
      [
        'WORKFLOW_SETUP',
        { node: ['NODE_SETUP', { task: ['TASK_SETUP', 'TASK_RUNTIME', 'TASK_TEARDOWN'] }, 'NODE_TEARDOWN'] },
        'WORKFLOW_TEARDOWN',
      ],
    ],
  ])('depth %i expands to %j', async (depth, expected) => {
    const { json } = await metrics('finished', depth);
    expect(json.span.spans.map(shape)).toEqual(expected);
  });

  it('child spans are nested in time and carry typed ids', async () => {
    const { json } = await metrics('finished', 3);
    const [setup, node, teardown] = json.span.spans;
    expect(setup).toEqual({
      start_time: '2026-01-15T02:00:00.051Z',
      end_time: '2026-01-15T02:00:03.412Z',
      operation_id: 'WORKFLOW_SETUP',
      spans: [],
    });
    expect(node.node_id).toEqual({ node_id: 'n0', execution_id: workflowId('finished') });
    expect(teardown.end_time).toBe('2026-01-15T02:12:37.532Z');
    const task = node.spans[1];
    expect(task.task_id).toEqual({
      task_id: {
        resource_type: 'TASK',
        project: PROJECT,
        domain: DOMAIN,
        name: 'etl.pipeline.nightly.n0',
        version: 'v42',
        org: '',
      },
      node_execution_id: { node_id: 'n0', execution_id: workflowId('finished') },
      retry_attempt: 0,
    });
    expect(Date.parse(task.start_time)).toBeGreaterThanOrEqual(Date.parse(node.start_time));
    expect(Date.parse(task.end_time)).toBeLessThanOrEqual(Date.parse(node.end_time));
  });

  it('an execution that has not started is all workflow set-up', async () => {
    const { json } = await metrics('waiting', 5);
    expect(json.span.spans).toEqual([
      {
        start_time: '2026-01-15T02:12:37.532Z',
        end_time: '2026-01-15T02:12:37.532Z',
        operation_id: 'WORKFLOW_SETUP',
        spans: [],
      },
    ]);
  });

  it('camelCase with Accept */*; 404 for a missing execution; 400 for a bad depth', async () => {
    const camel = await metrics('finished', 1, '*/*');
    const missing = await metrics('ghost', 1);
    const bad = await call(admin.url, 'GET', `${METRICS}/${PROJECT}/${DOMAIN}/finished?depth=deep`);
    expect(camel.json.span.workflowId).toEqual(workflowId('finished'));
    expect(camel.json.span.spans[0]).toMatchObject({
      operationId: 'WORKFLOW_SETUP',
      startTime: '2026-01-15T02:00:00.051Z',
    });
    expect(camel.json.span.spans[1].nodeId.executionId.name).toBe('finished');
    expect(missing.status).toBe(404);
    expect(missing.json.code).toBe(5);
    expect(bad.status).toBe(400);
    expect(bad.json).toEqual({
      code: 3,
      message: 'strconv.ParseInt: parsing "deep": invalid syntax',
      details: [],
    });
  });
});
