/**
 * Contract: every property name (and enum value) the emulator answers with under flyteadmin's
 * `application/json` marshaler exists in the published flyteadmin swagger, walked from `adminExecution`,
 * `adminExecutionList`, `adminExecutionCreateResponse` and `adminWorkflowExecutionGetMetricsResponse`
 * through every `$ref`. A deliberately rich execution exercises as many nested messages as possible.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FlyteAdminEmulator, startFlyteAdminEmulator } from '../../sandbox/flyte-admin/index.js';
import { specPath } from '../helpers/shared-paths.js';
import {
  call,
  createBody,
  DOMAIN,
  EXECUTIONS,
  executionPath,
  manualClock,
  PROJECT,
} from './helpers/admin-client.js';

const SWAGGER_PATH = specPath('flyteadmin.swagger.json');

interface SchemaProperty {
  $ref?: string;
  allOf?: Array<{ $ref: string }>;
  type?: string;
  format?: string;
  items?: SchemaProperty;
  additionalProperties?: SchemaProperty;
  enum?: string[];
  properties?: Record<string, SchemaProperty>;
}

const swagger = JSON.parse(readFileSync(SWAGGER_PATH, 'utf8')) as {
  definitions: Record<string, SchemaProperty>;
};
const refName = (ref: string) => ref.replace('#/definitions/', '');

/** Collects every property path of `value` that the swagger definition `name` does not allow. */
function violations(name: string, value: unknown, path = name): string[] {
  const definition = swagger.definitions[name];
  if (!definition) return [`${path}: no definition ${name}`];
  return checkProperty(definition, value, path);
}

