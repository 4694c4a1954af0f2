/**
 * One pipeline for every surface: the same operation called as a REST route, as an MCP tool and
 * as a batch-cancellation target runs the same code from validation to the upstream call. What
 * Flyte receives must be the same request (method, path, body, gateway headers) whichever surface
 * took it, and each surface's request id must be in its answer, its problem and every log line.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { flyteTarget, waitUntilDone } from '../helpers/cancellations.js';
import { call, type Gateway, SURFACES, startGateway } from '../helpers/gateway.js';
import { FLYTE_ID, rawMcp } from '../helpers/mcp-client.js';

const CAUSE = 'cleanup after sweep 12';
const toolCall = (name: string, args: Record<string, unknown>) =>
  JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } });

describe.each(SURFACES)('one pipeline (%s)', (surface) => {
  let gateway: Gateway;

  beforeAll(async () => {
    gateway = await startGateway({ surface, azureml: true, cancellations: true });
  }, 60_000);
  afterAll(() => gateway.close());
  beforeEach(() => {
    gateway.emulator.reset();
    gateway.logs.lines.length = 0;
  });

  const deletesOf = (name: string) =>
    gateway.emulator.requests.filter((r) => r.method === 'DELETE' && r.path.endsWith(`/${name}`));
  const linesOf = (requestId: string) => gateway.logs.entries().filter((e) => e.requestId === requestId);

  it('terminate reaches Flyte as the same request from REST, MCP and a batch', async () => {
    // Prepare
    for (const name of ['by-rest', 'by-mcp', 'by-batch'])
      gateway.emulator.seed({ ...FLYTE_ID, name, phase: 'RUNNING' });

    // Act
    const rest = await call(
      gateway,
      'DELETE',
      '/v1/api/v1/executions/flytesnacks/development/by-rest',
      { cause: CAUSE },
      { 'x-request-id': 'rest-1' },
    );
    const mcp = await rawMcp(
      gateway,
      'POST',
      toolCall('terminate-workflow-execution', { ...FLYTE_ID, name: 'by-mcp', cause: CAUSE }),
      { 'x-request-id': 'mcp-1' },
    );
    const batch = await call(gateway, 'POST', '/v1/cancellations', {
      cause: CAUSE,
      targets: [flyteTarget('by-batch')],
    });
    const report = await waitUntilDone(gateway, batch.json().batchId);

    // Assess: each surface succeeded
    expect(rest.status).toBe(200);
    expect(mcp.status).toBe(200);
    expect(mcp.json().result.isError).toBeUndefined();
    expect(report.counts.cancelled).toBe(1);
    // ... and Flyte received one identical request from each (its own request id aside)
    const received = ['by-rest', 'by-mcp', 'by-batch'].map((name) => {
      const calls = deletesOf(name);
      expect(calls).toHaveLength(1);
      const [only] = calls;
      return only;
    });
    const shape = (r: (typeof received)[number]) => ({
      path: r?.path.replace(/[^/]+$/, '{name}'),
      query: r?.query,
      body: JSON.parse(r?.body ?? 'null'),
      headerNames: Object.keys(r?.headers ?? {})
        .filter((h) => !['content-length', 'connection', 'host'].includes(h))
        .sort(),
    });
    expect(shape(received[1])).toStrictEqual(shape(received[0]));
    expect(shape(received[2])).toStrictEqual(shape(received[0]));
    expect(shape(received[0]).body).toStrictEqual({ cause: CAUSE });
    expect(received.map((r) => r?.headers['x-request-id'])).toEqual(['rest-1', 'mcp-1', expect.any(String)]);
    // The batch's call carries its queue message's id, which its log line names as its request id.
    const messageId = received[2]?.headers['x-request-id'] ?? '';
    expect(linesOf(messageId).map((e) => e.event)).toContain('cancellation.message_done');
  });

  it('an MCP tool call carries the request id into its answer, its upstream call and every log line', async () => {
    // Prepare
    gateway.emulator.seed({ ...FLYTE_ID, name: 'traced', phase: 'RUNNING' });

    // Act
    const answer = await rawMcp(
      gateway,
      'POST',
      toolCall('retrieve-workflow-execution', { ...FLYTE_ID, name: 'traced' }),
      { 'x-request-id': 'mcp-traced' },
    );

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.headers.get('x-request-id')).toBe('mcp-traced');
    expect(gateway.emulator.requests.at(-1)?.headers['x-request-id']).toBe('mcp-traced');
    const events = linesOf('mcp-traced').map((e) => [e.event, e.operation]);
    expect(events).toEqual([
      ['tool.done', 'getexecution'],
      ['request.done', 'mcp'],
    ]);
    expect(linesOf('mcp-traced')[0]).toMatchObject({
      tool: 'retrieve-workflow-execution',
      upstreamStatus: 200,
    });
  });

  it('a refused tool call names the same minted id in its answer header, its problem and its log lines', async () => {
    // Act: no x-request-id, and a project off the allow-list
    const answer = await rawMcp(
      gateway,
      'POST',
      toolCall('retrieve-workflow-execution', { project: 'forbidden', domain: 'development', name: 'x' }),
    );

    // Assess
    const requestId = answer.headers.get('x-request-id') ?? '';
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    const problem = answer.json().result.structuredContent;
    expect(problem).toMatchObject({ status: 403, correlationId: requestId });
    expect(linesOf(requestId).map((e) => [e.level, e.event])).toEqual([
      ['warn', 'tool.refused'],
      ['info', 'request.done'],
    ]);
    expect(gateway.emulator.requests).toHaveLength(0);
  });

  it('a refused REST call names its id in the answer header, the problem and its log line', async () => {
    // Act
    const answer = await call(gateway, 'GET', '/v1/api/v1/executions/forbidden/development/x', undefined, {
      'x-request-id': 'rest-refused',
    });

    // Assess
    expect(answer.status).toBe(403);
    expect(answer.headers.get('x-request-id')).toBe('rest-refused');
    expect(answer.json().correlationId).toBe('rest-refused');
    expect(linesOf('rest-refused').map((e) => [e.level, e.event, e.operation])).toEqual([
      ['warn', 'request.refused', 'getexecution'],
    ]);
    expect(gateway.emulator.requests).toHaveLength(0);
  });
});
