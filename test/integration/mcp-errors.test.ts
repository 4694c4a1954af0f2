/**
 * How the MCP surface fails, on both surfaces: bad arguments, allow-list refusals and upstream
 * failures come back as `isError` tool results carrying the REST problem (field paths in
 * argument names) and reach no upstream when refused; protocol faults — wrong method,
 * malformed JSON-RPC, an oversized body — get JSON-RPC errors (or a 413 problem), never a 500.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { operations } from '../../src/catalog/index.js';
import { mcpRoute } from '../../src/mcp/route.js';
import { buildZip, example, upstreamExperimentPath } from '../helpers/azureml-requests.js';
import { type Gateway, SURFACES, startGateway } from '../helpers/gateway.js';
import {
  connectMcp,
  FLYTE_ID as ID,
  MCP_ACCEPT,
  problemOf,
  rawMcp,
  AZUREML_SCOPE as SCOPE,
} from '../helpers/mcp-client.js';
import { gatewayRequest, recordingSink } from '../helpers/unit-factories.js';

describe.each(SURFACES)('MCP failures via %s', (surface) => {
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
  const tool = (name: string, args: Record<string, unknown>) => client.callTool({ name, arguments: args });
  const upstreamJournalsEmpty = () => {
    expect(gw.emulator.requests).toEqual([]);
    expect(aml().requests).toEqual([]);
  };

  it('a bad project is a validation-failed isError result naming the argument; Flyte sees nothing', async () => {
    // Act
    const result = await tool('retrieve-workflow-execution', { ...ID, project: 'Bad_Name', name: 'x1' });
    // Assess
    expect(result.isError).toBe(true);
    const problem = problemOf(result);
    expect(problem).toMatchObject({ type: '/problems/validation-failed', status: 400 });
    expect(problem.errors).toEqual([
      {
        path: 'project',
        message:
          'must be a DNS-1123 label: lower-case letters, digits and -, starting and ending alphanumeric',
      },
    ]);
    expect(result.structuredContent).toEqual(problem);
    upstreamJournalsEmpty();
  });

  it('nested body, query and unknown-argument errors are named as the tool arguments', async () => {
    // Prepare
    const body = example('create-execution.json');
    const { version: _, ...launchPlan } = body.spec.launch_plan;
    // Act
    const created = await tool('create-workflow-execution', { ...body, spec: { launch_plan: launchPlan } });
    const listed = await tool('list-workflow-executions', { ...ID, limit: 0, sortDirection: 'ASCENDING' });
    const unknown = await tool('retrieve-workflow-execution', { ...ID, name: 7, bogus: true });
    // Assess
    expect(problemOf(created).errors).toEqual([
      { path: 'spec.launch_plan.version', message: 'is required (string)' },
    ]);
    expect(problemOf(listed).errors).toEqual([
      { path: 'limit', message: 'must be at least 1' },
      { path: 'sortByKey', message: 'required when sort_by.direction is given' },
    ]);
    expect(problemOf(unknown)).toMatchObject({ status: 400, type: '/problems/validation-failed' });
    expect(problemOf(unknown).errors).toEqual([
      { path: 'bogus', message: 'is not a known field' },
      { path: 'name', message: 'must be a string' },
    ]);
    upstreamJournalsEmpty();
  });

  it('Azure ML start arguments: runDefinition errors and the upload choice; the emulator sees nothing', async () => {
    // Act
    const snapshot = await tool('microsoft-azure-start-run-snapshot', {
      ...SCOPE,
      runDefinition: { configuration: { nodeCount: 0 } },
    });
    const remote = await tool('microsoft-azure-start-run-remote', {
      ...SCOPE,
      runDefinition: { configuration: { nodeCount: 0 } },
      projectZipBase64: buildZip([{ name: 'a.py', data: 'x' }]).toString('base64'),
    });
    const noZip = await tool('microsoft-azure-start-run-remote', { ...SCOPE, runDefinition: {} });
    const notBase64 = await tool('microsoft-azure-start-run-remote', {
      ...SCOPE,
      runDefinition: {},
      projectZipBase64: 'not base64!',
    });
    // Assess
    expect(problemOf(snapshot).errors).toEqual([
      { path: 'runDefinition.configuration.nodeCount', message: 'Too small: expected number to be >=1' },
      { path: 'runDefinition.snapshotId', message: 'is required for snapshotrun' },
    ]);
    expect(problemOf(remote)).toMatchObject({ status: 400, type: '/problems/validation-failed' });
    expect(problemOf(remote).errors).toEqual([
      { path: 'runDefinition.configuration.nodeCount', message: 'Too small: expected number to be >=1' },
    ]);
    // Neither the zip nor its alias given: the problem names the spec's argument.
    expect(problemOf(noZip).errors).toEqual([
      {
        path: 'projectZipFile',
        message: 'is required: base64 of the zip, or {"stagedZipId": "..."} naming a zip staged before',
      },
    ]);
    expect(problemOf(notBase64).errors).toEqual([
      { path: 'projectZipBase64', message: 'must be a base64 string' },
    ]);
    upstreamJournalsEmpty();
  });

  it('a project or workspace off the allow-list is a 403 forbidden isError result', async () => {
    // Act
    const flyte = await tool('retrieve-workflow-execution', { ...ID, project: 'other-project', name: 'x1' });
    const azureml = await tool('microsoft-azure-cancel-run', {
      ...SCOPE,
      workspaceName: 'ws-other',
      runId: 'r1',
    });
    // Assess
    expect(flyte.isError).toBe(true);
    expect(problemOf(flyte)).toMatchObject({ status: 403, type: '/problems/forbidden' });
    expect(problemOf(azureml)).toMatchObject({ status: 403, type: '/problems/forbidden' });
    upstreamJournalsEmpty();
  });

  it('a failing upstream (5xx) is an isError result with status 502 and the upstream answer', async () => {
    // Prepare
    gw.emulator.faults.set({ status5xx: { count: 5, status: 500 }, pathPrefix: '/api/' });
    // Act
    const result = await tool('retrieve-workflow-execution', { ...ID, name: 'x1' });
    // Assess
    expect(result.isError).toBe(true);
    const problem = problemOf(result);
    expect(problem).toMatchObject({
      status: 502,
      type: '/problems/upstream-error',
      upstream: { status: 500 },
    });
    expect(gw.emulator.requests.length).toBeGreaterThanOrEqual(1);
    expect(
      gw.emulator.requests.every((r) => r.path === '/api/v1/executions/flytesnacks/development/x1'),
    ).toBe(true);
  });

  it('an upstream 4xx keeps its status: cancelling an unknown run is a 404 isError result', async () => {
    // Act
    const result = await tool('microsoft-azure-cancel-run', { ...SCOPE, runId: 'never-started' });
    // Assess
    const problem = problemOf(result);
    expect(problem).toMatchObject({
      status: 404,
      type: '/problems/upstream-error',
      upstream: { status: 404 },
    });
    expect(problem.upstream.body.error).toEqual({ code: 'UserError', message: expect.any(String) });
    expect(problem.upstream.requestId).toEqual(expect.any(String));
    expect(aml().requests.map((r) => r.path)).toEqual([
      `${upstreamExperimentPath()}/runId/never-started/cancel`,
    ]);
  });

  it.each(['GET', 'DELETE'])('%s /mcp is 405 with Allow: POST and a JSON-RPC error', async (method) => {
    // Act
    const res = await rawMcp(gw, method);
    // Assess
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expect(res.json()).toEqual({
      jsonrpc: '2.0',
      error: { code: -32000, message: 'Method not allowed.' },
      id: null,
    });
  });

  it.each([
    ['truncated JSON', '{"jsonrpc":"2.0","method":', 'Parse error: Invalid JSON'],
    ['JSON that is not JSON-RPC', '{"hello":"world"}', 'Parse error: Invalid JSON-RPC message'],
  ])('%s is a JSON-RPC parse error (400), not a 500', async (_case, body, message) => {
    // Act
    const res = await rawMcp(gw, 'POST', body);
    // Assess
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32700, message }, id: null });
    upstreamJournalsEmpty();
  });

  it('a body over MAX_JSON_BODY_BYTES is a 413 problem, read no further', async () => {
    // Prepare
    const big = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'ping',
      params: { pad: 'x'.repeat(5 * 1024 * 1024) },
    });
    // Act
    const res = await rawMcp(gw, 'POST', big);
    // Assess
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.json()).toMatchObject({ status: 413, type: '/problems/payload-too-large' });
  });

  it('a JSON-RPC ping is answered without a session (stateless)', async () => {
    // Act
    const res = await rawMcp(gw, 'POST', JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'ping' }));
    // Assess
    expect(res.status).toBe(200);
    expect(res.headers.get('mcp-session-id')).toBeNull();
    expect(res.json()).toEqual({ jsonrpc: '2.0', id: 7, result: {} });
  });

  it('a raw tools/call without initialize (the README curl) is answered as a tool result', async () => {
    // Prepare
    const call = {
      jsonrpc: '2.0',
      id: 3,
      method: 'tools/call',
      params: { name: 'retrieve-workflow-execution', arguments: { ...ID, name: 'nightly-etl-0001' } },
    };
    // Act
    const res = await rawMcp(gw, 'POST', JSON.stringify(call));
    // Assess
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({ jsonrpc: '2.0', id: 3, result: { isError: true } });
    expect(problemOf(res.json().result)).toMatchObject({ status: 404, type: '/problems/upstream-error' });
    expect(gw.emulator.requests.map((r) => r.path)).toEqual([
      '/api/v1/executions/flytesnacks/development/nightly-etl-0001',
    ]);
  });
});

describe('the mcp route on its own', () => {
  it('an unexpected failure is a bare JSON-RPC -32603 (500) that quotes nothing', async () => {
    // Prepare
    const { handler } = mcpRoute(() => {
      throw new Error('secret detail');
    }, operations);
    const sink = recordingSink();
    const request = gatewayRequest('/mcp', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: MCP_ACCEPT },
      body: '{"jsonrpc":"2.0","id":1,"method":"ping"}',
    });
    // Act
    const res = await handler(request, sink);
    // Assess
    const text = await res.text();
    expect(res.status).toBe(500);
    expect(JSON.parse(text)).toEqual({
      jsonrpc: '2.0',
      error: { code: -32603, message: 'Internal server error' },
      id: null,
    });
    expect(text).not.toContain('secret');
    expect(sink.lines.map((l) => [l.level, l.entry.msg ?? l.entry.event])).toEqual([
      ['error', 'request.failed'],
    ]);
    expect(sink.lines[0]?.entry).toMatchObject({ operation: 'mcp', status: 500, error: 'Error' });
    expect(sink.lines[0]?.raw).not.toContain('secret');
  });
});
