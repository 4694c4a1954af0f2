/**
 * Issue 17: the MCP tools take the arguments the capability specs bind (`with: id.project:
 * tools.id.project`, `experimentName`, `runId`, `definition`, `runDefinitionFile`,
 * `projectZipFile`), through the official SDK client, on both surfaces — asserted on the answer
 * and on what the emulators received. The names the tools took before stay as deprecated
 * aliases; an alias and its name with different values are refused naming both; `limit` and
 * `depth` are integers in the schema; and an Azure ML failure carries the upstream's code and
 * message into the `isError` result.
 */
import { BlockBlobClient } from '@azure/storage-blob';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  buildZip,
  clearStaging,
  EXPERIMENT,
  example,
  MINTED_RUN_ID,
  readZip,
  sha256,
  upstreamExperimentPath,
} from '../helpers/azureml-requests.js';
import { call, type Gateway, SURFACES, startGateway, WORKSPACE } from '../helpers/gateway.js';
import {
  connectMcp,
  contractTools,
  FLYTE_ID,
  flyteId,
  jsonOf,
  problemOf,
  AZUREML_SCOPE as SCOPE,
} from '../helpers/mcp-client.js';

/** JSON Schema as `tools/list` shows it, loosely typed for the assertions. */
// biome-ignore lint/suspicious/noExplicitAny: checked by expect()
type Json = any;

