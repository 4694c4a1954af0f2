import { afterAll, describe, expect, it } from 'vitest';
import {
  createExecution,
  getExecution,
  getExecutionMetrics,
  listExecutions,
  recoverExecution,
  relaunchExecution,
  terminateExecution,
} from '../../src/catalog/flyte.js';
import type { Operation } from '../../src/catalog/operation.js';
import { operationRoute } from '../../src/http/operation-route.js';
import { createServices } from '../../src/services.js';
import {
  type GatewayRequestInit,
  jsonOf,
  recordingSink,
  requestFor,
  unitSettings,
  untouchableStream,
} from '../helpers/unit-factories.js';

// FLYTE_ENDPOINT is a dead port: a request that slipped past validation would answer 502.
const services = createServices(unitSettings({ MAX_JSON_BODY_BYTES: '1024' }));
afterAll(() => services.close());

const EXECUTIONS = '/v1/api/v1/executions';
const RUN = `${EXECUTIONS}/flytesnacks/development/run-1`;
const json = { 'content-type': 'application/json' };
const createBody = (overrides: Record<string, unknown> = {}) =>
  JSON.stringify({
    project: 'flytesnacks',
    domain: 'development',
    spec: {
      launch_plan: {
        resource_type: 'LAUNCH_PLAN',
        project: 'flytesnacks',
        domain: 'development',
        name: 'wf.lp',
        version: 'v1',
      },
    },
    ...overrides,
  });

interface Case {
  case: string;
  op: Operation;
  path: string;
  init?: Omit<GatewayRequestInit, 'params'>;
  status: number;
  type: string;
  paths?: string[];
}

const cases: Case[] = [
  {
    case: 'an upper-case execution name',
    op: getExecution,
    path: `${EXECUTIONS}/flytesnacks/development/MyRun`,
    status: 400,
    type: 'validation-failed',
    paths: ['params.id-name'],
  },
  {
    case: 'an encoded slash in the execution name',
    op: getExecution,
    path: `${EXECUTIONS}/flytesnacks/development/..%2Fx`,
    status: 400,
    type: 'validation-failed',
    paths: ['params.id-name'],
  },
  {
    case: 'a project off the allow-list',
    op: getExecution,
    path: `${EXECUTIONS}/other/development/run-1`,
    status: 403,
    type: 'forbidden',
  },
  {
    case: 'a zero limit and a bad filter',
    op: listExecutions,
    path: `${EXECUTIONS}/flytesnacks/development?limit=0&filters=foo(phase,1)`,
    status: 400,
    type: 'validation-failed',
    paths: ['query.limit', 'query.filters'],
  },
  {
    case: 'a metrics depth of 11',
    op: getExecutionMetrics,
    path: '/v1/api/v1/metrics/executions/flytesnacks/development/run-1?depth=11',
    status: 400,
    type: 'validation-failed',
    paths: ['query.depth'],
  },
  {
    case: 'a terminate body over MAX_JSON_BODY_BYTES',
    op: terminateExecution,
    path: RUN,
    init: { headers: json, body: JSON.stringify({ cause: 'c'.repeat(2049) }) },
    status: 413,
    type: 'payload-too-large',
  },
  {
    case: 'a terminate body with an unknown field',
    op: terminateExecution,
    path: RUN,
    init: { headers: json, body: '{"reason":"x"}' },
    status: 400,
    type: 'validation-failed',
    paths: ['body.reason'],
  },
  {
    case: 'malformed JSON',
    op: createExecution,
    path: EXECUTIONS,
    init: { headers: json, body: '{"project":' },
    status: 400,
    type: 'malformed-json',
  },
  {
    case: 'a text/plain body',
    op: createExecution,
    path: EXECUTIONS,
    init: { headers: { 'content-type': 'text/plain' }, body: createBody() },
    status: 415,
    type: 'unsupported-media-type',
  },
  {
    case: 'a body over MAX_JSON_BODY_BYTES with a lying Content-Length',
    op: createExecution,
    path: EXECUTIONS,
    init: {
      headers: { ...json, 'content-length': '100' },
      body: createBody({ inputs: { literals: { x: 'y'.repeat(2000) } } }),
    },
    status: 413,
    type: 'payload-too-large',
  },
  {
    case: 'no body',
    op: createExecution,
    path: EXECUTIONS,
    init: { headers: json },
    status: 400,
    type: 'validation-failed',
    paths: ['body'],
  },
  {
    case: 'a missing launch plan version and an unknown field',
    op: createExecution,
    path: EXECUTIONS,
    init: {
      headers: json,
      body: JSON.stringify({
        project: 'flytesnacks',
        domain: 'development',
        spec: {
          launch_plan: {
            resource_type: 'LAUNCH_PLAN',
            project: 'flytesnacks',
            domain: 'development',
            name: 'wf',
          },
        },
        priority: 1,
      }),
    },
    status: 400,
    type: 'validation-failed',
    paths: ['body.spec.launch_plan.version', 'body.priority'],
  },
  {
    case: 'a launch plan in a project off the allow-list',
    op: createExecution,
    path: EXECUTIONS,
    init: {
      headers: json,
      body: createBody({
        spec: {
          launch_plan: {
            resource_type: 'LAUNCH_PLAN',
            project: 'secret-proj',
            domain: 'development',
            name: 'wf',
            version: 'v1',
          },
        },
      }),
    },
    status: 403,
    type: 'forbidden',
  },
  {
    case: 'a relaunch in a project off the allow-list',
    op: relaunchExecution,
    path: `${EXECUTIONS}/relaunch`,
    init: { headers: json, body: '{"id":{"project":"other","domain":"development","name":"run-1"}}' },
    status: 403,
    type: 'forbidden',
  },
  {
    case: 'a recover without an id',
    op: recoverExecution,
    path: `${EXECUTIONS}/recover`,
    init: { headers: json, body: '{"name":"run-2"}' },
    status: 400,
    type: 'validation-failed',
    paths: ['body.id'],
  },
];