function checkProperty(schema: SchemaProperty, value: unknown, path: string): string[] {
  if (value === null) return [];
  if (schema.$ref) return violations(refName(schema.$ref), value, path);
  if (schema.allOf) return schema.allOf.flatMap((part) => violations(refName(part.$ref), value, path));
  if (schema.enum)
    return schema.enum.includes(value as string) ? [] : [`${path}: ${String(value)} not in enum`];
  switch (schema.type) {
    case 'array':
      if (!Array.isArray(value)) return [`${path}: expected an array`];
      return value.flatMap((item, i) =>
        schema.items ? checkProperty(schema.items, item, `${path}[${i}]`) : [],
      );
    case 'object': {
      if (typeof value !== 'object' || Array.isArray(value)) return [`${path}: expected an object`];
      const entries = Object.entries(value as Record<string, unknown>);
      if (schema.additionalProperties) {
        const itemSchema = schema.additionalProperties;
        return entries.flatMap(([key, item]) => checkProperty(itemSchema, item, `${path}{${key}}`));
      }
      if (!schema.properties) return []; // google.protobuf.Struct and empty messages: free-form
      const properties = schema.properties;
      return entries.flatMap(([key, item]) =>
        properties[key]
          ? checkProperty(properties[key], item, `${path}.${key}`)
          : [`${path}.${key}: not in swagger`],
      );
    }
    case 'string':
      return typeof value === 'string' ? [] : [`${path}: expected a string`];
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${path}: expected a boolean`];
    case 'integer':
    case 'number':
      // int64 travels as a JSON string; uint32 fields the swagger mislabels "int64" travel as numbers.
      return typeof value === 'number' || typeof value === 'string' ? [] : [`${path}: expected a number`];
    default:
      return [];
  }
}

const literal = (scalar: unknown) => ({ scalar });
const RICH_INPUTS = {
  literals: {
    integer: literal({ primitive: { integer: '500' } }),
    float: literal({ primitive: { float_value: 1.5 } }),
    text: literal({ primitive: { string_value: 'westeurope' } }),
    flag: literal({ primitive: { boolean: true } }),
    when: literal({ primitive: { datetime: '2026-01-15T00:00:00Z' } }),
    timeout: literal({ primitive: { duration: '90s' } }),
    blob: literal({
      blob: { metadata: { type: { format: 'csv', dimensionality: 'MULTIPART' } }, uri: 's3://b/k' },
    }),
    binary: literal({ binary: { value: 'AAE=', tag: 'msgpack' } }),
    schema: literal({ schema: { uri: 's3://b/s', type: { columns: [{ name: 'a', type: 'INTEGER' }] } } }),
    none: literal({ none_type: {} }),
    error: literal({ error: { failed_node_id: 'n1', message: 'boom' } }),
    generic: literal({ generic: { nested_key: { deep: [1, 2] } } }),
    dataset: literal({
      structured_dataset: {
        uri: 's3://b/d',
        metadata: {
          structured_dataset_type: {
            columns: [{ name: 'c', literal_type: { simple: 'STRING' } }],
            format: 'parquet',
            external_schema_type: 'arrow',
            external_schema_bytes: 'AAE=',
          },
        },
      },
    }),
    union: literal({
      union: {
        value: literal({ primitive: { integer: '1' } }),
        type: { union_type: { variants: [{ simple: 'INTEGER' }, { enum_type: { values: ['a'] } }] } },
      },
    }),
    list: {
      collection: { literals: [literal({ primitive: { integer: '1' } })] },
      hash: 'h',
      metadata: { k: 'v' },
    },
    dict: { map: { literals: { inner: literal({ primitive: { string_value: 'x' } }) } } },
    offloaded: {
      offloaded_metadata: {
        uri: 's3://b/o',
        size_bytes: '1024',
        inferred_type: {
          collection_type: { blob: { format: '', dimensionality: 'SINGLE' } },
          metadata: { any: 'thing' },
          annotation: { annotations: { a: 1 } },
          structure: { tag: 't', dataclass_type: { field_a: { map_value_type: { simple: 'FLOAT' } } } },
        },
      },
    },
  },
};

const RICH_SPEC = {
  inputs: RICH_INPUTS,
  metadata: {
    mode: 'SCHEDULED',
    nesting: 1,
    scheduled_at: '2026-01-15T00:00:00Z',
    parent_node_execution: {
      node_id: 'n0',
      execution_id: { project: PROJECT, domain: DOMAIN, name: 'parent' },
    },
    artifact_ids: [
      {
        artifact_key: { project: PROJECT, domain: DOMAIN, name: 'model' },
        version: '1',
        partitions: {
          value: { region: { static_value: 'eu' }, day: { input_binding: { var: 'run_date' } } },
        },
        time_partition: {
          value: {
            triggered_binding: { partition_key: 'ds', time_transform: { transform: '-1d', op: 'MINUS' } },
          },
          granularity: 'DAY',
        },
      },
    ],
  },
  notifications: {
    notifications: [
      { phases: ['FAILED', 'TIMED_OUT'], email: { recipients_email: ['ops@example.com'], template: 't' } },
      { phases: ['SUCCEEDED'], slack: { recipients_email: ['#data'] } },
    ],
  },
  labels: { values: { team: 'data' } },
  annotations: { values: { 'example.com/owner': 'ops' } },
  security_context: {
    run_as: {
      k8s_service_account: 'sa',
      oauth2_client: { client_id: 'c', client_secret: { group: 'g', key: 'k' } },
    },
    secrets: [{ group: 'g', key: 'k', mount_requirement: 'ENV_VAR', env_var: 'E' }],
    tokens: [
      {
        name: 't',
        type: 'CLIENT_CREDENTIALS',
        client: { client_id: 'c' },
        token_endpoint: 'https://idp/token',
      },
    ],
  },
  auth_role: { kubernetes_service_account: 'legacy' },
  quality_of_service: { spec: { queueing_budget: '300s' } },
  max_parallelism: 7,
  raw_output_data_config: { output_location_prefix: 's3://raw' },
  cluster_assignment: { cluster_pool_name: 'gpu' },
  interruptible: true,
  overwrite_cache: true,
  envs: { values: [{ key: 'A', value: 'b' }] },
  tags: ['nightly'],
  execution_cluster_label: { value: 'east' },
  execution_env_assignments: [
    {
      node_ids: ['n0'],
      task_type: 'python',
      execution_env: { name: 'env', type: 'ray', spec: { workers: 2 }, version: '1' },
    },
  ],
};

const clock = manualClock();
let admin: FlyteAdminEmulator;
beforeAll(async () => {
  admin = await startFlyteAdminEmulator({
    now: clock.now,
    phaseDelaysMs: { queued: 10, running: 100, aborting: 10 },
  });
  admin.seed([
    {
      name: 'seeded-failed',
      phase: 'FAILED',
      failure: { code: 'USER:ValueError', message: 'bad', kind: 'USER' },
    },
    { name: 'seeded-aborted', phase: 'ABORTED' },
    { name: 'seeded-queued', phase: 'QUEUED' },
  ]);
});
afterAll(() => admin.close());

describe('contract with flyteadmin.swagger.json', () => {
  it('ExecutionCreateResponse and a rich Execution (every closure state) use only swagger names', async () => {
    // Prepare
    const created = await call(admin.url, 'POST', EXECUTIONS, { body: createBody('rich-1', RICH_SPEC) });
    await call(admin.url, 'POST', EXECUTIONS, { body: createBody('to-abort') });
    await call(admin.url, 'DELETE', executionPath('to-abort'), { body: { cause: 'contract' } });
    const snapshots = [];
    for (const step of [0, 50, 100]) {
      clock.advance(step);
      for (const name of ['rich-1', 'to-abort', 'seeded-failed', 'seeded-aborted', 'seeded-queued']) {
        snapshots.push((await call(admin.url, 'GET', executionPath(name))).json);
      }
    }
    // Assess
    expect(created.status).toBe(200);
    expect(violations('adminExecutionCreateResponse', created.json)).toEqual([]);
    expect(snapshots.map((s) => s.closure.phase)).toContain('SUCCEEDED');
    expect(snapshots.map((s) => s.closure.phase)).toContain('ABORTING');
    const outputResults = new Set(snapshots.flatMap((s) => Object.keys(s.closure)));
    expect([...outputResults]).toEqual(expect.arrayContaining(['outputs', 'error', 'abort_metadata']));
    for (const snapshot of snapshots) expect(violations('adminExecution', snapshot)).toEqual([]);
    // The rich spec really round-tripped (so the walk above covered its nested messages).
    const rich = snapshots[0];
    expect(
      rich.spec.inputs.literals.offloaded.offloaded_metadata.inferred_type.structure.dataclass_type.field_a,
    ).toEqual({
      map_value_type: { simple: 'FLOAT', metadata: null, annotation: null, structure: null },
      metadata: null,
      annotation: null,
      structure: null,
    });
    expect(rich.spec.metadata.artifact_ids[0].time_partition.value.triggered_binding.partition_key).toBe(
      'ds',
    );
  });

  it('Execution spec and closure emit every non-oneof swagger property (EmitUnpopulated)', async () => {
    await call(admin.url, 'POST', EXECUTIONS, { body: createBody('plain-1') });
    const { json } = await call(admin.url, 'GET', executionPath('plain-1'));
    // Oneof members (the swagger does not mark them) are the only properties allowed to be absent.
    for (const [name, value, oneofs] of [
      ['adminExecutionSpec', json.spec, ['notifications', 'disable_all']],
      [
        'adminExecutionClosure',
        json.closure,
        ['outputs', 'error', 'abort_cause', 'abort_metadata', 'output_data'],
      ],
      ['adminExecutionMetadata', json.spec.metadata, []],
      ['coreIdentifier', json.spec.launch_plan, []],
    ] as const) {
      const optional: readonly string[] = oneofs;
      const expected = Object.keys(swagger.definitions[name]?.properties ?? {}).filter(
        (key) => !optional.includes(key),
      );
      expect(Object.keys(value).sort()).toEqual(expected.sort());
    }
  });

  it('ExecutionList uses only swagger names', async () => {
    const res = await call(admin.url, 'GET', `${EXECUTIONS}/${PROJECT}/${DOMAIN}?limit=3`);
    expect(res.json.executions).toHaveLength(3);
    expect(res.json.token).toBe('3');
    expect(violations('adminExecutionList', res.json)).toEqual([]);
  });

  it('the metrics Span tree uses only swagger names', async () => {
    const res = await call(
      admin.url,
      'GET',
      `/api/v1/metrics/executions/${PROJECT}/${DOMAIN}/rich-1?depth=-1`,
    );
    expect(res.json.span.spans.length).toBeGreaterThan(1);
    expect(violations('adminWorkflowExecutionGetMetricsResponse', res.json)).toEqual([]);
  });

  it('the checker itself rejects names the swagger does not define', () => {
    expect(
      violations('adminExecution', { id: { project: 'p', projectId: 'x' }, closure: { phase: 'DONE' } }),
    ).toEqual([
      'adminExecution.id.projectId: not in swagger',
      'adminExecution.closure.phase: DONE not in enum',
    ]);
  });
});
