/**
 * The MCP caps, on both surfaces, against the emulators: an upstream answer over
 * `MCP_MAX_ANSWER_BYTES` is a tool error naming the cap and the REST route (which then answers
 * it whole); the inline zip cap is what fits `MAX_JSON_BODY_BYTES` as base64, so a zip at the cap
 * starts a run and one byte over is a tool error, never a 413 of the whole request; arguments
 * nested deeper than `MAX_JSON_DEPTH` are refused before anything is staged or forwarded.
 * (Memory under a huge answer: mcp-memory.test.ts.)
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mcpInlineZipLimit } from '../../src/config.js';
import {
  buildZip,
  clearStaging,
  EXPERIMENT,
  example,
  sha256,
  stagedBlobs,
  upstreamExperimentPath,
} from '../helpers/azureml-requests.js';
import { type Gateway, SURFACES, startGateway, WORKSPACE } from '../helpers/gateway.js';
import {
  connectMcp,
  FLYTE_ID as ID,
  jsonOf,
  problemOf,
  rawMcp,
  AZUREML_SCOPE as SCOPE,
} from '../helpers/mcp-client.js';

const MiB = 1024 * 1024;
/** The smallest answer cap the settings allow, so a seeded list passes it. */
const ANSWER_CAP = 64 * 1024;
/** An inline cap the JSON cap cannot carry: the gateway lowers it (issue 16: 8 MiB worked to ~3 MiB). */
const ENV = {
  MCP_MAX_ANSWER_BYTES: String(ANSWER_CAP),
  MAX_JSON_BODY_BYTES: String(1 * MiB),
  MCP_MAX_INLINE_ZIP_BYTES: String(8 * MiB),
};
const ZIP_CAP = mcpInlineZipLimit({ MAX_JSON_BODY_BYTES: 1 * MiB, MCP_MAX_INLINE_ZIP_BYTES: 8 * MiB });
const LIST_PATH = '/v1/api/v1/executions/flytesnacks/development';

/** A zip of exactly `bytes`: a real one's head (its PK signature) padded out. */
function zipOfSize(bytes: number): Buffer {
  const zip = Buffer.alloc(bytes, 0x41);
  buildZip([{ name: 'train.py', data: 'print(1)\n' }]).copy(zip, 0, 0, 4);
  return zip;
}

/** The detail of arguments too deep (the default MAX_JSON_DEPTH, 128), as a REST body's says it. */
const tooDeep = (argument: string) =>
  `The arguments object, at ${argument}, nests objects and arrays deeper than 128 levels (MAX_JSON_DEPTH).`;

/** JSON text of `levels` nested arrays around 1, written out (no JSON.stringify of it anywhere). */
const deepJson = (levels: number) => `${'['.repeat(levels)}1${']'.repeat(levels)}`;

