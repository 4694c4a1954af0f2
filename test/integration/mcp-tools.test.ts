/**
 * The MCP surface over real streamable HTTP, with the SDK's own client, on both surfaces
 * (local host and the Functions registrations): tools/list matches the capability specs
 * (names, descriptions, hints) and shows the renamed arguments, and every tool runs its
 * operation in process, as REST does — asserted on the result and on what the emulators received.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { operations } from '../../src/catalog/index.js';
import {
  buildZip,
  clearStaging,
  EXPERIMENT,
  example,
  MINTED_RUN_ID,
  readZip,
  sha256,
  stagedBlobs,
  upstreamExperimentPath,
} from '../helpers/azureml-requests.js';
import { type Gateway, SURFACES, startGateway, WORKSPACE } from '../helpers/gateway.js';
import {
  connectMcp,
  contractTools,
  FLYTE_ID as ID,
  jsonOf,
  AZUREML_SCOPE as SCOPE,
} from '../helpers/mcp-client.js';

describe.each(SURFACES)('MCP tools via %s', (surface) => {
  let gw: Gateway;
  let client: Client;
  beforeAll(async () => {
    gw = await startGateway({ surface, azureml: true });
  });
  afterAll(() => gw.close());
  beforeEach(async () => {
    gw.emulator.reset();
    gw.azureml?.reset();
    client = await connectMcp(gw, { 'x-request-id': 'req-mcp-1' });
  });
  afterEach(() => client.close());

  const aml = () => {
    if (!gw.azureml) throw new Error('no Azure ML emulator');
    return gw.azureml;
  };
  const last = () => gw.emulator.requests.at(-1);
  const tool = (name: string, args: Record<string, unknown>) => client.callTool({ name, arguments: args });
  const create = (name: string) =>
    tool('create-workflow-execution', { ...example('create-execution.json'), name });

  it('tools/list: exactly the 11 contract tools, with their descriptions and hints', async () => {
    // Act
    const { tools } = await client.listTools();
    // Assess
    const contract = contractTools();
    expect(tools).toHaveLength(11);
    expect(tools.map((t) => t.name).sort()).toEqual(contract.map((t) => t.name).sort());
    for (const expected of contract) {
      const listed = tools.find((t) => t.name === expected.name);
      expect(listed?.description).toBe(expected.description);
      expect(listed?.annotations).toEqual({
        readOnlyHint: expected.hints.readOnly,
        destructiveHint: expected.hints.destructive,
        idempotentHint: expected.hints.idempotent,
        openWorldHint: true,
      });
      expect(listed?.title).toBe(operations.find((op) => op.tool.name === expected.name)?.tool.title);
    }
  });

  it('tools/list: arguments are the spec names (id, definition, ...), required ones marked, aliases last', async () => {
    // Act
    const { tools } = await client.listTools();
    const schema = (name: string) => tools.find((t) => t.name === name)?.inputSchema;
    // Assess
    expect(schema('list-workflow-executions')).toMatchObject({
      type: 'object',
      required: ['id'],
      additionalProperties: false,
    });
    expect(Object.keys(schema('list-workflow-executions')?.properties ?? {})).toEqual([
      'id',
      'limit',
      'token',
      'filters',
      'sortByKey',
      'sortDirection',
      'project',
      'domain',
    ]);
    expect(schema('list-workflow-executions')?.properties?.id).toMatchObject({
      type: 'object',
      properties: { project: { type: 'string', description: 'Flyte project id, e.g. flytesnacks' } },
    });
    expect(Object.keys(schema('create-workflow-execution')?.properties ?? {})).toEqual([
      'project',
      'domain',
      'name',
      'spec',
      'inputs',
      'org',
    ]);
    expect(schema('create-workflow-execution')?.required).toEqual(['project', 'domain', 'spec']);
    expect(Object.keys(schema('terminate-workflow-execution')?.properties ?? {})).toEqual([
      'id',
      'cause',
      'project',
      'domain',
      'name',
    ]);
    expect(Object.keys(schema('microsoft-azure-cancel-run')?.properties ?? {})).toEqual([
      ...Object.keys(SCOPE),
      'runId',
    ]);
    expect(Object.keys(schema('microsoft-azure-start-run-snapshot')?.properties ?? {})).toEqual([
      ...Object.keys(SCOPE),
      'runId',
      'definition',
      'runDefinition',
    ]);
    expect(schema('microsoft-azure-start-run-remote')).toMatchObject({
      required: [...Object.keys(SCOPE), 'runDefinitionFile', 'projectZipFile'],
      properties: {
        projectZipBase64: { deprecated: true },
        stagedZipId: { type: 'string', deprecated: true },
      },
    });
  });

  it('create-workflow-execution: the spread body reaches Flyte unchanged; the id comes back structured', async () => {
    // Act
    const result = await tool('create-workflow-execution', example('create-execution.json'));
    // Assess
    expect(result.isError).toBeUndefined();
    expect(result.structuredContent).toEqual({ id: { ...ID, name: 'nightly-etl-0001', org: '' } });
    expect(jsonOf(result)).toEqual(result.structuredContent);
    expect(gw.emulator.requests).toHaveLength(1);
    expect(last()).toMatchObject({ method: 'POST', path: '/api/v1/executions' });
    expect(last()?.headers['content-type']).toBe('application/json');
    expect(last()?.headers['x-request-id']).toBe('req-mcp-1');
    expect(JSON.parse(last()?.body ?? '')).toEqual(example('create-execution.json'));
  });

  it('retrieve-workflow-execution: GET of the execution named by project, domain and name', async () => {
    // Prepare
    await create('get-me');
    // Act
    const result = await tool('retrieve-workflow-execution', { ...ID, name: 'get-me' });
    // Assess
    expect(result.isError).toBeUndefined();
    expect(result.structuredContent).toMatchObject({
      id: { ...ID, name: 'get-me', org: '' },
      spec: { launch_plan: { name: 'etl.pipeline.nightly', version: 'v42' } },
    });
    expect(last()).toMatchObject({
      method: 'GET',
      path: '/api/v1/executions/flytesnacks/development/get-me',
    });
  });

  it('list-workflow-executions: limit, filters, sortByKey and sortDirection become the REST query', async () => {
    // Prepare
    for (const name of ['list-a', 'list-b', 'list-c']) await create(name);
    // Act
    const result = await tool('list-workflow-executions', {
      ...ID,
      limit: 2,
      filters: 'value_in(phase,UNDEFINED;QUEUED;RUNNING;SUCCEEDED)',
      sortByKey: 'created_at',
      sortDirection: 'ASCENDING',
    });
    // Assess
    expect(result.isError).toBeUndefined();
    const page = result.structuredContent as { executions: { id: { name: string } }[]; token: string };
    expect(page.executions.map((e) => e.id.name)).toEqual(['list-a', 'list-b']);
    expect(page.token).toBe('2');
    expect(last()).toMatchObject({
      method: 'GET',
      path: '/api/v1/executions/flytesnacks/development',
      query: {
        limit: '2',
        filters: 'value_in(phase,UNDEFINED;QUEUED;RUNNING;SUCCEEDED)',
        'sort_by.key': 'created_at',
        'sort_by.direction': 'ASCENDING',
      },
    });
  });

  it('terminate-workflow-execution: DELETE with the cause in the body', async () => {
    // Prepare
    await create('stop-me');
    // Act
    const result = await tool('terminate-workflow-execution', { ...ID, name: 'stop-me', cause: 'by agent' });
    // Assess
    expect(result.isError).toBeUndefined();
    expect(result.structuredContent).toEqual({});
    expect(last()).toMatchObject({
      method: 'DELETE',
      path: '/api/v1/executions/flytesnacks/development/stop-me',
    });
    expect(JSON.parse(last()?.body ?? '')).toEqual({ cause: 'by agent' });
  });

  it('retrieve-execution-metrics: depth goes in the query; the span tree comes back', async () => {
    // Prepare
    await create('measure-me');
    // Act
    const result = await tool('retrieve-execution-metrics', { ...ID, name: 'measure-me', depth: '2' });
    // Assess
    expect(result.isError).toBeUndefined();
    expect(result.structuredContent).toMatchObject({
      span: { workflow_id: { ...ID, name: 'measure-me', org: '' } },
    });
    expect(last()).toMatchObject({
      method: 'GET',
      path: '/api/v1/metrics/executions/flytesnacks/development/measure-me',
      query: { depth: '2' },
    });
  });

  it.each([
    ['recover-workflow-execution', 'recover', 'recover-execution.json'],
    ['relaunch-workflow-execution', 'relaunch', 'relaunch-execution.json'],
  ])('%s: the body fields as arguments, forwarded unchanged', async (name, path, file) => {
    // Prepare
    await create('nightly-etl-0001');
    const body = example(file);
    // Act
    const result = await tool(name, body);
    // Assess
    expect(result.isError).toBeUndefined();
    expect(result.structuredContent).toEqual({ id: { ...ID, name: body.name, org: '' } });
    expect(last()).toMatchObject({ method: 'POST', path: `/api/v1/executions/${path}` });
    expect(JSON.parse(last()?.body ?? '')).toEqual(body);
  });

  it('microsoft-azure-start-run-snapshot: runDefinition is the body; a run id is minted and answered', async () => {
    // Prepare
    const definition = example('snapshot-run-definition.json');
    // Act
    const result = await tool('microsoft-azure-start-run-snapshot', { ...SCOPE, runDefinition: definition });
    // Assess
    expect(result.isError).toBeUndefined();
    const { runId } = result.structuredContent as { runId: string };
    expect(runId).toMatch(MINTED_RUN_ID);
    expect(aml().requests).toHaveLength(1);
    expect(aml().requests[0]).toMatchObject({
      method: 'POST',
      path: `${upstreamExperimentPath()}/snapshotrun`,
      query: { runId },
      status: 200,
    });
    expect(JSON.parse(aml().requests[0]?.body ?? '')).toEqual(definition);
  });

  it('microsoft-azure-start-run-local: the invocation zip comes back as an embedded resource', async () => {
    // Prepare
    const definition = example('local-run-definition.json');
    // Act
    const result = await tool('microsoft-azure-start-run-local', {
      ...SCOPE,
      runId: 'local-mcp-1',
      runDefinition: definition,
    });
    // Assess
    expect(result.isError).toBeUndefined();
    const [content] = result.content as {
      type: string;
      resource: { uri: string; mimeType: string; blob: string };
    }[];
    expect(content?.type).toBe('resource');
    expect(content?.resource.uri).toBe('azureml://runs/local-mcp-1/invocation.zip');
    expect(content?.resource.mimeType).toBe('application/octet-stream');
    const zip = Buffer.from(content?.resource.blob ?? '', 'base64');
    expect(zip.subarray(0, 4)).toEqual(Buffer.from('PK\x03\x04', 'latin1'));
    expect(readZip(zip)['azureml-setup/Invocation.sh']).toContain(
      'Would start run local-mcp-1 of experiment exp-a',
    );
    expect(aml().requests[0]).toMatchObject({
      path: `${upstreamExperimentPath()}/startlocalrun`,
      query: { runId: 'local-mcp-1' },
    });
    expect(JSON.parse(aml().requests[0]?.body ?? '')).toEqual(definition);
  });

  it('microsoft-azure-start-run-remote: an inline base64 zip is sent upstream byte for byte', async () => {
    // Prepare
    await clearStaging(gw);
    const zip = buildZip([{ name: 'train.py', data: 'print("mcp")\n' }]);
    const definition = example('run-definition.json');
    // Act
    const result = await tool('microsoft-azure-start-run-remote', {
      ...SCOPE,
      runId: 'remote-mcp-1',
      runDefinition: definition,
      projectZipBase64: zip.toString('base64'),
    });
    // Assess
    expect(result.isError).toBeUndefined();
    expect(result.structuredContent).toEqual({ runId: 'remote-mcp-1' });
    expect(aml().requests).toHaveLength(1);
    expect(aml().requests[0]?.path).toBe(`${upstreamExperimentPath()}/startrun`);
    expect(aml().requests[0]?.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    const run = aml().runs.getRun(WORKSPACE.workspace, EXPERIMENT, 'remote-mcp-1');
    expect(run?.zip).toMatchObject({ bytes: zip.length, sha256: sha256(zip) });
    expect(run?.definition).toEqual(definition);
    expect(await stagedBlobs(gw)).toEqual([]);
  });

  it('microsoft-azure-cancel-run: POST …/runId/{runId}/cancel', async () => {
    // Prepare
    await tool('microsoft-azure-start-run-snapshot', {
      ...SCOPE,
      runId: 'to-cancel',
      runDefinition: example('snapshot-run-definition.json'),
    });
    aml().requests.length = 0;
    // Act
    const result = await tool('microsoft-azure-cancel-run', { ...SCOPE, runId: 'to-cancel' });
    // Assess
    expect(result.isError).toBeUndefined();
    expect(result.structuredContent).toEqual({ runId: 'to-cancel' });
    expect(aml().requests).toHaveLength(1);
    expect(aml().requests[0]).toMatchObject({
      method: 'POST',
      path: `${upstreamExperimentPath()}/runId/to-cancel/cancel`,
      status: 200,
    });
  });
});
