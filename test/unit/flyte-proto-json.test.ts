/**
 * The protojson normalizer (src/flyte/proto-json.ts, src/flyte/protojson-input.ts): both field
 * spellings at every level, enum numbers, duplicates, user maps untouched, query parameters as
 * grpc-gateway reads them, and the cost of one typical create body.
 */
import { describe, expect, it } from 'vitest';
import { createExecution, listExecutions, terminateExecution } from '../../src/catalog/flyte.js';
import { validateInput } from '../../src/catalog/validate.js';
import { loadSettings } from '../../src/config.js';
import { normalizeMessage } from '../../src/flyte/proto-json.js';
import {
  FLYTE_SWAGGER_PATHS,
  protoJsonBody,
  protoJsonQuery,
  protoJsonTerminate,
} from '../../src/flyte/protojson-input.js';
import { jsonName, messagePlan } from '../../src/flyte/swagger-plan.js';
import { ValidationError } from '../../src/problems/errors.js';

const create = protoJsonBody('adminExecutionCreateRequest');
const bodyOf = (body: unknown) => create({ params: {}, query: {}, body }).body;
const errorsOf = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).errors;
  }
  return [];
};

/** What protobuf's default JSON (MessageToJson, Go, Java) writes for a create request. */
const camelCreate = {
  project: 'flytesnacks',
  domain: 'development',
  name: 'camel-1',
  spec: {
    launchPlan: { resourceType: 3, project: 'flytesnacks', domain: 'development', name: 'lp', version: 'v1' },
    metadata: {
      mode: 5,
      referenceExecution: { project: 'flytesnacks', domain: 'development', name: 'src' },
      parentNodeExecution: {
        nodeId: 'n0',
        executionId: { project: 'flytesnacks', domain: 'development', name: 'p' },
      },
    },
    securityContext: { runAs: { k8sServiceAccount: 'sa', iamRole: 'role' } },
    labels: { values: { teamName: 'ml', 'app.kubernetes.io/part_of': 'x' } },
    annotations: { values: { 'iam.amazonaws.com/role': 'role', someKey: 'v' } },
    overwriteCache: true,
    maxParallelism: 4,
    envs: { values: [{ key: 'LOG_LEVEL', value: 'debug' }] },
    qualityOfService: { tier: 2 },
  },
  inputs: {
    literals: {
      myInput: { scalar: { primitive: { stringValue: 'a', floatValue: 1.5 } } },
      nested_map: { map: { literals: { innerKey: { scalar: { noneType: {} } } } } },
      blobIn: {
        scalar: { blob: { metadata: { type: { dimensionality: 1, format: 'csv' } }, uri: 's3://x' } },
      },
      generic: { scalar: { generic: { camelInside: 1, snake_inside: 2 } } },
    },
  },
};

