/**
 * AUTH_MODE=entra over real HTTP, against a test issuer the test controls (its own keys, its
 * JWKS served on loopback): no token, a token for another audience, an expired one and a forged
 * `x-ms-client-principal` (Easy Auth off) are 401; a token without the operation's role is 403
 * on REST, MCP (the tool is not even listed) and batch submission; none reaches an upstream. A
 * caller with the role gets through, and its ids are in the log lines and the batch report.
 */
import { readFileSync } from 'node:fs';
import { BlockBlobClient } from '@azure/storage-blob';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { example, experimentPath, projectZip, upstreamExperimentPath } from '../helpers/azureml-requests.js';
import { flyteTarget } from '../helpers/cancellations.js';
import { call, type Gateway, startGateway } from '../helpers/gateway.js';
import { AZUREML_SCOPE, FLYTE_ID, rawMcp } from '../helpers/mcp-client.js';
import { startTestIssuer, TEST_AUDIENCE, TEST_ISSUER, type TestIssuer } from '../helpers/test-issuer.js';

const RUN = '/v1/api/v1/executions/flytesnacks/development/run-1';

let issuer: TestIssuer;
let gateway: Gateway;

beforeAll(async () => {
  issuer = await startTestIssuer();
  gateway = await startGateway({ azureml: true, cancellations: true, env: issuer.env });
}, 60_000);
afterAll(async () => {
  await gateway?.close();
  await issuer?.close();
});
beforeEach(() => {
  gateway.emulator.reset();
  gateway.emulator.seed({ ...FLYTE_ID, name: 'run-1', phase: 'RUNNING' });
  gateway.emulator.requests.length = 0;
  gateway.logs.lines.length = 0;
});

const bearer = (...args: Parameters<TestIssuer['bearer']>) => issuer.bearer(...args);

const createBody = JSON.parse(readFileSync('examples/create-execution.json', 'utf8'));
const mcpCall = (headers: Record<string, string>, method: string, params: object = {}) =>
  rawMcp(gateway, 'POST', JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }), headers);

