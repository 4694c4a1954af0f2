/**
 * Issue 17: the MCP Inspector CLI — a client this project did not write — against `/mcp`, as a
 * child process: `tools/list` shows the eleven tools with the capability specs' argument names,
 * and a Flyte and an Azure ML tool called with the spec's names succeed, as the emulators see.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { example, upstreamExperimentPath } from '../helpers/azureml-requests.js';
import { type Gateway, startGateway } from '../helpers/gateway.js';
import { contractTools, FLYTE_ID, AZUREML_SCOPE as SCOPE } from '../helpers/mcp-client.js';
import { inspect } from '../helpers/mcp-inspector.js';

describe('the MCP Inspector CLI against /mcp', () => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startGateway({ azureml: true });
  });
  afterAll(() => gw.close());
  beforeEach(() => {
    gw.emulator.reset();
    gw.azureml?.reset();
  });

  /** `--tool-arg k=v` pairs; the CLI parses each value as JSON when it can. */
  const toolArgs = (args: Record<string, unknown>) =>
    Object.entries(args).flatMap(([key, value]) => [
      '--tool-arg',
      `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`,
    ]);

  it('tools/list: the eleven tools, each with the arguments its spec binds', async () => {
    // Act
    const { tools } = await inspect(gw, ['--method', 'tools/list']);

    // Assess
    const contract = contractTools();
    expect(tools.map((t: { name: string }) => t.name).sort()).toEqual(contract.map((t) => t.name).sort());
    for (const { name, arguments: bound } of contract) {
      const schema = tools.find((t: { name: string }) => t.name === name).inputSchema;
      for (const path of bound) {
        const [head, field] = path.split('.') as [string, string | undefined];
        expect(schema.properties[head], `${name}: ${path}`).toBeDefined();
        if (field) expect(schema.properties[head].properties[field], `${name}: ${path}`).toBeDefined();
      }
    }
  }, 60_000);

  it('tools/call list-workflow-executions with id {project, domain} and a numeric limit', async () => {
    // Prepare
    for (const name of ['insp-a', 'insp-b']) gw.emulator.seed({ ...FLYTE_ID, name, phase: 'RUNNING' });

    // Act
    const result = await inspect(gw, [
      '--method',
      'tools/call',
      '--tool-name',
      'list-workflow-executions',
      ...toolArgs({ id: FLYTE_ID, limit: 1 }),
    ]);

    // Assess
    expect(result.isError).toBeUndefined();
    expect(result.structuredContent.executions).toHaveLength(1);
    expect(gw.emulator.requests.map((r) => [r.method, r.path, r.query])).toEqual([
      ['GET', '/api/v1/executions/flytesnacks/development', { limit: '1' }],
    ]);
  }, 60_000);

  it('tools/call microsoft-azure-start-run-snapshot with experimentName, definition and runId', async () => {
    // Prepare
    const definition = example('snapshot-run-definition.json');

    // Act
    const result = await inspect(gw, [
      '--method',
      'tools/call',
      '--tool-name',
      'microsoft-azure-start-run-snapshot',
      ...toolArgs({ ...SCOPE, runId: 'inspector-1', definition }),
    ]);

    // Assess
    expect(result.isError).toBeUndefined();
    expect(result.structuredContent).toEqual({ runId: 'inspector-1' });
    expect(gw.azureml?.requests.map((r) => [r.path, r.query.runId, JSON.parse(r.body ?? '')])).toEqual([
      [`${upstreamExperimentPath()}/snapshotrun`, 'inspector-1', definition],
    ]);
  }, 60_000);
});
