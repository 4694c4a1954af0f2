/**
 * The total deadline of an upstream call (UPSTREAM_DEADLINE_MS), against an emulator that
 * drips its answers (headers at once, then a byte at a time: the per-read timeout never
 * trips). On REST a failure answer that drips, or a small 2xx answer (read whole before the
 * status goes out), is a 504 naming the deadline; a large 2xx body that drips is cut at the
 * deadline, the client's connection ends and the log line says so. MCP
 * gets the same typed error as a tool error; a batch target that drips fails its attempt at
 * the deadline and does not hold up the other targets. Each case counts the upstream calls:
 * none lost, none repeated.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  allTargets,
  cancelCalls,
  flyteTarget,
  upstreamPath,
  waitUntilDone,
} from '../helpers/cancellations.js';
import { createBody, EXECUTIONS } from '../helpers/flyte-requests.js';
import { call, type Gateway, SURFACES, startGateway } from '../helpers/gateway.js';
import { connectMcp, FLYTE_ID, problemOf } from '../helpers/mcp-client.js';

const DEADLINE_MS = 2000;
/** One byte per 100 ms: any answer here takes well over the deadline, and no read waits 1 s. */
const DRIP = { intervalMs: 100, bytes: 1 };
const apiRequests = (gw: Gateway) => gw.emulator.requests.filter((r) => r.path.startsWith('/api/'));
const requestLines = (gw: Gateway) =>
  gw.logs.entries().filter((e) => typeof e.event === 'string' && String(e.event).startsWith('request.'));