describe('normalizeMessage on a create request', () => {
  it('renames every declared field to its proto name and enum numbers to names; map keys stay', () => {
    // Act
    const body = bodyOf(camelCreate);

    // Assess
    expect(body).toStrictEqual({
      project: 'flytesnacks',
      domain: 'development',
      name: 'camel-1',
      spec: {
        launch_plan: {
          resource_type: 'LAUNCH_PLAN',
          project: 'flytesnacks',
          domain: 'development',
          name: 'lp',
          version: 'v1',
        },
        metadata: {
          mode: 'RECOVERED',
          reference_execution: { project: 'flytesnacks', domain: 'development', name: 'src' },
          parent_node_execution: {
            node_id: 'n0',
            execution_id: { project: 'flytesnacks', domain: 'development', name: 'p' },
          },
        },
        security_context: { run_as: { k8s_service_account: 'sa', iam_role: 'role' } },
        labels: { values: { teamName: 'ml', 'app.kubernetes.io/part_of': 'x' } },
        annotations: { values: { 'iam.amazonaws.com/role': 'role', someKey: 'v' } },
        overwrite_cache: true,
        max_parallelism: 4,
        envs: { values: [{ key: 'LOG_LEVEL', value: 'debug' }] },
        quality_of_service: { tier: 'MEDIUM' },
      },
      inputs: {
        literals: {
          myInput: { scalar: { primitive: { string_value: 'a', float_value: 1.5 } } },
          nested_map: { map: { literals: { innerKey: { scalar: { none_type: {} } } } } },
          blobIn: {
            scalar: {
              blob: { metadata: { type: { dimensionality: 'MULTIPART', format: 'csv' } }, uri: 's3://x' },
            },
          },
          // google.protobuf.Struct is user data: its keys are not field names.
          generic: { scalar: { generic: { camelInside: 1, snake_inside: 2 } } },
        },
      },
    });
  });

  it('leaves a proto-name body as it is', () => {
    // Prepare
    const snake = bodyOf(camelCreate);

    // Act / Assess
    expect(bodyOf(snake)).toStrictEqual(snake);
  });

  it('mixes spellings freely, as protojson does', () => {
    // Act
    const body = bodyOf({
      project: 'p',
      spec: { launch_plan: { resourceType: 'TASK' }, securityContext: { run_as: {} } },
    });

    // Assess
    expect(body).toStrictEqual({
      project: 'p',
      spec: { launch_plan: { resource_type: 'TASK' }, security_context: { run_as: {} } },
    });
  });

  it('drops null fields (protojson: null leaves a field unset)', () => {
    expect(bodyOf({ project: 'p', org: null, spec: { authRole: null } })).toStrictEqual({
      project: 'p',
      spec: {},
    });
  });

  it('keeps fields the swagger does not declare for the schemas to refuse', () => {
    expect(bodyOf({ project: 'p', spec: { notAField: 1 }, extra: true })).toStrictEqual({
      project: 'p',
      spec: { notAField: 1 },
      extra: true,
    });
  });

  it('keeps a __proto__ key as data, never as a prototype', () => {
    // Act
    const body = bodyOf(
      JSON.parse('{"spec":{"labels":{"values":{"__proto__":"x"}}},"__proto__":{"a":1}}'),
    ) as Record<string, unknown>;

    // Assess
    expect(Object.getPrototypeOf(body)).toBe(Object.prototype);
    expect(Object.keys(body)).toContain('__proto__');
  });

  it.each([
    { body: { spec: { launch_plan: {}, launchPlan: {} } }, path: 'body.spec.launchPlan' },
    {
      body: { spec: { launchPlan: { resourceType: 3, resource_type: 'TASK' } } },
      path: 'body.spec.launchPlan.resource_type',
    },
    {
      body: { spec: { securityContext: { runAs: { k8sServiceAccount: 'a', k8s_service_account: 'b' } } } },
      path: 'body.spec.securityContext.runAs.k8s_service_account',
    },
    {
      body: {
        inputs: { literals: { x: { scalar: { primitive: { stringValue: 'a', string_value: 'b' } } } } },
      },
      path: 'body.inputs.literals.x.scalar.primitive.string_value',
    },
  ])('refuses a field given under both spellings: $path', ({ body, path }) => {
    // Act
    const errors = errorsOf(() => bodyOf(body));

    // Assess
    expect(errors).toStrictEqual([
      { path, message: expect.stringMatching(/^is the same field as .+protojson refuses duplicate fields/) },
    ]);
  });

  it.each([
    { value: 5, path: 'body.spec.launchPlan.resourceType' },
    { value: -1, path: 'body.spec.launchPlan.resourceType' },
    { value: 1.5, path: 'body.spec.launchPlan.resourceType' },
  ])('refuses the enum number $value', ({ value, path }) => {
    // Act
    const errors = errorsOf(() => bodyOf({ spec: { launchPlan: { resourceType: value } } }));

    // Assess
    expect(errors).toStrictEqual([
      { path, message: 'must be one of UNSPECIFIED, TASK, WORKFLOW, LAUNCH_PLAN, DATASET or its number 0-4' },
    ]);
  });

  it('leaves an enum given as a numeric string for the schemas (Go protojson refuses it in bodies)', () => {
    expect(bodyOf({ spec: { launchPlan: { resourceType: '3' } } })).toStrictEqual({
      spec: { launch_plan: { resource_type: '3' } },
    });
  });
});

describe('the other request messages', () => {
  it('relaunch: overwriteCache', () => {
    const { value } = normalizeMessage(
      messagePlan('adminExecutionRelaunchRequest'),
      { overwriteCache: true, id: { project: 'p' } },
      'body',
    );
    expect(value).toStrictEqual({ overwrite_cache: true, id: { project: 'p' } });
  });

  it('recover: metadata.parentNodeExecution.executionId', () => {
    const { value } = normalizeMessage(
      messagePlan('adminExecutionRecoverRequest'),
      { metadata: { parentNodeExecution: { nodeId: 'n', executionId: { name: 'x' } } } },
      'body',
    );
    expect(value).toStrictEqual({
      metadata: { parent_node_execution: { node_id: 'n', execution_id: { name: 'x' } } },
    });
  });
});

describe('terminate body', () => {
  const params = { 'id-project': 'flytesnacks', 'id-domain': 'development', 'id-name': 'run-1' };

  it('takes the whole ExecutionTerminateRequest when its id is the path', () => {
    const body = {
      id: { project: 'flytesnacks', domain: 'development', name: 'run-1', org: '' },
      cause: 'x',
    };
    expect(protoJsonTerminate({ params, query: {}, body }).body).toStrictEqual(body);
  });

  it('refuses an id naming another execution, naming body.id', () => {
    // Act
    const errors = errorsOf(() =>
      protoJsonTerminate({
        params,
        query: { 'id.org': 'a' },
        body: { id: { project: 'other', name: 'run-2', org: 'b' } },
      }),
    );

    // Assess
    expect(errors.map((e) => e.path)).toStrictEqual(['body.id.project', 'body.id.name', 'body.id.org']);
  });
});

