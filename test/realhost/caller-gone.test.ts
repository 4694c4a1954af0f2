/**
 * A caller that goes away, under the REAL Functions host: whether the worker can tell. The host
 * cancels its forwarding of the request to the worker when its client disconnects; the adapter
 * sees the worker-side response close unfinished (azure-adapter.ts) and aborts the invocation's
 * signal, so the upstream call is abandoned and the request is logged as nginx's 499 — not as
 * the upstream failing.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { pollUntil } from '../helpers/poll.js';
import {
  describeRealHost,
  REALHOST_HOOK_TIMEOUT_MS,
  type RealHost,
  startRealHost,
} from '../helpers/realhost.js';

const GET = '/v1/api/v1/executions/flytesnacks/development/gone-1';

describeRealHost('a caller that goes away', () => {
  let host: RealHost;
  beforeAll(async () => {
    host = await startRealHost({ env: { UPSTREAM_TIMEOUT_MS: '1000', UPSTREAM_DEADLINE_MS: '2000' } });
  }, REALHOST_HOOK_TIMEOUT_MS);
  afterAll(() => host?.stop(), REALHOST_HOOK_TIMEOUT_MS);

  it('is seen by the worker: logged 499 at warn, no upstream error, the upstream called once', async () => {
    // Prepare: an upstream failure dripping its body, so the caller leaves before the deadline
    host.flyte.requests.length = 0;
    host.flyte.faults.set({ drip: { intervalMs: 500 }, status5xx: { count: 1 }, pathPrefix: '/api/' });
    const mark = host.logMark();
    const started = Date.now();
    // Act: the caller leaves once the upstream has the call
    const client = httpRequest(`${host.url}${GET}`, { headers: host.keyHeaders(), agent: false });
    const outcome = new Promise<string>((resolve) => {
      client.on('response', () => resolve('answered'));
      client.on('error', (error) => resolve(error.message));
    });
    client.end();
    await pollUntil(
      async () => host.flyte.requests.length,
      (n) => n === 1,
      { timeoutMs: 15_000 },
    );
    client.destroy();
    // Assess: logged before the upstream would have answered (abandoned, not waited out)
    const log = await pollUntil(
      async () => host.logSince(mark),
      (text) => text.includes('request.abandoned'),
      { timeoutMs: 7_000 },
    );
    host.flyte.faults.clear();
    expect(await outcome).not.toBe('answered');
    const line = log.split('\n').find((l) => l.includes('request.abandoned')) ?? '';
    expect(line).toContain('"status":499');
    expect(line).toContain('"problem":"client-closed-request"');
    expect(log).not.toContain('upstream-unreachable');
    expect(log).not.toContain('request.failed');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(host.flyte.requests.map((r) => r.path)).toEqual([
      '/api/v1/executions/flytesnacks/development/gone-1',
    ]);
  });
});

describeRealHost('an answer body past the deadline', () => {
  let host: RealHost;
  beforeAll(async () => {
    host = await startRealHost({ env: { UPSTREAM_TIMEOUT_MS: '1000', UPSTREAM_DEADLINE_MS: '2000' } });
  }, REALHOST_HOOK_TIMEOUT_MS);
  afterAll(() => host?.stop(), REALHOST_HOOK_TIMEOUT_MS);

  it('is cut: the client connection ends soon after the deadline', async () => {
    // Prepare: a 2xx answer whose body drips, a page of 20 executions: over 16 KiB, so it
    // streams (smaller answers are read whole first: the next case)
    for (let i = 0; i < 20; i++)
      host.flyte.seed({ project: 'flytesnacks', domain: 'development', name: `drip-${i}`, phase: 'RUNNING' });
    host.flyte.requests.length = 0;
    host.flyte.faults.set({ drip: { intervalMs: 200 }, pathPrefix: '/api/' });
    const mark = host.logMark();
    const started = Date.now();
    // Act
    const res = await fetch(`${host.url}/v1/api/v1/executions/flytesnacks/development?limit=20`, {
      headers: host.keyHeaders(),
      signal: AbortSignal.timeout(20_000),
    });
    const body = await res.text().then(
      () => 'complete',
      (error: Error) => `cut: ${error.name} ${String((error.cause as Error)?.message ?? '')}`,
    );
    const elapsed = Date.now() - started;
    host.flyte.faults.clear();
    // Assess
    expect(res.status).toBe(200);
    expect(body).toMatch(/^cut: /);
    expect(body).not.toContain('TimeoutError');
    expect(elapsed).toBeLessThan(6000);
    const log = await pollUntil(
      async () => host.logSince(mark),
      (text) => text.includes('request.failed'),
      { timeoutMs: 5_000 },
    );
    expect(log).toContain('"bodyCut":true');
    expect(host.flyte.requests).toHaveLength(1);
  });

  it('a small answer that drips is a 504 at the deadline: it is read whole before the status', async () => {
    // Prepare
    host.flyte.seed({ project: 'flytesnacks', domain: 'development', name: 'drip-small', phase: 'RUNNING' });
    host.flyte.requests.length = 0;
    host.flyte.faults.set({ drip: { intervalMs: 200 }, pathPrefix: '/api/' });
    const started = Date.now();
    // Act
    const res = await fetch(`${host.url}/v1/api/v1/executions/flytesnacks/development/drip-small`, {
      headers: host.keyHeaders(),
      signal: AbortSignal.timeout(20_000),
    });
    const problem = (await res.json()) as { type: string; detail: string };
    const elapsed = Date.now() - started;
    host.flyte.faults.clear();
    // Assess
    expect(res.status).toBe(504);
    expect(problem.type).toMatch(/upstream-timeout$/);
    expect(problem.detail).toContain('deadline of 2000 ms');
    expect(elapsed).toBeLessThan(6000);
    expect(host.flyte.requests.map((r) => r.path)).toEqual([
      '/api/v1/executions/flytesnacks/development/drip-small',
    ]);
  });
});