describe.each(SURFACES)('MCP caps via %s', (surface) => {
  let gw: Gateway;
  let client: Client;
  beforeAll(async () => {
    gw = await startGateway({ surface, azureml: true, env: ENV });
  });
  afterAll(() => gw.close());
  beforeEach(async () => {
    gw.emulator.reset();
    gw.azureml?.reset();
    await clearStaging(gw);
    client = await connectMcp(gw);
  });
  afterEach(() => client.close());

  const aml = () => {
    if (!gw.azureml) throw new Error('no Azure ML emulator');
    return gw.azureml;
  };
  const tool = (name: string, args: Record<string, unknown>) => client.callTool({ name, arguments: args });
  /** A tools/call sent as written, for arguments no client would serialise. */
  const rawCall = (name: string, argumentsJson: string) =>
    rawMcp(
      gw,
      'POST',
      `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"${name}","arguments":${argumentsJson}}}`,
    );

  it('a list over MCP_MAX_ANSWER_BYTES: a 413 tool error naming the cap and the REST route, which answers it whole', async () => {
    // Prepare: 200 executions, well over 64 KiB as a list.
    gw.emulator.seed(
      Array.from({ length: 200 }, (_, i) => ({ name: `big-${i}`, phase: 'SUCCEEDED' as const })),
    );
    // Act
    const small = await tool('list-workflow-executions', { ...ID, limit: 1 });
    const big = await tool('list-workflow-executions', { ...ID, limit: 200 });
    const rest = await fetch(`${gw.url}${LIST_PATH}?limit=200`);
    const restText = await rest.text();
    // Assess: under the cap, the answer as before; over it, the problem
    expect(jsonOf(small).executions).toHaveLength(1);
    const problem = problemOf(big);
    expect(problem).toMatchObject({
      status: 413,
      type: '/problems/payload-too-large',
      limit: ANSWER_CAP,
      restRoute: `GET ${LIST_PATH}?limit=200`,
    });
    expect(problem.detail).toBe(
      `The upstream's answer exceeds the ${ANSWER_CAP} bytes a tool result may carry (MCP_MAX_ANSWER_BYTES), ` +
        `so it was not read further. Call the REST route GET ${LIST_PATH}?limit=200 instead: it streams answers of any size.`,
    );
    expect(big.structuredContent).toEqual(problem);
    // Assess: Flyte was asked once per call, and the route named answers all 200
    expect(gw.emulator.requests.map((r) => [r.method, r.path, r.query.limit])).toEqual([
      ['GET', '/api/v1/executions/flytesnacks/development', '1'],
      ['GET', '/api/v1/executions/flytesnacks/development', '200'],
      ['GET', '/api/v1/executions/flytesnacks/development', '200'],
    ]);
    expect(rest.status).toBe(200);
    expect(restText.length).toBeGreaterThan(ANSWER_CAP);
    expect(JSON.parse(restText).executions).toHaveLength(200);
  });

  it('tools/list states the lowered inline cap on projectZipBase64', async () => {
    // Act
    const { tools } = await client.listTools();
    // Assess
    const remote = tools.find((t) => t.name === 'microsoft-azure-start-run-remote');
    const zipArgument = remote?.inputSchema.properties?.projectZipBase64 as { description?: string };
    expect(ZIP_CAP).toBe(737_280);
    expect(zipArgument.description).toContain(`at most ${ZIP_CAP} bytes decoded`);
  });

  it('an inline zip of exactly the lowered cap starts the run with those bytes', async () => {
    // Prepare
    const zip = zipOfSize(ZIP_CAP);
    // Act
    const result = await tool('microsoft-azure-start-run-remote', {
      ...SCOPE,
      runId: 'at-cap',
      runDefinition: example('run-definition.json'),
      projectZipBase64: zip.toString('base64'),
    });
    // Assess
    expect(result.isError).toBeUndefined();
    expect(result.structuredContent).toEqual({ runId: 'at-cap' });
    expect(aml().requests.map((r) => r.path)).toEqual([`${upstreamExperimentPath()}/startrun`]);
    const run = aml().runs.getRun(WORKSPACE.workspace, EXPERIMENT, 'at-cap');
    expect(run?.zip).toMatchObject({ bytes: ZIP_CAP, sha256: sha256(zip) });
    expect(await stagedBlobs(gw)).toEqual([]);
  });

  it('an inline zip one byte over the lowered cap is a tool error naming it; nothing staged or sent', async () => {
    // Act
    const result = await tool('microsoft-azure-start-run-remote', {
      ...SCOPE,
      runId: 'over-cap',
      runDefinition: example('run-definition.json'),
      projectZipBase64: zipOfSize(ZIP_CAP + 1).toString('base64'),
    });
    // Assess
    const problem = problemOf(result);
    expect(problem).toMatchObject({ status: 400, type: '/problems/validation-failed' });
    expect(problem.errors).toEqual([
      {
        path: 'projectZipBase64',
        message:
          `must decode to at most ${ZIP_CAP} bytes (MCP_MAX_INLINE_ZIP_BYTES, lowered to fit ` +
          'MAX_JSON_BODY_BYTES as base64); stage larger zips (POST /v1/uploads) and give stagedZipId',
      },
    ]);
    expect(aml().requests).toEqual([]);
    expect(await stagedBlobs(gw)).toEqual([]);
  });

  it.each([
    ['one level over MAX_JSON_DEPTH', 128],
    ['100,000 levels', 100_000],
  ])(
    'create with a spec %s: a 400 tool error naming the limit; Flyte sees nothing',
    async (_case, levels) => {
      // Act: the spec is `levels` deep, the arguments object one more
      const res = await rawCall(
        'create-workflow-execution',
        `{"project":"flytesnacks","domain":"development","name":"deep-1","spec":${deepJson(levels)}}`,
      );
      // Assess
      expect(res.status).toBe(200);
      const problem = problemOf(res.json().result);
      expect(problem).toMatchObject({
        status: 400,
        type: '/problems/malformed-json',
        detail: tooDeep('spec'),
      });
      expect(gw.emulator.requests).toEqual([]);
    },
  );

  it('a start with a deep runDefinition and an inline zip: refused before the zip is staged or sent', async () => {
    // Act
    const zip = buildZip([{ name: 'train.py', data: 'print(1)\n' }]).toString('base64');
    const scope = JSON.stringify(SCOPE).slice(1, -1);
    const res = await rawCall(
      'microsoft-azure-start-run-remote',
      `{${scope},"runId":"deep-run","runDefinition":${deepJson(100_000)},"projectZipBase64":"${zip}"}`,
    );
    // Assess
    expect(problemOf(res.json().result)).toMatchObject({
      status: 400,
      type: '/problems/malformed-json',
      detail: tooDeep('runDefinition'),
    });
    expect(aml().requests).toEqual([]);
    expect(await stagedBlobs(gw)).toEqual([]);
  });

  it('arguments at exactly MAX_JSON_DEPTH pass the depth check to the operation (Flyte gets them)', async () => {
    // Prepare: arguments (level 1) → inputs (2) → literals (3) → x: arrays at levels 4 to 128
    const body = example('create-execution.json');
    let x: unknown = 1;
    for (let level = 4; level <= 128; level += 1) x = [x];
    // Act
    const result = await tool('create-workflow-execution', {
      ...body,
      name: 'at-depth',
      inputs: { literals: { x } },
    });
    // Assess: not refused for depth; what Flyte makes of it is Flyte's answer
    const refusedForDepth = JSON.stringify(result).includes('MAX_JSON_DEPTH');
    expect(refusedForDepth).toBe(false);
    expect(gw.emulator.requests.map((r) => [r.method, r.path])).toEqual([['POST', '/api/v1/executions']]);
  });
});