describe('query parameters as grpc-gateway reads them', () => {
  const list = protoJsonQuery(FLYTE_SWAGGER_PATHS.list);
  const queryOf = (query: Record<string, string>) => list({ params: {}, query, body: undefined }).query;

  it.each([
    [
      { 'sortBy.key': 'created_at', 'sortBy.direction': '1' },
      { 'sort_by.key': 'created_at', 'sort_by.direction': 'ASCENDING' },
    ],
    [
      { 'sort_by.key': 'created_at', 'sort_by.direction': '0' },
      { 'sort_by.key': 'created_at', 'sort_by.direction': 'DESCENDING' },
    ],
    [{ 'sort_by.direction': 'ASCENDING' }, { 'sort_by.direction': 'ASCENDING' }],
    [
      { 'id.org': 'acme', limit: '5', code: 'k' },
      { 'id.org': 'acme', limit: '5', code: 'k' },
    ],
  ])('%j → %j', (given, expected) => {
    expect(queryOf(given)).toStrictEqual(expected);
  });

  it('takes a direction number from an MCP argument', () => {
    expect(
      list({ params: {}, query: { 'sort_by.direction': 1 as unknown as string }, body: undefined }).query,
    ).toStrictEqual({
      'sort_by.direction': 'ASCENDING',
    });
  });

  it('refuses both spellings and directions out of range', () => {
    expect(
      errorsOf(() => queryOf({ 'sortBy.key': 'a', 'sort_by.key': 'b' })).map((e) => e.path),
    ).toStrictEqual(['query.sortBy.key']);
    expect(errorsOf(() => queryOf({ 'sort_by.direction': '2' }))).toStrictEqual([
      { path: 'query.sort_by.direction', message: 'must be one of DESCENDING, ASCENDING or its number 0-1' },
    ]);
  });
});

describe('through validateInput (every surface)', () => {
  const settings = loadSettings({ FLYTE_ENDPOINT: 'http://127.0.0.1:1', FLYTE_PROJECTS: 'flytesnacks' });

  it('a camelCase create body passes the schemas in proto names', () => {
    // Act
    const input = validateInput(createExecution, { params: {}, query: {}, body: camelCreate }, settings);

    // Assess
    expect((input.body as { spec: { launch_plan: unknown } }).spec.launch_plan).toMatchObject({
      resource_type: 'LAUNCH_PLAN',
    });
  });

  it('list: sortBy.direction=0 and limit as a number', () => {
    const input = validateInput(
      listExecutions,
      {
        params: { 'id-project': 'flytesnacks', 'id-domain': 'development' },
        query: { 'sortBy.key': 'created_at', 'sortBy.direction': '0', limit: 7 as unknown as string },
        body: undefined,
      },
      settings,
    );
    expect(input.query).toStrictEqual({
      limit: 7,
      'sort_by.key': 'created_at',
      'sort_by.direction': 'DESCENDING',
    });
  });

  it('terminate: a body id for another execution is a 400 naming body.id', () => {
    const errors = errorsOf(() =>
      validateInput(
        terminateExecution,
        {
          params: { 'id-project': 'flytesnacks', 'id-domain': 'development', 'id-name': 'a' },
          query: {},
          body: { id: { name: 'b' } },
        },
        settings,
      ),
    );
    expect(errors).toStrictEqual([
      { path: 'body.id.name', message: expect.stringContaining("must be the path's id-name") },
    ]);
  });
});

describe('cost', () => {
  it('jsonName follows protoc', () => {
    expect(['k8s_service_account', 'overwrite_cache', 'a__b', 'x', 'literals'].map(jsonName)).toStrictEqual([
      'k8sServiceAccount',
      'overwriteCache',
      'aB',
      'x',
      'literals',
    ]);
  });

  it('normalizes a typical create body in microseconds', () => {
    // Prepare: the swagger is read and the plan compiled on first use, not per request.
    bodyOf(camelCreate);
    const rounds = 20_000;

    // Act
    const started = performance.now();
    for (let i = 0; i < rounds; i++) bodyOf(camelCreate);
    const perBodyUs = ((performance.now() - started) / rounds) * 1000;

    // Assess: well under a millisecond (20-45 µs measured on the shared 2-core machine under load;
    // the bound leaves room for a busy CI runner).
    console.info(`protojson normalize: ${perBodyUs.toFixed(1)} µs per create body`);
    expect(perBodyUs).toBeLessThan(250);
  });
});
