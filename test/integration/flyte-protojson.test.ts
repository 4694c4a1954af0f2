/**
 * Real client artefacts against the gateway and the Flyte Admin emulator: every one of the seven
 * Flyte operations with requests built from flyteidl's own messages (test/helpers/flyteidl.ts) in
 * both JSON spellings a client library writes — proto names, and protobuf's default JSON
 * (lowerCamelCase, enums as numbers). Each must succeed, flyteadmin must be handed what the client
 * meant (the emulator's decoded request message equals the client's message), and every answer
 * must parse strictly as its flyteidl message.
 */
import type { JsonObject, JsonValue } from '@bufbuild/protobuf';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clientJson, parseStrict, SPELLINGS, type Spelling } from '../helpers/flyteidl.js';
import { call, type Gateway, SURFACES, startGateway } from '../helpers/gateway.js';

const EXECUTIONS = '/v1/api/v1/executions';
const ID = { project: 'flytesnacks', domain: 'development' };
const launchPlan = { resource_type: 'LAUNCH_PLAN', ...ID, name: 'etl.pipeline.nightly', version: 'v42' };

/** grpc-gateway's query convention: nested fields as dotted names; path fields left out. */
function toQuery(json: JsonValue, pathFields: readonly string[], prefix = ''): [string, string][] {
  return Object.entries(json as JsonObject).flatMap(([key, value]): [string, string][] => {
    const name = prefix + key;
    if (pathFields.includes(name)) return [];
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      return toQuery(value, pathFields, `${name}.`);
    return [[name, String(value)]];
  });
}

/** What flyteadmin was handed: the emulator's decoded request message, in canonical form. */
const meaning = (name: string, message: unknown) => parseStrict(name, message as JsonValue);