describe.each(SURFACES)('upstream deadline via %s', (surface) => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startGateway({
      surface,
      azureml: true,
      cancellations: true,
      env: {
        UPSTREAM_TIMEOUT_MS: '1000',
        UPSTREAM_DEADLINE_MS: String(DEADLINE_MS),
        CANCEL_MAX_ATTEMPTS: '2',
      },
    });
  }, 60_000);
  afterAll(() => gw.close());
  beforeEach(() => {
    gw.emulator.reset();
    gw.logs.lines.length = 0;
  });

  it('REST: a failure answer that drips is a 504 naming the deadline, sent once', async () => {
    // Prepare
    gw.emulator.faults.set({ drip: DRIP, status5xx: { count: 1 }, pathPrefix: '/api/' });
    const started = performance.now();
    // Act
    const res = await call(gw, 'POST', EXECUTIONS, createBody('drip-create'));
    const elapsed = performance.now() - started;
    // Assess
    expect(res.status, res.text).toBe(504);
    expect(res.json()).toMatchObject({
      type: '/problems/upstream-timeout',
      detail: `Flyte Admin did not answer in full within the deadline of ${DEADLINE_MS} ms (UPSTREAM_DEADLINE_MS).`,
    });
    expect(elapsed).toBeGreaterThanOrEqual(DEADLINE_MS - 50);
    expect(elapsed).toBeLessThan(DEADLINE_MS + 1500);
    expect(apiRequests(gw).map((r) => r.method)).toEqual(['POST']);
  });

  // The real host's side of this is test/realhost/caller-gone.test.ts.
  it('REST: a small 2xx answer that drips is a 504 at the deadline: it is read whole before the status', async () => {
    // Prepare: an answer of a few KiB (answers up to 16 KiB are read at once, src/upstream/http-client.ts)
    gw.emulator.seed({ ...FLYTE_ID, name: 'drip-get', phase: 'RUNNING' });
    gw.emulator.faults.set({ drip: DRIP, pathPrefix: '/api/' });
    const started = performance.now();
    // Act
    const res = await fetch(`${gw.url}${EXECUTIONS}/flytesnacks/development/drip-get`);
    const problem = (await res.json()) as { type: string; detail: string };
    const elapsed = performance.now() - started;
    // Assess: a problem at the deadline, one upstream call, the line says why
    expect(res.status).toBe(504);
    expect(problem.type).toMatch(/upstream-timeout$/);
    expect(problem.detail).toContain(`deadline of ${DEADLINE_MS} ms`);
    expect(elapsed).toBeGreaterThanOrEqual(DEADLINE_MS - 50);
    expect(elapsed).toBeLessThan(DEADLINE_MS + 1500);
    expect(apiRequests(gw).map((r) => r.path)).toEqual([
      '/api/v1/executions/flytesnacks/development/drip-get',
    ]);
    const [line] = requestLines(gw);
    expect(line).toMatchObject({
      level: 'error',
      event: 'request.failed',
      status: 504,
      problem: 'upstream-timeout',
    });
  });

  it('REST: a large 2xx body that drips is cut at the deadline, and the log line says so', async () => {
    // Prepare: a page of 20 executions, well over 16 KiB, so it streams
    for (let i = 0; i < 20; i++) gw.emulator.seed({ ...FLYTE_ID, name: `drip-list-${i}`, phase: 'RUNNING' });
    gw.emulator.faults.set({ drip: DRIP, pathPrefix: '/api/' });
    const started = performance.now();
    // Act
    const res = await fetch(`${gw.url}${EXECUTIONS}/flytesnacks/development?limit=20`);
    const body = await res.text().then(
      () => 'complete',
      (error: Error) => `cut: ${error.name}`,
    );
    const elapsed = performance.now() - started;
    // Assess: the status went out at once; the body ended in an error at the deadline
    expect(res.status).toBe(200);
    expect(body).toMatch(/^cut: /);
    expect(elapsed).toBeGreaterThanOrEqual(DEADLINE_MS - 50);
    expect(elapsed).toBeLessThan(DEADLINE_MS + 1500);
    expect(apiRequests(gw).map((r) => r.path)).toEqual(['/api/v1/executions/flytesnacks/development']);
    const [line] = requestLines(gw);
    expect(line).toMatchObject({
      level: 'error',
      event: 'request.failed',
      status: 200,
      bodyCut: true,
      problem: 'upstream-timeout',
    });
    expect(String(line?.error)).toContain(`deadline of ${DEADLINE_MS} ms`);
  });

  it('MCP: a dripping answer is the same typed error, as a tool error', async () => {
    // Prepare
    gw.emulator.seed({ ...FLYTE_ID, name: 'drip-mcp', phase: 'RUNNING' });
    const client = await connectMcp(gw);
    gw.emulator.faults.set({ drip: DRIP, pathPrefix: '/api/' });
    try {
      // Act
      const answer = await client.callTool({
        name: 'retrieve-workflow-execution',
        arguments: { ...FLYTE_ID, name: 'drip-mcp' },
      });
      // Assess
      expect(problemOf(answer)).toMatchObject({ type: '/problems/upstream-timeout', status: 504 });
      expect(apiRequests(gw).map((r) => r.path)).toEqual([
        '/api/v1/executions/flytesnacks/development/drip-mcp',
      ]);
    } finally {
      gw.emulator.faults.clear();
      await client.close();
    }
  });

  it('batch: a dripping target fails at the deadline, the others are cancelled once each', async () => {
    // Prepare: three running executions; only the first one's cancel fails, dripping its answer
    const names = ['drip-b0', 'ok-b1', 'ok-b2'];
    for (const name of names) gw.emulator.seed({ ...FLYTE_ID, name, phase: 'RUNNING' });
    const dripping = upstreamPath(flyteTarget('drip-b0'));
    gw.emulator.faults.set({ drip: DRIP, status5xx: { count: 10 }, pathPrefix: dripping });
    // Act
    const res = await call(gw, 'POST', '/v1/cancellations', { targets: names.map(flyteTarget) });
    expect(res.status, res.text).toBe(202);
    const { batchId } = res.json();
    await waitUntilDone(gw, batchId, 30_000);
    const rows = await allTargets(gw, batchId);
    // Assess: every target reported; the dripping one failed with the timeout after its
    // attempts, the others cancelled with one call each
    expect(rows.map((t) => [t.index, t.outcome])).toEqual([
      [0, 'failed'],
      [1, 'cancelled'],
      [2, 'cancelled'],
    ]);
    expect(rows[0]).toMatchObject({
      attempts: 2,
      detail: `Flyte Admin did not answer in full within the deadline of ${DEADLINE_MS} ms (UPSTREAM_DEADLINE_MS).`,
    });
    const calls = cancelCalls(gw);
    expect(calls.get(upstreamPath(flyteTarget('ok-b1')))).toEqual({ calls: 1, succeeded: 1 });
    expect(calls.get(upstreamPath(flyteTarget('ok-b2')))).toEqual({ calls: 1, succeeded: 1 });
    expect(calls.get(dripping)?.calls).toBe(2);
  }, 40_000);
});
