import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FlyteAdminEmulator, startFlyteAdminEmulator } from '../../sandbox/flyte-admin/index.js';
import { call, createBody, EXECUTIONS, rawRequest } from './helpers/admin-client.js';
import { timedRead } from './helpers/timed-read.js';

const LIST = '/api/v1/executions/flytesnacks/development?limit=1';
let admin: FlyteAdminEmulator;

beforeAll(async () => {
  admin = await startFlyteAdminEmulator();
});
afterAll(() => admin.close());
beforeEach(() => admin.reset());

describe('fault injection', () => {
  it('latencyMs delays every answer', async () => {
    admin.faults.latencyMs = 150;
    const started = performance.now();
    const res = await call(admin.url, 'GET', LIST);
    expect(res.status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(145);
  });

  it('status429 answers the next N requests with 429, Retry-After and a code-8 body', async () => {
    // Prepare
    admin.faults.set({ status429: { count: 2, retryAfterSeconds: 7 } });
    // Act
    const first = await call(admin.url, 'GET', LIST);
    const second = await call(admin.url, 'POST', EXECUTIONS, { body: createBody('after-429') });
    const third = await call(admin.url, 'GET', LIST);
    // Assess
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('7');
    expect(first.json).toEqual({
      code: 8,
      message: 'rate limit exceeded (injected by the emulator)',
      details: [],
    });
    expect(second.status).toBe(429);
    expect(third.status).toBe(200);
    expect(third.json.executions).toEqual([]);
    expect(admin.faults.status429?.count).toBe(0);
  });

  it.each([
    [503, 14],
    [500, 13],
    [502, 14],
    [504, 4],
  ])('status5xx %i answers with gRPC code %i once per count', async (status, code) => {
    admin.faults.set({ status5xx: { count: 1, status } });
    const failed = await call(admin.url, 'GET', LIST);
    const ok = await call(admin.url, 'GET', LIST);
    expect(failed.status).toBe(status);
    expect(failed.json).toEqual({ code, message: `upstream failure (injected HTTP ${status})`, details: [] });
    expect(ok.status).toBe(200);
  });

  it('drop destroys the connection without an answer, then recovers', async () => {
    admin.faults.set({ drop: { count: 1 } });
    const dropped = await rawRequest(admin.url, 'GET', LIST);
    const next = await rawRequest(admin.url, 'GET', LIST);
    expect('error' in dropped && dropped.error.code).toBe('ECONNRESET');
    expect(next).toEqual({ status: 200, body: '{"executions":[],"token":""}' });
    expect(admin.requests.map((r) => [r.dropped ?? false, r.status])).toEqual([
      [true, undefined],
      [false, 200],
    ]);
  });

  it('drip sends the headers at once, then the body a few bytes per interval', async () => {
    // Prepare
    const plain = await timedRead(admin.url, 'GET', LIST);
    admin.faults.set({ drip: { intervalMs: 30, bytes: 4 } });
    // Act
    const dripped = await timedRead(admin.url, 'GET', LIST);
    // Assess: the same answer, only slower; never more than 4 bytes at a time
    expect(dripped.status).toBe(200);
    expect(dripped.body).toBe(plain.body);
    expect(dripped.headersAtMs).toBeLessThan(dripped.chunks[0]?.atMs ?? 0);
    expect(Math.max(...dripped.chunks.map((c) => c.bytes))).toBeLessThanOrEqual(4);
    const writes = Math.ceil(plain.body.length / 4);
    expect(dripped.chunks.at(-1)?.atMs ?? 0).toBeGreaterThanOrEqual((writes - 1) * 30 - 5);
    expect(admin.faults.snapshot().drip).toEqual({ intervalMs: 30, bytes: 4 });
  });

  it('drip applies to injected failures too, and is set over HTTP', async () => {
    // Act
    const put = await call(admin.url, 'PUT', '/_emulator/faults', {
      body: { drip: { intervalMs: 5, bytes: 8 }, status5xx: { count: 1 } },
    });
    const failed = await timedRead(admin.url, 'GET', LIST);
    const invalid = await call(admin.url, 'PUT', '/_emulator/faults', { body: { drip: { bytes: 2 } } });
    // Assess
    expect(put.json).toEqual({ latencyMs: 0, drip: { intervalMs: 5, bytes: 8 }, status5xx: { count: 1 } });
    expect(failed.status).toBe(503);
    expect(JSON.parse(failed.body)).toEqual({
      code: 14,
      message: 'upstream failure (injected HTTP 503)',
      details: [],
    });
    expect(failed.chunks.length).toBeGreaterThanOrEqual(Math.ceil(failed.body.length / 8));
    expect(invalid.status).toBe(400);
    expect(invalid.json).toEqual({ error: 'drip.intervalMs is required' });
  });

  it('counted faults are consumed in the order drop → 429 → 5xx', async () => {
    admin.faults.set({ drop: { count: 1 }, status429: { count: 1 }, status5xx: { count: 1 } });
    const outcomes = [];
    for (let i = 0; i < 4; i++) {
      const res = await rawRequest(admin.url, 'GET', LIST);
      outcomes.push('error' in res ? 'dropped' : res.status);
    }
    expect(outcomes).toEqual(['dropped', 429, 503, 200]);
  });

  it('pathPrefix limits faults to matching paths', async () => {
    admin.faults.set({ status5xx: { count: 5 }, pathPrefix: '/api/v1/metrics/' });
    const list = await call(admin.url, 'GET', LIST);
    const metrics = await call(admin.url, 'GET', '/api/v1/metrics/executions/flytesnacks/development/x');
    expect(list.status).toBe(200);
    expect(metrics.status).toBe(503);
    expect(admin.faults.status5xx?.count).toBe(4);
  });

  it('are controlled over HTTP with PUT/GET/DELETE /_emulator/faults', async () => {
    // Act
    const put = await call(admin.url, 'PUT', '/_emulator/faults', {
      body: { status429: { count: 1, retryAfterSeconds: 2 } },
    });
    const faulted = await call(admin.url, 'GET', LIST);
    const got = await call(admin.url, 'GET', '/_emulator/faults');
    await call(admin.url, 'PUT', '/_emulator/faults', { body: { status5xx: { count: 3 } } });
    const cleared = await call(admin.url, 'DELETE', '/_emulator/faults');
    const ok = await call(admin.url, 'GET', LIST);
    const invalid = await call(admin.url, 'PUT', '/_emulator/faults', { body: { drop: { count: -1 } } });
    const unknown = await call(admin.url, 'PUT', '/_emulator/faults', { body: { explode: true } });
    // Assess
    expect(put.json).toEqual({ latencyMs: 0, status429: { count: 1, retryAfterSeconds: 2 } });
    expect(faulted.status).toBe(429);
    expect(faulted.headers.get('retry-after')).toBe('2');
    expect(got.json).toEqual({ latencyMs: 0, status429: { count: 0, retryAfterSeconds: 2 } });
    expect(cleared.json).toEqual({ latencyMs: 0 });
    expect(ok.status).toBe(200);
    expect(invalid.status).toBe(400);
    expect(invalid.json).toEqual({ error: 'drop.count must be an integer >= 0' });
    expect(unknown.json).toEqual({ error: 'unknown fault setting explode' });
    // Control calls are not journaled and not faulted.
    expect(admin.requests.map((r) => r.path)).toEqual([
      '/api/v1/executions/flytesnacks/development',
      '/api/v1/executions/flytesnacks/development',
    ]);
  });

  it('initial faults can be passed as an option', async () => {
    const other = await startFlyteAdminEmulator({ faults: { status5xx: { count: 1, status: 500 } } });
    try {
      expect((await call(other.url, 'GET', LIST)).status).toBe(500);
      expect((await call(other.url, 'GET', LIST)).status).toBe(200);
    } finally {
      await other.close();
    }
  });
});