describe.each(SURFACES)('the spec’s MCP arguments via %s', (surface) => {
  let gw: Gateway;
  let client: Client;
  beforeAll(async () => {
    gw = await startGateway({ surface, azureml: true });
  });
  afterAll(() => gw.close());
  beforeEach(async () => {
    gw.emulator.reset();
    gw.azureml?.reset();
    client = await connectMcp(gw);
  });
  afterEach(() => client.close());

  const aml = () => {
    if (!gw.azureml) throw new Error('no Azure ML emulator');
    return gw.azureml;
  };
  const flyteCalls = () => gw.emulator.requests;
  const last = () => gw.emulator.requests.at(-1);
  const tool = (name: string, args: Record<string, unknown>) => client.callTool({ name, arguments: args });
  const seed = (name: string) => gw.emulator.seed({ ...FLYTE_ID, name, phase: 'RUNNING' });
  const schemaOf = async (name: string): Promise<Json> =>
    (await client.listTools()).tools.find((t) => t.name === name)?.inputSchema;

  describe('tools/list', () => {
    it('every tool lists the arguments its spec binds, required ones required, with their fields', async () => {
      // Act
      const { tools } = await client.listTools();

      // Assess
      expect(tools).toHaveLength(11);
      for (const contract of contractTools()) {
        const schema: Json = tools.find((t) => t.name === contract.name)?.inputSchema;
        for (const path of contract.arguments) {
          const [head, field] = path.split('.') as [string, string | undefined];
          const property = schema.properties[head];
          expect(property, `${contract.name}: ${path}`).toBeDefined();
          expect(property.deprecated, `${contract.name}: ${path}`).toBeUndefined();
          if (field === undefined) continue;
          expect(property.type).toBe('object');
          expect(property.properties[field], `${contract.name}: ${path}`).toBeDefined();
          expect(property.required).toContain(field);
          expect(schema.required).toContain(head);
        }
      }
    });

    it('Flyte: id is flyteidl’s object; the old names are deprecated aliases', async () => {
      // Act
      const list = await schemaOf('list-workflow-executions');
      const get = await schemaOf('retrieve-workflow-execution');

      // Assess
      expect(list.required).toEqual(['id']);
      expect(list.properties.id).toMatchObject({
        type: 'object',
        required: ['project', 'domain'],
        additionalProperties: false,
        properties: { project: { type: 'string' }, domain: { type: 'string' } },
      });
      expect(Object.keys(list.properties.id.properties)).not.toContain('name');
      expect(get.properties.id).toMatchObject({
        required: ['project', 'domain', 'name'],
        properties: { name: { type: 'string', pattern: '^[a-z][a-z0-9-]*$' } },
      });
      for (const alias of ['project', 'domain', 'name']) {
        expect(get.properties[alias]).toMatchObject({
          deprecated: true,
          description: expect.stringMatching(new RegExp(`^Deprecated alias of id\\.${alias}`)),
        });
      }
      expect(get.additionalProperties).toBe(false);
    });

    it('Azure ML: definition, runDefinitionFile and projectZipFile; the old names deprecated', async () => {
      // Act
      const snapshot = await schemaOf('microsoft-azure-start-run-snapshot');
      const remote = await schemaOf('microsoft-azure-start-run-remote');

      // Assess
      expect(snapshot.required).toEqual([...Object.keys(SCOPE), 'definition']);
      expect(snapshot.properties.runDefinition).toMatchObject({ deprecated: true });
      expect(remote.required).toEqual([...Object.keys(SCOPE), 'runDefinitionFile', 'projectZipFile']);
      expect(remote.properties.projectZipFile.anyOf).toEqual([
        expect.objectContaining({ type: 'string', contentEncoding: 'base64' }),
        expect.objectContaining({ type: 'object', required: ['stagedZipId'] }),
      ]);
      for (const alias of ['runDefinition', 'projectZipBase64', 'stagedZipId']) {
        expect(remote.properties[alias]).toMatchObject({ deprecated: true });
      }
    });

    it('limit and depth are integers with their bounds', async () => {
      // Act
      const list = await schemaOf('list-workflow-executions');
      const metrics = await schemaOf('retrieve-execution-metrics');

      // Assess
      expect(list.properties.limit).toMatchObject({ type: 'integer', minimum: 1, maximum: 1000 });
      expect(list.properties.limit.pattern).toBeUndefined();
      expect(metrics.properties.depth).toMatchObject({ type: 'integer', minimum: 0, maximum: 10 });
    });

    it('each runId says what it is for that tool: cancel’s is required and never generated', async () => {
      // Act
      const cancel = await schemaOf('microsoft-azure-cancel-run');
      const snapshot = await schemaOf('microsoft-azure-start-run-snapshot');

      // Assess
      expect(cancel.required).toContain('runId');
      expect(cancel.properties.runId.description).toBe('The id of the run to cancel');
      expect(snapshot.required).not.toContain('runId');
      expect(snapshot.properties.runId.description).toMatch(/generated when omitted/);
    });
  });

  describe('the eleven tools, called with the spec’s names', () => {
    it('create-workflow-execution: its body fields, forwarded unchanged', async () => {
      // Act
      const result = await tool('create-workflow-execution', example('create-execution.json'));

      // Assess
      expect(jsonOf(result)).toEqual({ id: { ...FLYTE_ID, name: 'nightly-etl-0001', org: '' } });
      expect(last()).toMatchObject({ method: 'POST', path: '/api/v1/executions' });
      expect(JSON.parse(last()?.body ?? '')).toEqual(example('create-execution.json'));
    });

    it.each([
      ['recover-workflow-execution', 'recover', 'recover-execution.json'],
      ['relaunch-workflow-execution', 'relaunch', 'relaunch-execution.json'],
    ])('%s: id is flyteidl’s identifier in the body', async (name, path, file) => {
      // Prepare
      seed('nightly-etl-0001');
      const body = example(file);

      // Act
      const result = await tool(name, body);

      // Assess
      expect(jsonOf(result)).toEqual({ id: { ...FLYTE_ID, name: body.name, org: '' } });
      expect(last()).toMatchObject({ method: 'POST', path: `/api/v1/executions/${path}` });
      expect(JSON.parse(last()?.body ?? '')).toMatchObject({ id: body.id });
    });

    it('list-workflow-executions: id {project, domain}, limit a number', async () => {
      // Prepare
      for (const name of ['list-a', 'list-b', 'list-c']) seed(name);

      // Act
      const result = await tool('list-workflow-executions', { ...flyteId(), limit: 2 });

      // Assess
      expect(jsonOf(result).executions).toHaveLength(2);
      expect(flyteCalls()).toHaveLength(1);
      expect(last()).toMatchObject({
        method: 'GET',
        path: '/api/v1/executions/flytesnacks/development',
        query: { limit: '2' },
      });
    });

    it('retrieve-workflow-execution: id {project, domain, name}', async () => {
      // Prepare
      seed('get-me');

      // Act
      const result = await tool('retrieve-workflow-execution', flyteId('get-me'));

      // Assess
      expect(jsonOf(result)).toMatchObject({ id: { ...FLYTE_ID, name: 'get-me' } });
      expect(last()).toMatchObject({
        method: 'GET',
        path: '/api/v1/executions/flytesnacks/development/get-me',
      });
    });

    it('terminate-workflow-execution: id {project, domain, name} and the cause', async () => {
      // Prepare
      seed('stop-me');

      // Act
      const result = await tool('terminate-workflow-execution', { ...flyteId('stop-me'), cause: 'by agent' });

      // Assess
      expect(jsonOf(result)).toEqual({});
      expect(last()).toMatchObject({
        method: 'DELETE',
        path: '/api/v1/executions/flytesnacks/development/stop-me',
      });
      expect(JSON.parse(last()?.body ?? '')).toMatchObject({ cause: 'by agent' });
    });

    it('retrieve-execution-metrics: id {project, domain, name}, depth a number', async () => {
      // Prepare
      seed('measure-me');

      // Act
      const result = await tool('retrieve-execution-metrics', { ...flyteId('measure-me'), depth: 2 });

      // Assess
      expect(jsonOf(result)).toMatchObject({ span: { workflow_id: { ...FLYTE_ID, name: 'measure-me' } } });
      expect(last()).toMatchObject({
        method: 'GET',
        path: '/api/v1/metrics/executions/flytesnacks/development/measure-me',
        query: { depth: '2' },
      });
    });

    it('microsoft-azure-start-run-snapshot: experimentName, definition, runId', async () => {
      // Prepare
      const definition = example('snapshot-run-definition.json');

      // Act
      const result = await tool('microsoft-azure-start-run-snapshot', {
        ...SCOPE,
        definition,
        runId: 'snap-1',
      });

      // Assess
      expect(jsonOf(result)).toEqual({ runId: 'snap-1' });
      expect(aml().requests).toHaveLength(1);
      expect(aml().requests[0]).toMatchObject({
        method: 'POST',
        path: `${upstreamExperimentPath()}/snapshotrun`,
        query: { runId: 'snap-1' },
        status: 200,
      });
      expect(JSON.parse(aml().requests[0]?.body ?? '')).toEqual(definition);
    });

    it('microsoft-azure-start-run-local: definition; the invocation zip comes back', async () => {
      // Prepare
      const definition = example('local-run-definition.json');

      // Act
      const result = await tool('microsoft-azure-start-run-local', {
        ...SCOPE,
        definition,
        runId: 'local-1',
      });

      // Assess
      const [content] = result.content as { type: string; resource: { uri: string; blob: string } }[];
      expect(content?.resource.uri).toBe('azureml://runs/local-1/invocation.zip');
      expect(
        readZip(Buffer.from(content?.resource.blob ?? '', 'base64'))['azureml-setup/Invocation.sh'],
      ).toContain('Would start run local-1 of experiment exp-a');
      expect(aml().requests[0]).toMatchObject({
        path: `${upstreamExperimentPath()}/startlocalrun`,
        query: { runId: 'local-1' },
      });
      expect(JSON.parse(aml().requests[0]?.body ?? '')).toEqual(definition);
    });

    it('microsoft-azure-start-run-remote: runDefinitionFile and projectZipFile (base64), byte for byte', async () => {
      // Prepare
      await clearStaging(gw);
      const zip = buildZip([{ name: 'train.py', data: 'print("spec names")\n' }]);
      const definition = example('run-definition.json');

      // Act
      const result = await tool('microsoft-azure-start-run-remote', {
        ...SCOPE,
        runId: 'remote-1',
        runDefinitionFile: definition,
        projectZipFile: zip.toString('base64'),
      });

      // Assess
      expect(jsonOf(result)).toEqual({ runId: 'remote-1' });
      expect(aml().requests.map((r) => r.path)).toEqual([`${upstreamExperimentPath()}/startrun`]);
      expect(aml().requests[0]?.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
      const run = aml().runs.getRun(WORKSPACE.workspace, EXPERIMENT, 'remote-1');
      expect(run?.zip).toMatchObject({ bytes: zip.length, sha256: sha256(zip) });
      expect(run?.definition).toEqual(definition);
    });

    it('microsoft-azure-cancel-run: experimentName and runId', async () => {
      // Prepare
      await tool('microsoft-azure-start-run-snapshot', {
        ...SCOPE,
        runId: 'to-cancel',
        definition: example('snapshot-run-definition.json'),
      });
      aml().requests.length = 0;

      // Act
      const result = await tool('microsoft-azure-cancel-run', { ...SCOPE, runId: 'to-cancel' });

      // Assess
      expect(jsonOf(result)).toEqual({ runId: 'to-cancel' });
      expect(aml().requests).toEqual([
        expect.objectContaining({
          method: 'POST',
          path: `${upstreamExperimentPath()}/runId/to-cancel/cancel`,
        }),
      ]);
    });
  });

  describe('the file arguments of startrun', () => {
    it.each([
      ['its JSON text', (text: string) => text],
      ['its JSON text, base64-encoded', (text: string) => Buffer.from(text).toString('base64')],
    ])('runDefinitionFile as %s', async (_case, encode) => {
      // Prepare
      const definition = example('run-definition.json');
      const zip = buildZip([{ name: 'train.py', data: 'print(1)\n' }]);

      // Act
      const result = await tool('microsoft-azure-start-run-remote', {
        ...SCOPE,
        runId: 'file-text',
        runDefinitionFile: encode(JSON.stringify(definition, null, 2)),
        projectZipFile: zip.toString('base64'),
      });

      // Assess
      expect(jsonOf(result)).toEqual({ runId: 'file-text' });
      expect(aml().runs.getRun(WORKSPACE.workspace, EXPERIMENT, 'file-text')?.definition).toEqual(definition);
    });

    it('projectZipFile: {stagedZipId} names a zip staged through an upload slot', async () => {
      // Prepare
      const zip = buildZip([{ name: 'train.py', data: 'print("staged")\n' }]);
      const slot = (await call(gw, 'POST', '/v1/uploads')).json();
      await new BlockBlobClient(slot.uploadUrl).uploadData(zip);

      // Act
      const result = await tool('microsoft-azure-start-run-remote', {
        ...SCOPE,
        runId: 'staged-1',
        runDefinitionFile: example('run-definition.json'),
        projectZipFile: { stagedZipId: slot.uploadId },
      });

      // Assess
      expect(jsonOf(result)).toEqual({ runId: 'staged-1' });
      expect(aml().runs.getRun(WORKSPACE.workspace, EXPERIMENT, 'staged-1')?.zip).toMatchObject({
        sha256: sha256(zip),
      });
    });

    it('a runDefinitionFile that is no JSON is refused naming it, before anything is sent', async () => {
      // Act
      const result = await tool('microsoft-azure-start-run-remote', {
        ...SCOPE,
        runDefinitionFile: 'not json at all',
        projectZipFile: buildZip([{ name: 'a.py', data: 'x' }]).toString('base64'),
      });

      // Assess
      expect(problemOf(result)).toMatchObject({
        status: 400,
        errors: [{ path: 'runDefinitionFile', message: expect.stringContaining('must be a RunDefinition') }],
      });
      expect(aml().requests).toEqual([]);
    });
  });

  describe('the old names, as deprecated aliases', () => {
    it('Flyte: project, domain, name still name the execution', async () => {
      // Prepare
      seed('old-names');

      // Act
      const result = await tool('retrieve-workflow-execution', { ...FLYTE_ID, name: 'old-names' });

      // Assess
      expect(jsonOf(result)).toMatchObject({ id: { name: 'old-names' } });
      expect(last()?.path).toBe('/api/v1/executions/flytesnacks/development/old-names');
    });

    it('Azure ML: runDefinition, projectZipBase64 and a top-level stagedZipId still start runs', async () => {
      // Prepare
      const definition = example('snapshot-run-definition.json');
      const zip = buildZip([{ name: 'train.py', data: 'print("old")\n' }]);
      const slot = (await call(gw, 'POST', '/v1/uploads')).json();
      await new BlockBlobClient(slot.uploadUrl).uploadData(zip);

      // Act
      const snapshot = await tool('microsoft-azure-start-run-snapshot', {
        ...SCOPE,
        runId: 'old-snap',
        runDefinition: definition,
      });
      const inline = await tool('microsoft-azure-start-run-remote', {
        ...SCOPE,
        runId: 'old-inline',
        runDefinition: example('run-definition.json'),
        projectZipBase64: zip.toString('base64'),
      });
      const staged = await tool('microsoft-azure-start-run-remote', {
        ...SCOPE,
        runId: 'old-staged',
        runDefinition: example('run-definition.json'),
        stagedZipId: slot.uploadId,
      });

      // Assess
      expect([jsonOf(snapshot), jsonOf(inline), jsonOf(staged)]).toEqual([
        { runId: 'old-snap' },
        { runId: 'old-inline' },
        { runId: 'old-staged' },
      ]);
      expect(JSON.parse(aml().requests[0]?.body ?? '')).toEqual(definition);
      expect(aml().requests.map((r) => r.query.runId)).toEqual(['old-snap', 'old-inline', 'old-staged']);
    });

    it('an alias beside its name with the same value is accepted', async () => {
      // Prepare
      seed('both-same');

      // Act
      const result = await tool('retrieve-workflow-execution', {
        ...flyteId('both-same'),
        name: 'both-same',
      });

      // Assess
      expect(result.isError).toBeUndefined();
      expect(last()?.path).toBe('/api/v1/executions/flytesnacks/development/both-same');
    });

    it.each<[string, string, Record<string, unknown>, string, string]>([
      [
        'id.name and name',
        'retrieve-workflow-execution',
        { ...flyteId('one-run'), name: 'another-run' },
        'id.name',
        'name',
      ],
      [
        'definition and runDefinition',
        'microsoft-azure-start-run-snapshot',
        {
          ...SCOPE,
          definition: example('snapshot-run-definition.json'),
          runDefinition: { snapshotId: '00000000-0000-0000-0000-000000000001' },
        },
        'definition',
        'runDefinition',
      ],
      [
        'projectZipFile.stagedZipId and stagedZipId',
        'microsoft-azure-start-run-remote',
        {
          ...SCOPE,
          runDefinitionFile: {},
          projectZipFile: { stagedZipId: '3f2504e0-4f89-41d3-9a0c-0305e82c3301' },
          stagedZipId: '3f2504e0-4f89-41d3-9a0c-0305e82c3302',
        },
        'projectZipFile.stagedZipId',
        'stagedZipId',
      ],
    ])(
      '%s with different values: an isError naming both, nothing sent',
      async (_case, name, args, path, alias) => {
        // Act
        const problem = problemOf(await tool(name, args));

        // Assess
        expect(problem).toMatchObject({ type: '/problems/validation-failed', status: 400 });
        expect(problem.errors).toEqual([{ path, message: expect.stringContaining(alias) }]);
        expect(problem.detail).toContain(path);
        expect(problem.detail).toContain(alias);
        expect(flyteCalls()).toEqual([]);
        expect(aml().requests).toEqual([]);
      },
    );

    it('a problem names the argument as the agent sent it: id.project, or its alias project', async () => {
      // Act
      const spec = problemOf(
        await tool('retrieve-workflow-execution', { id: { ...FLYTE_ID, project: 'Bad_P', name: 'x' } }),
      );
      const alias = problemOf(
        await tool('retrieve-workflow-execution', { ...FLYTE_ID, project: 'Bad_P', name: 'x' }),
      );
      const missing = problemOf(
        await tool('retrieve-workflow-execution', { id: { domain: 'development', name: 'x' } }),
      );

      // Assess
      expect(spec.errors.map((e: { path: string }) => e.path)).toEqual(['id.project']);
      expect(alias.errors.map((e: { path: string }) => e.path)).toEqual(['project']);
      expect(missing.errors).toEqual([{ path: 'id.project', message: expect.any(String) }]);
      expect(flyteCalls()).toEqual([]);
    });

    it('id that is not an object, or has a field flyteidl’s identifier has not, is refused', async () => {
      // Act
      const notObject = problemOf(
        await tool('retrieve-workflow-execution', { id: 'flytesnacks/development/x' }),
      );
      const unknown = problemOf(await tool('list-workflow-executions', { id: { ...FLYTE_ID, name: 'x' } }));

      // Assess
      expect(notObject.errors).toEqual([
        { path: 'id', message: expect.stringMatching(/^must be an object: \{project, domain, name/) },
      ]);
      expect(unknown.errors).toEqual([{ path: 'id.name', message: 'is not a known field' }]);
      expect(flyteCalls()).toEqual([]);
    });

    it('limit out of its bounds is refused under its name', async () => {
      // Act
      const problem = problemOf(await tool('list-workflow-executions', { ...flyteId(), limit: 0 }));

      // Assess
      expect(problem.errors).toEqual([{ path: 'limit', message: expect.stringMatching(/at least 1/) }]);
      expect(flyteCalls()).toEqual([]);
    });
  });

  describe('upstream failures in the isError result', () => {
    it('Azure ML: the upstream’s code and message, in the detail and the summary', async () => {
      // Act
      const problem = problemOf(await tool('microsoft-azure-cancel-run', { ...SCOPE, runId: 'no-such-run' }));

      // Assess: the emulator answered its ErrorResponse...
      expect(aml().requests).toEqual([expect.objectContaining({ status: 404 })]);
      // ...and the agent reads its code and message.
      expect(problem).toMatchObject({
        type: '/problems/upstream-error',
        status: 404,
        detail: 'Azure ML answered 404 (UserError): Run no-such-run was not found in experiment exp-a.',
        upstream: {
          status: 404,
          body: {
            error: { code: 'UserError', message: 'Run no-such-run was not found in experiment exp-a.' },
          },
        },
      });
    });

    it('Azure ML 5xx: the code, never the message', async () => {
      // Prepare
      aml().faults.set({ status5xx: { count: 10, status: 500 } });

      // Act
      const problem = problemOf(await tool('microsoft-azure-cancel-run', { ...SCOPE, runId: 'any-run' }));

      // Assess
      expect(problem).toMatchObject({ status: 502, detail: 'Azure ML answered 500 (ServiceError).' });
      expect(JSON.stringify(problem)).not.toContain('injected');
    });

    it('Flyte: the upstream’s message too', async () => {
      // Act
      const problem = problemOf(await tool('retrieve-workflow-execution', flyteId('not-there')));

      // Assess
      expect(problem).toMatchObject({ status: 404, upstream: { status: 404, body: { code: 5 } } });
      expect(problem.detail).toMatch(/^Flyte Admin answered 404: missing entity/);
    });
  });

  it('a run id is minted when a start names none', async () => {
    // Act
    const result = await tool('microsoft-azure-start-run-snapshot', {
      ...SCOPE,
      definition: example('snapshot-run-definition.json'),
    });

    // Assess
    expect(jsonOf(result).runId).toMatch(MINTED_RUN_ID);
    expect(aml().requests[0]?.query.runId).toBe(jsonOf(result).runId);
  });
});