describe.each(cases)('$op.operationId with $case', ({ op, path, init, status, type, paths }) => {
  it(`answers ${status} ${type} before any upstream call`, async () => {
    // Prepare
    const sink = recordingSink();
    const request = requestFor(op, path, {
      ...init,
      headers: { 'x-request-id': 'case-1', ...init?.headers },
    });

    // Act
    const response = await operationRoute(op, () => services).handler(request, sink);

    // Assess
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.headers.get('x-request-id')).toBe('case-1');
    const body = await jsonOf(response);
    expect(body).toMatchObject({ type: `/problems/${type}`, status, correlationId: 'case-1' });
    expect(body.instance).toBe(path.split('?')[0]);
    if (paths) expect((body.errors as { path: string }[]).map((e) => e.path)).toStrictEqual(paths);
    expect(sink.lines.map((l) => [l.level, l.entry.event, l.entry.problem])).toStrictEqual([
      ['warn', 'request.refused', type],
    ]);
  });
});

describe('a terminate cause over 2048 characters under the default byte cap', () => {
  const roomy = createServices(unitSettings());
  afterAll(() => roomy.close());

  it('answers 400 naming body.cause', async () => {
    // Prepare
    const request = requestFor(terminateExecution, RUN, {
      headers: json,
      body: JSON.stringify({ cause: 'c'.repeat(2049) }),
    });

    // Act
    const response = await operationRoute(terminateExecution, () => roomy).handler(request, recordingSink());

    // Assess
    expect(response.status).toBe(400);
    expect(await jsonOf(response)).toMatchObject({
      type: '/problems/validation-failed',
      errors: [{ path: 'body.cause', message: 'must be at most 2048 characters' }],
    });
  });
});

describe('a declared Content-Length above MAX_JSON_BODY_BYTES', () => {
  it('is refused with 413 without reading the body', async () => {
    // Prepare
    const source = untouchableStream();
    const request = requestFor(createExecution, EXECUTIONS, {
      headers: { ...json, 'content-length': '1025' },
      body: source.stream,
    });

    // Act
    const response = await operationRoute(createExecution, () => services).handler(request, recordingSink());

    // Assess
    expect(response.status).toBe(413);
    expect(await jsonOf(response)).toMatchObject({ type: '/problems/payload-too-large' });
    expect(source.pulls()).toBe(0);
    expect(source.cancelled()).toBe(true);
  });
});
