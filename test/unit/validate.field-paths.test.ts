import { describe, expect, it } from 'vitest';
import {
  createExecution,
  getExecution,
  getExecutionMetrics,
  listExecutions,
  recoverExecution,
  relaunchExecution,
  terminateExecution,
} from '../../src/catalog/flyte.js';
import { type Operation, operation } from '../../src/catalog/operation.js';
import { type RawInput, validateInput } from '../../src/catalog/validate.js';
import {
  executionPathSchema,
  metricsQuerySchema,
  terminateExecutionBodySchema,
} from '../../src/flyte/schemas.js';
import type { FieldError } from '../../src/problems/errors.js';
import { thrownBy, unitSettings } from '../helpers/unit-factories.js';

const settings = unitSettings();
const PATH = { 'id-project': 'flytesnacks', 'id-domain': 'development', 'id-name': 'run-1' };
const launchPlan = {
  resource_type: 'LAUNCH_PLAN',
  project: 'flytesnacks',
  domain: 'development',
  name: 'wf.lp',
};
const fieldErrors = (error: unknown) => (error as { errors: FieldError[] }).errors;

describe('a valid request', () => {
  it('comes back parsed, with the list defaults applied and the filters repaired', () => {
    // Act
    const input = validateInput(
      listExecutions,
      {
        params: { 'id-project': 'flytesnacks', 'id-domain': 'development' },
        query: { filters: 'eq(phase,RUNNING) ne(mode,1)' },
        body: undefined,
      },
      settings,
    );

    // Assess
    expect(input).toStrictEqual({
      params: { 'id-project': 'flytesnacks', 'id-domain': 'development' },
      query: { limit: 100, filters: 'eq(phase,RUNNING)+ne(mode,1)' },
      body: undefined,
    });
  });

  it('keeps pass-through spec fields of a create body', () => {
    // Prepare
    const body = {
      project: 'flytesnacks',
      domain: 'development',
      spec: { launch_plan: { ...launchPlan, version: 'v1' }, labels: { values: { team: 'ml' } } },
    };

    // Act
    const input = validateInput(createExecution, { params: {}, query: {}, body }, settings);

    // Assess
    expect(input.body).toStrictEqual(body);
  });
});

describe.each<{ case: string; op: Operation; raw: RawInput; expected: FieldError[] }>([
  {
    case: 'a bad execution name',
    op: getExecution,
    raw: { params: { ...PATH, 'id-name': 'MyRun' }, query: {}, body: undefined },
    expected: [
      {
        path: 'params.id-name',
        message: 'must match ^[a-z][a-z0-9-]*$ (lower-case letter first, then lower-case letters, digits, -)',
      },
    ],
  },
  {
    case: 'a missing route param',
    op: getExecution,
    raw: { params: { 'id-project': 'flytesnacks', 'id-domain': 'development' }, query: {}, body: undefined },
    expected: [{ path: 'params.id-name', message: 'is required (string)' }],
  },
  {
    case: 'an extra route param',
    op: getExecution,
    raw: { params: { ...PATH, extra: 'x' }, query: {}, body: undefined },
    expected: [{ path: 'params.extra', message: 'is not a known field' }],
  },
  {
    case: 'a missing launch plan version',
    op: createExecution,
    raw: {
      params: {},
      query: {},
      body: { project: 'flytesnacks', domain: 'development', spec: { launch_plan: launchPlan } },
    },
    expected: [{ path: 'body.spec.launch_plan.version', message: 'is required (string)' }],
  },
  {
    case: 'no body at all',
    op: createExecution,
    raw: { params: {}, query: {}, body: undefined },
    expected: [{ path: 'body', message: 'is required (object)' }],
  },
  {
    case: 'unknown body fields',
    op: createExecution,
    raw: {
      params: {},
      query: {},
      body: {
        project: 'flytesnacks',
        domain: 'development',
        spec: { launch_plan: { ...launchPlan, version: 'v1' } },
        dry_run: true,
        owner: 'me',
      },
    },
    expected: [
      { path: 'body.dry_run', message: 'is not a known field' },
      { path: 'body.owner', message: 'is not a known field' },
    ],
  },
  {
    case: 'an unknown field inside the relaunch id',
    op: relaunchExecution,
    raw: {
      params: {},
      query: {},
      body: { id: { project: 'flytesnacks', domain: 'development', name: 'run-1', version: 'v1' } },
    },
    expected: [{ path: 'body.id.version', message: 'is not a known field' }],
  },
  {
    case: 'a missing recover id name',
    op: recoverExecution,
    raw: { params: {}, query: {}, body: { id: { project: 'flytesnacks', domain: 'development' } } },
    expected: [{ path: 'body.id.name', message: 'is required (string)' }],
  },
  {
    case: 'a zero limit',
    op: listExecutions,
    raw: {
      params: { 'id-project': 'flytesnacks', 'id-domain': 'development' },
      query: { limit: '0' },
      body: undefined,
    },
    expected: [{ path: 'query.limit', message: 'must be at least 1' }],
  },
  {
    case: 'unknown query parameters (refused, never dropped: a misspelt one would change what a retry does)',
    op: getExecution,
    raw: { params: PATH, query: { run_id: 'x', depth: '2' }, body: undefined },
    expected: [
      { path: 'query.run_id', message: 'is not a known field' },
      { path: 'query.depth', message: 'is not a known field' },
    ],
  },
  {
    case: 'a metrics depth of 11',
    op: getExecutionMetrics,
    raw: { params: PATH, query: { depth: '11' }, body: undefined },
    expected: [{ path: 'query.depth', message: 'must be at most 10' }],
  },
  {
    case: 'a long terminate cause',
    op: terminateExecution,
    raw: { params: PATH, query: {}, body: { cause: 'c'.repeat(2049) } },
    expected: [{ path: 'body.cause', message: 'must be at most 2048 characters' }],
  },
])('$case', ({ op, raw, expected }) => {
  it(`is refused naming ${expected.map((e) => e.path).join(', ')}`, () => {
    // Act
    const error = thrownBy(() => validateInput(op, raw, settings));

    // Assess
    expect(error).toMatchObject({ type: 'validation-failed', status: 400 });
    expect(fieldErrors(error)).toStrictEqual(expected);
    expect((error as { detail: string }).detail).toBe(`${expected[0]?.path}: ${expected[0]?.message}`);
  });
});