describe('who may call (AUTH_MODE=entra)', () => {
  it.each([
    ['no token', async () => ({})],
    ['a token for another audience', async () => bearer(['Executions.Read'], { audience: 'api://other' })],
    ['an expired token', async () => bearer(['Executions.Read'], { expires: '-10m' })],
    [
      'a token from another tenant',
      async () => bearer(['Executions.Read'], { tenant: '99999999-8888-7777-6666-555555555555' }),
    ],
    [
      'a forged x-ms-client-principal (Easy Auth is off)',
      async () => ({
        'x-ms-client-principal': Buffer.from(
          JSON.stringify({ claims: [{ typ: 'roles', val: 'Executions.Read' }] }),
        ).toString('base64'),
      }),
    ],
  ])('%s: 401 with WWW-Authenticate, nothing upstream', async (_case, headers) => {
    // Act
    const answer = await call(gateway, 'GET', RUN, undefined, await headers());

    // Assess
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toBe(
      `Bearer resource_metadata="${gateway.url}/.well-known/oauth-protected-resource"`,
    );
    expect(answer.json()).toMatchObject({ type: '/problems/unauthenticated', status: 401 });
    expect(gateway.emulator.requests).toHaveLength(0);
  });

  it('publishes Protected Resource Metadata naming the Entra issuer (what an MCP client signs in with)', async () => {
    // Act
    const answer = await call(gateway, 'GET', '/.well-known/oauth-protected-resource');

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.json()).toEqual({
      resource: `${gateway.url}/mcp`,
      authorization_servers: [TEST_ISSUER],
      scopes_supported: [`${TEST_AUDIENCE}/.default`],
      bearer_methods_supported: ['header'],
      resource_name: 'Execution Gateway',
    });
  });

  it('a caller with the role gets through, and its ids are on the request log line', async () => {
    // Act
    const answer = await call(gateway, 'GET', RUN, undefined, {
      ...(await bearer(['Executions.Read'])),
      'x-request-id': 'entra-read',
    });

    // Assess
    expect(answer.status).toBe(200);
    expect(gateway.emulator.requests).toHaveLength(1);
    expect(gateway.emulator.requests[0]?.headers.authorization).toBeUndefined(); // never forwarded
    const line = gateway.logs.entries().find((e) => e.requestId === 'entra-read');
    expect(line).toMatchObject({ event: 'request.done', callerOid: 'oid-caller', callerAppId: 'app-caller' });
  });

  it('REST: a token without the operation role is 403 role-required, nothing upstream', async () => {
    // Act
    const answer = await call(
      gateway,
      'POST',
      '/v1/api/v1/executions',
      createBody,
      await bearer(['Executions.Read']),
    );

    // Assess
    expect(answer.status).toBe(403);
    expect(answer.json()).toMatchObject({ type: '/problems/role-required' });
    expect(answer.json().detail).toContain('Executions.Run');
    expect(gateway.emulator.requests).toHaveLength(0);
  });

  it('MCP: only the tools the roles allow are listed, and another is refused', async () => {
    // Prepare
    const headers = await bearer(['Executions.Read']);

    // Act
    const listed = await mcpCall(headers, 'tools/list');
    const refused = await mcpCall(headers, 'tools/call', {
      name: 'create-workflow-execution',
      arguments: createBody,
    });
    const anonymous = await mcpCall({}, 'tools/list');

    // Assess
    expect(listed.status).toBe(200);
    expect(
      listed
        .json()
        .result.tools.map((t: { name: string }) => t.name)
        .sort(),
    ).toEqual(['list-workflow-executions', 'retrieve-execution-metrics', 'retrieve-workflow-execution']);
    expect(JSON.stringify(refused.json())).toMatch(/not found|isError/i);
    expect(anonymous.status).toBe(401);
    expect(gateway.emulator.requests).toHaveLength(0);
  });

  it('batch: submission needs the cancel role; the report names who submitted', async () => {
    // Act
    const body = { cause: 'entra', targets: [flyteTarget('run-1')] };
    const readOnly = await call(
      gateway,
      'POST',
      '/v1/cancellations',
      body,
      await bearer(['Executions.Read']),
    );
    const canceller = await bearer(['Executions.Cancel', 'Executions.Read']);
    const accepted = await call(gateway, 'POST', '/v1/cancellations', body, canceller);

    // Assess
    expect(readOnly.status).toBe(403);
    expect(readOnly.json()).toMatchObject({ type: '/problems/role-required' });
    expect(accepted.status).toBe(202);
    const response = await fetch(`${gateway.url}/v1/cancellations/${accepted.json().batchId}`, {
      headers: canceller,
    });
    expect(await response.json()).toMatchObject({
      submittedBy: { objectId: 'oid-caller', appId: 'app-caller' },
    });
  });

  it("a staged zip is its uploader's: another caller with the run role finds nothing, on REST and MCP", async () => {
    // Prepare: Alice fills an upload slot
    const alice = await bearer(['Executions.Run'], { oid: 'oid-alice' });
    const bob = await bearer(['Executions.Run'], { oid: 'oid-bob' });
    const slot = (await call(gateway, 'POST', '/v1/uploads', undefined, alice)).json();
    await new BlockBlobClient(slot.uploadUrl).uploadData(projectZip());
    const body = { runDefinition: example('run-definition.json'), stagedZipId: slot.uploadId };
    const start = `${experimentPath()}/startrun`;
    gateway.azureml?.reset();

    // Act
    const rest = await call(gateway, 'POST', `${start}?runId=bobs`, body, bob);
    const tool = await mcpCall(bob, 'tools/call', {
      name: 'microsoft-azure-start-run-remote',
      arguments: { ...AZUREML_SCOPE, ...body, runId: 'bobs-tool' },
    });
    const own = await call(gateway, 'POST', `${start}?runId=alices`, body, alice);

    // Assess
    const notYours = 'no staged zip of yours has this id (expired, used, or never uploaded)';
    expect([rest.status, rest.json().errors]).toEqual([
      400,
      [{ path: 'body.stagedZipId', message: notYours }],
    ]);
    expect(tool.json().result).toMatchObject({ isError: true, structuredContent: { status: 400 } });
    expect(JSON.stringify(tool.json().result.structuredContent.errors)).toContain(notYours);
    expect(own.status, own.text).toBe(200);
    expect(gateway.azureml?.requests.map((r) => [r.path, r.query.runId])).toEqual([
      [`${upstreamExperimentPath()}/startrun`, 'alices'],
    ]);
  });
});