describe.each(SURFACES)('flyteidl clients via %s', (surface) => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startGateway({
      surface,
      env: { FLYTE_ORGS: 'acme', FLYTE_SERVICE_ACCOUNTS: 'etl-runner' },
    });
  });
  afterAll(() => gw.close());
  beforeEach(() => gw.emulator.reset());

  const received = () => gw.emulator.received.at(-1);
  const createSource = async (name: string) => {
    const res = await call(gw, 'POST', EXECUTIONS, { ...ID, name, spec: { launch_plan: launchPlan } });
    expect(res.status).toBe(200);
  };

  describe.each(SPELLINGS)('written as %s', (spelling: Spelling) => {
    const tag = spelling === 'proto-names' ? 'p' : 'd';

    it('createexecution', async () => {
      // Prepare
      const message = {
        ...ID,
        name: `create-${tag}`,
        spec: {
          launch_plan: launchPlan,
          labels: { values: { teamName: 'ml', cost_center: '42' } },
          security_context: { run_as: { k8s_service_account: 'etl-runner' } },
          quality_of_service: { tier: 'HIGH' },
          overwrite_cache: true,
        },
        inputs: { literals: { runDate: { scalar: { primitive: { string_value: '2024-05-01' } } } } },
      };
      const body = clientJson('admin.ExecutionCreateRequest', message, spelling);
      if (spelling === 'protobuf-default') {
        expect(body).toMatchObject({
          spec: { launchPlan: { resourceType: 3 }, qualityOfService: { tier: 1 } },
        });
      }
      // Act
      const res = await call(gw, 'POST', EXECUTIONS, body);
      // Assess
      expect(res.status, res.text).toBe(200);
      expect(parseStrict('admin.ExecutionCreateResponse', res.json())).toEqual({
        id: { ...ID, name: `create-${tag}` },
      });
      expect(received()?.operation).toBe('CreateExecution');
      expect(meaning('admin.ExecutionCreateRequest', received()?.message)).toEqual(
        parseStrict('admin.ExecutionCreateRequest', message),
      );
      // flyteadmin's strict marshaler gets proto names, whatever the client wrote.
      expect(JSON.parse(gw.emulator.requests.at(-1)?.body ?? '')).toMatchObject({
        spec: { launch_plan: { resource_type: 'LAUNCH_PLAN' }, quality_of_service: { tier: 'HIGH' } },
      });
    });

    it('relaunchexecution', async () => {
      // Prepare
      await createSource(`source-${tag}`);
      const message = {
        id: { ...ID, name: `source-${tag}` },
        name: `relaunch-${tag}`,
        overwrite_cache: true,
      };
      // Act
      const res = await call(
        gw,
        'POST',
        `${EXECUTIONS}/relaunch`,
        clientJson('admin.ExecutionRelaunchRequest', message, spelling),
      );
      // Assess
      expect(res.status, res.text).toBe(200);
      expect(parseStrict('admin.ExecutionCreateResponse', res.json())).toEqual({
        id: { ...ID, name: `relaunch-${tag}` },
      });
      expect(meaning('admin.ExecutionRelaunchRequest', received()?.message)).toEqual(
        parseStrict('admin.ExecutionRelaunchRequest', message),
      );
    });

    it('recoverexecution', async () => {
      // Prepare
      await createSource(`source-${tag}`);
      const message = {
        id: { ...ID, name: `source-${tag}` },
        name: `recover-${tag}`,
        metadata: {
          parent_node_execution: { node_id: 'n0', execution_id: { ...ID, name: `source-${tag}` } },
        },
      };
      // Act
      const res = await call(
        gw,
        'POST',
        `${EXECUTIONS}/recover`,
        clientJson('admin.ExecutionRecoverRequest', message, spelling),
      );
      // Assess
      expect(res.status, res.text).toBe(200);
      expect(parseStrict('admin.ExecutionCreateResponse', res.json())).toEqual({
        id: { ...ID, name: `recover-${tag}` },
      });
      expect(meaning('admin.ExecutionRecoverRequest', received()?.message)).toEqual(
        parseStrict('admin.ExecutionRecoverRequest', message),
      );
    });

    it('listexecutions', async () => {
      // Prepare
      for (const name of ['list-a', 'list-b', 'list-c']) await createSource(name);
      const message = {
        id: { ...ID, org: 'acme' },
        limit: 2,
        sort_by: { key: 'created_at', direction: 'ASCENDING' },
      };
      const query = new URLSearchParams(
        toQuery(clientJson('admin.ResourceListRequest', message, spelling), ['id.project', 'id.domain']),
      );
      if (spelling === 'protobuf-default') expect(query.get('sortBy.direction')).toBe('1');
      // Act
      const res = await call(gw, 'GET', `${EXECUTIONS}/flytesnacks/development?${query}`);
      // Assess
      expect(res.status, res.text).toBe(200);
      const list = parseStrict('admin.ExecutionList', res.json()) as {
        executions: { id: { name: string } }[];
      };
      expect(list.executions.map((e) => e.id.name)).toEqual(['list-a', 'list-b']);
      expect(meaning('admin.ResourceListRequest', received()?.message)).toEqual(
        parseStrict('admin.ResourceListRequest', message),
      );
    });

    it('getexecution', async () => {
      // Prepare
      await createSource(`get-${tag}`);
      const query = new URLSearchParams(
        toQuery(
          clientJson(
            'admin.WorkflowExecutionGetRequest',
            { id: { ...ID, name: `get-${tag}`, org: 'acme' } },
            spelling,
          ),
          ['id.project', 'id.domain', 'id.name'],
        ),
      );
      // Act
      const res = await call(gw, 'GET', `${EXECUTIONS}/flytesnacks/development/get-${tag}?${query}`);
      // Assess
      expect(res.status, res.text).toBe(200);
      const execution = parseStrict('admin.Execution', res.json()) as { id: { name: string } };
      expect(execution.id.name).toBe(`get-${tag}`);
      expect(meaning('admin.WorkflowExecutionGetRequest', received()?.message)).toEqual({
        id: { ...ID, name: `get-${tag}`, org: 'acme' },
      });
    });

    it('getexecutionmetrics', async () => {
      // Prepare
      await createSource(`metrics-${tag}`);
      const message = { id: { ...ID, name: `metrics-${tag}`, org: 'acme' }, depth: 2 };
      const query = new URLSearchParams(
        toQuery(clientJson('admin.WorkflowExecutionGetMetricsRequest', message, spelling), [
          'id.project',
          'id.domain',
          'id.name',
        ]),
      );
      // Act
      const res = await call(
        gw,
        'GET',
        `/v1/api/v1/metrics/executions/flytesnacks/development/metrics-${tag}?${query}`,
      );
      // Assess
      expect(res.status, res.text).toBe(200);
      expect(parseStrict('admin.WorkflowExecutionGetMetricsResponse', res.json())).toMatchObject({
        span: {},
      });
      expect(meaning('admin.WorkflowExecutionGetMetricsRequest', received()?.message)).toEqual(
        parseStrict('admin.WorkflowExecutionGetMetricsRequest', message),
      );
    });

    it('terminateexecution: the whole ExecutionTerminateRequest', async () => {
      // Prepare
      await createSource(`stop-${tag}`);
      const message = { id: { ...ID, name: `stop-${tag}`, org: 'acme' }, cause: 'superseded' };
      // Act
      const res = await call(
        gw,
        'DELETE',
        `${EXECUTIONS}/flytesnacks/development/stop-${tag}`,
        clientJson('admin.ExecutionTerminateRequest', message, spelling),
      );
      // Assess
      expect(res.status, res.text).toBe(200);
      expect(parseStrict('admin.ExecutionTerminateResponse', res.json())).toEqual({});
      expect(meaning('admin.ExecutionTerminateRequest', received()?.message)).toEqual(
        parseStrict('admin.ExecutionTerminateRequest', message),
      );
      expect(JSON.parse(gw.emulator.requests.at(-1)?.body ?? '')).toEqual({
        cause: 'superseded',
        id: { org: 'acme' },
      });
    });
  });

  describe('what flyteadmin would refuse, or the gateway guards', () => {
    it('a field under both spellings is a 400 naming it; nothing reaches flyteadmin', async () => {
      // Act
      const res = await call(gw, 'POST', EXECUTIONS, {
        ...ID,
        spec: { launch_plan: launchPlan, launchPlan: launchPlan },
      });
      // Assess
      expect(res.status).toBe(400);
      expect(res.json().errors).toEqual([
        { path: 'body.spec.launchPlan', message: expect.stringContaining('same field') },
      ]);
      expect(gw.emulator.requests).toHaveLength(0);
    });

    it('a camelCase service account off the allow-list is refused like the snake_case one', async () => {
      // Act
      const res = await call(gw, 'POST', EXECUTIONS, {
        ...ID,
        spec: {
          launchPlan: { ...launchPlan, resource_type: undefined, resourceType: 3 },
          securityContext: { runAs: { k8sServiceAccount: 'cluster-admin' } },
        },
      });
      // Assess
      expect(res.status).toBe(403);
      expect(res.json().detail).toContain('body.spec.security_context.run_as.k8s_service_account');
      expect(gw.emulator.requests).toHaveLength(0);
    });

    it.each([
      ['list', `${EXECUTIONS}/flytesnacks/development?id.org=other`],
      ['get', `${EXECUTIONS}/flytesnacks/development/x?id.org=other`],
      ['metrics', '/v1/api/v1/metrics/executions/flytesnacks/development/x?id.org=other'],
    ])('%s: an id.org off FLYTE_ORGS is a 403', async (_op, path) => {
      // Act
      const res = await call(gw, 'GET', path);
      // Assess
      expect(res.status).toBe(403);
      expect(res.json().detail).toContain('query.id.org');
      expect(gw.emulator.requests).toHaveLength(0);
    });

    it('terminate: a body id naming another execution is a 400 naming body.id', async () => {
      // Act
      const res = await call(gw, 'DELETE', `${EXECUTIONS}/flytesnacks/development/a`, {
        id: { ...ID, name: 'b' },
        cause: 'x',
      });
      // Assess
      expect(res.status).toBe(400);
      expect(res.json().errors).toEqual([
        { path: 'body.id.name', message: expect.stringContaining("path's id-name") },
      ]);
      expect(gw.emulator.requests).toHaveLength(0);
    });
  });
});
