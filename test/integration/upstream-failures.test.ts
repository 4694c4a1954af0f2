/**
 * Each upstream failure class, made real by the emulator's fault switches: upstream 4xx keep
 * their status with the upstream body attached; 5xx become 502; unreachable is 502; a
 * timeout is 504; 429 keeps its Retry-After. Retries follow idempotency, and the journal
 * shows how many attempts reached the upstream.
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createBody, EXECUTIONS } from '../helpers/flyte-requests.js';
import { call, type Gateway, SURFACES, startGateway } from '../helpers/gateway.js';
import { pollUntil } from '../helpers/poll.js';

const apiRequests = (gw: Gateway) => gw.emulator.requests.filter((r) => r.path.startsWith('/api/'));

describe.each(SURFACES)('upstream failures via %s', (surface) => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startGateway({
      surface,
      env: { UPSTREAM_TIMEOUT_MS: '400', UPSTREAM_MAX_RETRIES: '2', UPSTREAM_MAX_RETRY_AFTER_MS: '1500' },
    });
  });
  afterAll(() => gw.close());
  beforeEach(() => gw.emulator.reset());

  it('upstream 404 keeps its status and attaches the gRPC body', async () => {
    const res = await call(gw, 'GET', `${EXECUTIONS}/flytesnacks/development/no-such-run`);
    expect(res.status).toBe(404);
    const problem = res.json();
    expect(problem.type).toBe('/problems/upstream-error');
    expect(problem.upstream.status).toBe(404);
    expect(problem.upstream.body.code).toBe(5);
    expect(problem.detail).toMatch(/^Flyte Admin answered 404: /);
    expect(apiRequests(gw)).toHaveLength(1);
  });

  it('a duplicate name is 409 with upstream code 6, and create is not retried', async () => {
    await call(gw, 'POST', EXECUTIONS, createBody('twice'));
    const res = await call(gw, 'POST', EXECUTIONS, createBody('twice'));
    expect(res.status).toBe(409);
    expect(res.json().upstream.body.code).toBe(6);
    expect(apiRequests(gw)).toHaveLength(2);
  });

  it('terminating a finished execution is 400 with upstream code 9 (FailedPrecondition)', async () => {
    // Prepare: create, then wait until it has finished.
    await call(gw, 'POST', EXECUTIONS, createBody('done-already'));
    await pollUntil(
      () => call(gw, 'GET', `${EXECUTIONS}/flytesnacks/development/done-already`),
      (r) => r.json().closure.phase === 'SUCCEEDED',
    );
    // Act
    const res = await call(gw, 'DELETE', `${EXECUTIONS}/flytesnacks/development/done-already`, {
      cause: 'late',
    });
    // Assess
    expect(res.status).toBe(400);
    expect(res.json().type).toBe('/problems/upstream-error');
    expect(res.json().upstream.body).toMatchObject({ code: 9, message: expect.stringMatching(/terminated/) });
  });

  it('upstream 5xx on an idempotent call is retried, then answered as 502 with the upstream status', async () => {
    gw.emulator.faults.set({ status5xx: { count: 10, status: 500 }, pathPrefix: '/api/' });
    const res = await call(gw, 'GET', `${EXECUTIONS}/flytesnacks/development?limit=1`);
    expect(res.status).toBe(502);
    expect(res.json().type).toBe('/problems/upstream-error');
    expect(res.json().upstream.status).toBe(500);
    // 500 is not in the retry set (only 502/503/504): one attempt.
    expect(apiRequests(gw)).toHaveLength(1);
  });

  it('upstream 503 on an idempotent call is retried until it succeeds', async () => {
    gw.emulator.faults.set({ status5xx: { count: 2, status: 503 }, pathPrefix: '/api/' });
    const res = await call(gw, 'GET', `${EXECUTIONS}/flytesnacks/development?limit=1`);
    expect(res.status).toBe(200);
    expect(apiRequests(gw).map((r) => r.status)).toEqual([503, 503, 200]);
  });

  it('upstream 503 without Retry-After on create is not retried: 502', async () => {
    gw.emulator.faults.set({ status5xx: { count: 1, status: 503 }, pathPrefix: '/api/' });
    const res = await call(gw, 'POST', EXECUTIONS, createBody('no-retry'));
    expect(res.status).toBe(502);
    expect(res.json().upstream.status).toBe(503);
    expect(apiRequests(gw)).toHaveLength(1);
  });

  it('retries stop after UPSTREAM_MAX_RETRIES: three attempts, then 502', async () => {
    gw.emulator.faults.set({ status5xx: { count: 10, status: 502 }, pathPrefix: '/api/' });
    const res = await call(gw, 'GET', `${EXECUTIONS}/flytesnacks/development/any-run`);
    expect(res.status).toBe(502);
    expect(apiRequests(gw)).toHaveLength(3);
  });

  it('429 with a short Retry-After is waited out, even for create', async () => {
    gw.emulator.faults.set({ status429: { count: 1, retryAfterSeconds: 1 }, pathPrefix: '/api/' });
    const started = Date.now();
    const res = await call(gw, 'POST', EXECUTIONS, createBody('after-429'));
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(apiRequests(gw).map((r) => r.status)).toEqual([429, 200]);
  });

  it('429 with a Retry-After longer than the gateway waits goes back as 429 with Retry-After', async () => {
    gw.emulator.faults.set({ status429: { count: 1, retryAfterSeconds: 30 }, pathPrefix: '/api/' });
    const res = await call(gw, 'POST', EXECUTIONS, createBody('rate-limited'));
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('30');
    expect(res.json().type).toBe('/problems/upstream-rate-limited');
    expect(res.json().upstream.body.code).toBe(8);
    expect(apiRequests(gw)).toHaveLength(1);
  });

  it('a dropped connection on an idempotent call is retried', async () => {
    gw.emulator.faults.set({ drop: { count: 1 }, pathPrefix: '/api/' });
    const res = await call(gw, 'GET', `${EXECUTIONS}/flytesnacks/development?limit=1`);
    expect(res.status).toBe(200);
    expect(apiRequests(gw).map((r) => r.dropped ?? false)).toEqual([true, false]);
  });

  it('a dropped connection on create is 502 upstream-unreachable, not retried', async () => {
    gw.emulator.faults.set({ drop: { count: 1 }, pathPrefix: '/api/' });
    const res = await call(gw, 'POST', EXECUTIONS, createBody('dropped'));
    expect(res.status).toBe(502);
    expect(res.json().type).toBe('/problems/upstream-unreachable');
    expect(apiRequests(gw)).toHaveLength(1);
  });

  it('an upstream slower than UPSTREAM_TIMEOUT_MS is 504, not retried', async () => {
    gw.emulator.faults.set({ latencyMs: 1_500, pathPrefix: '/api/' });
    const res = await call(gw, 'GET', `${EXECUTIONS}/flytesnacks/development?limit=1`);
    expect(res.status).toBe(504);
    expect(res.json().type).toBe('/problems/upstream-timeout');
    expect(res.json().detail).toBe('Flyte Admin did not answer within 400 ms.');
    expect(gw.emulator.requests.filter((r) => r.path.startsWith('/api/'))).toHaveLength(1);
  });
});

describe('unreachable upstream', () => {
  let gw: Gateway;
  beforeAll(async () => {
    // A port that was free a moment ago: nothing listens there.
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    gw = await startGateway({
      env: { FLYTE_ENDPOINT: `http://127.0.0.1:${port}`, UPSTREAM_MAX_RETRIES: '1' },
    });
  });
  afterAll(() => gw.close());

  it('answers 502 upstream-unreachable naming the connection error', async () => {
    const res = await call(gw, 'GET', `${EXECUTIONS}/flytesnacks/development/some-run`);
    expect(res.status).toBe(502);
    expect(res.json()).toMatchObject({
      type: '/problems/upstream-unreachable',
      detail: 'Flyte Admin could not be reached (ECONNREFUSED).',
    });
  });
});

describe('no Flyte endpoint configured', () => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startGateway({ env: { FLYTE_ENDPOINT: '', FLYTE_PROJECTS: '' } });
  });
  afterAll(() => gw.close());

  it('answers 503 upstream-not-configured naming the setting', async () => {
    const res = await call(gw, 'GET', `${EXECUTIONS}/flytesnacks/development/some-run`);
    expect(res.status).toBe(503);
    expect(res.json()).toMatchObject({
      type: '/problems/upstream-not-configured',
      detail: expect.stringContaining('FLYTE_ENDPOINT'),
    });
  });
});

describe('caller goes away (local host)', () => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startGateway({ env: { UPSTREAM_TIMEOUT_MS: '5000' } });
  });
  afterAll(() => gw.close());

  it('abandons the upstream call instead of waiting for its answer', async () => {
    // Prepare: an upstream that takes 2 s.
    gw.emulator.faults.set({ latencyMs: 2_000, pathPrefix: '/api/' });
    // Act: the caller gives up after 200 ms.
    const started = Date.now();
    await expect(
      fetch(`${gw.url}${EXECUTIONS}/flytesnacks/development?limit=1`, { signal: AbortSignal.timeout(200) }),
    ).rejects.toThrow();
    // Assess: the handler ended soon after the caller left, not when the upstream answered.
    const ended = await pollUntil(
      async () => gw.logs.entries().find((e) => e.operation === 'listexecutions'),
      (entry) => entry !== undefined,
      { timeoutMs: 3_000 },
    );
    // Logged as the caller leaving (nginx's 499), not as the upstream failing.
    expect(ended).toMatchObject({ event: 'request.abandoned', level: 'warn', status: 499 });
    expect(Number(ended?.durationMs)).toBeLessThan(1_500);
    expect(Date.now() - started).toBeLessThan(1_900);
  });
});