describe('errors in several parts of one request', () => {
  it('reports params and query together', () => {
    // Act
    const error = thrownBy(() =>
      validateInput(
        listExecutions,
        {
          params: { 'id-project': 'Flytesnacks', 'id-domain': 'development' },
          query: { limit: 'abc' },
          body: undefined,
        },
        settings,
      ),
    );

    // Assess
    expect(fieldErrors(error).map((e) => e.path)).toStrictEqual(['params.id-project', 'query.limit']);
  });

  it('reports params and body together', () => {
    // Act
    const error = thrownBy(() =>
      validateInput(
        terminateExecution,
        { params: { ...PATH, 'id-domain': '' }, query: {}, body: { cause: 'c'.repeat(2049), by: 'me' } },
        settings,
      ),
    );

    // Assess
    expect(fieldErrors(error).map((e) => e.path)).toStrictEqual([
      'params.id-domain',
      'params.id-domain',
      'body.cause',
      'body.by',
    ]);
  });

  it('reports params, query and body together, in that order', () => {
    // Prepare: no catalog op has all three parts fallible, so combine the catalog's schemas
    const op: Operation = operation({
      operationId: 'combined',
      capability: 'flyte',
      description: 'All three parts validated',
      rest: { method: 'POST', path: '/v1/combined/{id-project}/{id-domain}/{id-name}' },
      tool: terminateExecution.tool as Operation['tool'],
      input: { params: executionPathSchema, query: metricsQuerySchema, body: terminateExecutionBodySchema },
      idempotent: false,
      call: () => Promise.reject(new Error('never called')),
      openapi: terminateExecution.openapi,
      role: terminateExecution.role,
    });

    // Act
    const error = thrownBy(() =>
      validateInput(
        op,
        { params: { ...PATH, 'id-name': '1abc' }, query: { depth: '-1' }, body: { cause: 7 } },
        settings,
      ),
    );

    // Assess
    expect(fieldErrors(error)).toStrictEqual([
      {
        path: 'params.id-name',
        message: 'must match ^[a-z][a-z0-9-]*$ (lower-case letter first, then lower-case letters, digits, -)',
      },
      { path: 'query.depth', message: 'must be a non-negative integer' },
      { path: 'body.cause', message: 'Invalid input: expected string, received number' },
    ]);
  });
});

describe('the list limit cap', () => {
  it('comes from FLYTE_MAX_LIST_LIMIT', () => {
    // Prepare
    const capped = unitSettings({ FLYTE_MAX_LIST_LIMIT: '50' });
    const raw = (limit: string) => ({
      params: { 'id-project': 'flytesnacks', 'id-domain': 'development' },
      query: { limit },
      body: undefined,
    });

    // Act
    const ok = validateInput(listExecutions, raw('50'), capped);
    const error = thrownBy(() => validateInput(listExecutions, raw('51'), capped));

    // Assess
    expect(ok.query).toStrictEqual({ limit: 50 });
    expect(fieldErrors(error)).toStrictEqual([{ path: 'query.limit', message: 'must be at most 50' }]);
  });
});
