import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AzureMlEmulator, startAzureMlEmulator } from '../../sandbox/azureml/index.js';
import {
  call,
  EXP,
  experimentPath,
  historyPath,
  manualClock,
  projectZip,
  rawMultipart,
  rawRequest,
  SNAPSHOT,
  WS,
} from './helpers/azureml-client.js';
import { timedRead } from './helpers/timed-read.js';

const clock = manualClock(Date.UTC(2026, 0, 15, 2, 0, 0, 0));
const SNAPSHOT_RUN = `${experimentPath()}/snapshotrun`;
const READ = historyPath('none_1');
let aml: AzureMlEmulator;

beforeAll(async () => {
  aml = await startAzureMlEmulator({ now: clock.now, auth: { identityHeader: 'h' } });
});
afterAll(() => aml.close());
beforeEach(() => aml.reset());

const start = (runId: string) =>
  call(aml.url, 'POST', `${SNAPSHOT_RUN}?runId=${runId}`, { json: { snapshotId: SNAPSHOT } });

describe('fault injection', () => {
  it('latencyMs delays every answer', async () => {
    aml.faults.latencyMs = 120;
    const started = performance.now();
    const res = await start('slow_1');
    expect(res.status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(115);
  });

  it('status429 answers the next N requests with 429, Retry-After and a RequestThrottled body', async () => {
    aml.faults.set({ status429: { count: 2, retryAfterSeconds: 7 } });
    const first = await start('t_1');
    const second = await call(aml.url, 'GET', READ);
    const third = await start('t_1');
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('7');
    expect(first.headers.get('x-ms-response-type')).toBe('error');
    expect(first.json.error).toMatchObject({
      code: 'RequestThrottled',
      message: 'Rate limit exceeded (injected by the emulator).',
      innerError: null,
    });
    expect(first.json.componentName).toBe('execution');
    expect(second.status).toBe(429);
    expect(third.status).toBe(200);
    expect(aml.faults.status429?.count).toBe(0);
    // The faulted start did not create the run: the retry succeeded rather than hitting 409.
    expect(aml.runs.listRuns().map((r) => r.runId)).toEqual(['t_1']);
  });

  it.each([
    [500, 'ServiceError'],
    [502, 'TransientError'],
    [503, 'TransientError'],
    [504, 'TransientError'],
  ])('status5xx %i answers with root code %s once per count', async (status, code) => {
    aml.faults.set({ status5xx: { count: 1, status } });
    const failed = await start('f_1');
    const ok = await start('f_1');
    expect(failed.status).toBe(status);
    expect(failed.json.error).toMatchObject({ code, message: `Service failure (injected HTTP ${status}).` });
    expect(failed.headers.get('retry-after')).toBeNull();
    expect(ok.status).toBe(200);
  });

  it('drop destroys the connection without an answer, then recovers', async () => {
    aml.faults.set({ drop: { count: 1 } });
    const dropped = await rawRequest(aml.url, 'GET', READ);
    const next = await rawRequest(aml.url, 'GET', READ);
    expect('error' in dropped && dropped.error.code).toBe('ECONNRESET');
    expect('status' in next && next.status).toBe(404);
    expect(aml.requests.map((r) => [r.dropped ?? false, r.status])).toEqual([
      [true, undefined],
      [false, 404],
    ]);
  });

  it('counted faults are consumed in the order drop → 429 → 5xx', async () => {
    aml.faults.set({ drop: { count: 1 }, status429: { count: 1 }, status5xx: { count: 1 } });
    const outcomes = [];
    for (let i = 0; i < 4; i++) {
      const res = await rawRequest(aml.url, 'GET', READ);
      outcomes.push('error' in res ? 'dropped' : res.status);
    }
    expect(outcomes).toEqual(['dropped', 429, 503, 404]);
  });

  it('pathPrefix limits faults to matching paths (here: only the managed-identity endpoint)', async () => {
    aml.faults.set({ status5xx: { count: 5, status: 500 }, pathPrefix: '/msi/' });
    const api = await start('p_1');
    const token = await call(aml.url, 'GET', '/msi/token?api-version=2019-08-01&resource=r', {
      headers: { 'x-identity-header': 'h' },
    });
    expect(api.status).toBe(200);
    expect(token.status).toBe(500);
    expect(aml.faults.status5xx?.count).toBe(4);
    expect(aml.tokenRequests).toEqual([]); // faulted before the endpoint saw it
  });

  it('drip sends the headers at once, then the body a few bytes per interval', async () => {
    // Prepare: a run to read
    expect((await start('drip_1')).status).toBe(200);
    const path = historyPath('drip_1');
    const plain = await timedRead(aml.url, 'GET', path);
    // Act
    const put = await call(aml.url, 'PUT', '/_emulator/faults', {
      json: { drip: { intervalMs: 5, bytes: 16 } },
    });
    const dripped = await timedRead(aml.url, 'GET', path);
    // Assess
    expect(put.json).toEqual({ latencyMs: 0, drip: { intervalMs: 5, bytes: 16 } });
    expect(dripped.status).toBe(200);
    expect(dripped.body).toBe(plain.body);
    expect(dripped.chunks.length).toBeGreaterThanOrEqual(Math.ceil(plain.body.length / 16));
    expect(Math.max(...dripped.chunks.map((c) => c.bytes))).toBeLessThanOrEqual(16);
  });

  it('are controlled over HTTP with PUT/GET/DELETE /_emulator/faults', async () => {
    const put = await call(aml.url, 'PUT', '/_emulator/faults', {
      json: { status429: { count: 1, retryAfterSeconds: 2 } },
    });
    const faulted = await call(aml.url, 'GET', READ);
    const got = await call(aml.url, 'GET', '/_emulator/faults');
    const cleared = await call(aml.url, 'DELETE', '/_emulator/faults');
    const invalid = await call(aml.url, 'PUT', '/_emulator/faults', { json: { drop: { count: -1 } } });
    expect(put.json).toEqual({ latencyMs: 0, status429: { count: 1, retryAfterSeconds: 2 } });
    expect(faulted.status).toBe(429);
    expect(got.json).toEqual({ latencyMs: 0, status429: { count: 0, retryAfterSeconds: 2 } });
    expect(cleared.json).toEqual({ latencyMs: 0 });
    expect(invalid.status).toBe(400);
    expect(invalid.json).toEqual({ error: 'drop.count must be an integer >= 0' });
    expect(aml.requests.map((r) => r.path)).toEqual([READ]);
  });

  it('initial faults can be passed as an option', async () => {
    const other = await startAzureMlEmulator({ faults: { status5xx: { count: 1, status: 503 } } });
    try {
      expect((await call(other.url, 'GET', READ)).status).toBe(503);
      expect((await call(other.url, 'GET', READ)).status).toBe(404);
    } finally {
      await other.close();
    }
  });
});

describe('request journal and control endpoints', () => {
  it('records method, raw path, query, lower-cased headers, body text, time and status', async () => {
    const body = JSON.stringify({ SnapshotId: SNAPSHOT });
    await call(aml.url, 'POST', `${SNAPSHOT_RUN}?runId=j_1&api-version=2019-11-01`, {
      body,
      contentType: 'application/json',
      headers: { 'X-MS-Client-Request-Id': 'req-42' },
    });
    expect(aml.requests).toHaveLength(1);
    expect(aml.requests[0]).toMatchObject({
      method: 'POST',
      path: SNAPSHOT_RUN,
      query: { runId: 'j_1', 'api-version': '2019-11-01' },
      body,
      at: Date.UTC(2026, 0, 15, 2, 0, 0, 0),
      status: 200,
    });
    expect(aml.requests[0]?.headers['x-ms-client-request-id']).toBe('req-42');
    expect(aml.requests[0]?.bodyBytes).toBeUndefined();
  });

  it('keeps bodies over 64 KiB as bodyBytes + bodySha256 instead of text', async () => {
    // Prepare: a multipart upload of ~100 KiB with known bytes
    const zip = Buffer.concat([projectZip(), Buffer.alloc(100 * 1024, 7)]);
    const body = rawMultipart('b0und', [
      {
        headers: ['Content-Disposition: form-data; name="runDefinitionFile"; filename="definition.json"'],
        data: '{}',
      },
      {
        headers: ['Content-Disposition: form-data; name="projectZipFile"; filename="project.zip"'],
        data: zip,
      },
    ]);
    // Act
    const res = await call(aml.url, 'POST', `${experimentPath()}/startrun?runId=big_1`, {
      body,
      contentType: 'multipart/form-data; boundary=b0und',
    });
    // Assess
    expect(res.status).toBe(200);
    expect(aml.requests[0]).toMatchObject({
      body: '',
      bodyBytes: body.length,
      bodySha256: createHash('sha256').update(body).digest('hex'),
      status: 200,
    });
  });

  it('with journalBodyHash: false keeps bodyBytes without bodySha256, and still hashes the zip', async () => {
    // Prepare: an emulator told not to hash journal bodies, and a ~100 KiB startrun
    const other = await startAzureMlEmulator({ journalBodyHash: false });
    const zip = Buffer.concat([projectZip(), Buffer.alloc(100 * 1024, 9)]);
    const body = rawMultipart('b0und', [
      {
        headers: ['Content-Disposition: form-data; name="runDefinitionFile"; filename="definition.json"'],
        data: '{}',
      },
      {
        headers: ['Content-Disposition: form-data; name="projectZipFile"; filename="project.zip"'],
        data: zip,
      },
    ]);
    try {
      // Act
      const res = await call(other.url, 'POST', `${experimentPath()}/startrun?runId=big_2`, {
        body,
        contentType: 'multipart/form-data; boundary=b0und',
      });
      // Assess: the same answer, a journal entry with the size only, the zip's hash as received
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ runId: 'big_2' });
      expect(other.requests).toHaveLength(1);
      expect(other.requests[0]).toMatchObject({ body: '', bodyBytes: body.length, status: 200 });
      expect(other.requests[0]).not.toHaveProperty('bodySha256');
      expect(other.runs.getRun(WS, EXP, 'big_2')?.zip).toEqual({
        bytes: zip.length,
        sha256: createHash('sha256').update(zip).digest('hex'),
        filename: 'project.zip',
      });
    } finally {
      await other.close();
    }
  });

  it('records rejected requests too; control calls are never recorded', async () => {
    await call(aml.url, 'POST', `${experimentPath()}/runId/missing_1/cancel`);
    await call(aml.url, 'GET', '/nowhere');
    await call(aml.url, 'GET', '/_emulator/faults');
    expect(aml.requests.map((r) => [r.method, r.path, r.status])).toEqual([
      ['POST', `${experimentPath()}/runId/missing_1/cancel`, 404],
      ['GET', '/nowhere', 404],
    ]);
  });

  it('GET/DELETE /_emulator/requests show and clear the journal with the token requests', async () => {
    await call(aml.url, 'GET', '/msi/token?api-version=2019-08-01&resource=r', {
      headers: { 'x-identity-header': 'h' },
    });
    const listed = await call(aml.url, 'GET', '/_emulator/requests');
    const cleared = await call(aml.url, 'DELETE', '/_emulator/requests');
    expect(listed.json.requests).toHaveLength(1);
    expect(listed.json.tokenRequests).toMatchObject([{ resource: 'r', status: 200 }]);
    expect(cleared.json).toEqual({ requests: [], tokenRequests: [] });
    expect(aml.requests).toEqual([]);
    expect(aml.tokenRequests).toEqual([]);
  });

  it('GET /_emulator/runs lists runs with their status; POST /_emulator/reset clears everything', async () => {
    await start('r_1');
    aml.faults.latencyMs = 5;
    const runs = await call(aml.url, 'GET', '/_emulator/runs');
    const reset = await call(aml.url, 'POST', '/_emulator/reset');
    expect(runs.json.runs).toMatchObject([{ runId: 'r_1', status: 'NotStarted', operation: 'snapshotrun' }]);
    expect(reset.status).toBe(200);
    expect(aml.runs.listRuns()).toEqual([]);
    expect(aml.requests).toEqual([]);
    expect(aml.faults.latencyMs).toBe(0);
  });

  it('answers unknown control paths with 404 and wrong methods with 405', async () => {
    const unknown = await call(aml.url, 'GET', '/_emulator/nothing');
    const method = await call(aml.url, 'POST', '/_emulator/runs');
    expect(unknown.json).toEqual({ error: 'unknown emulator control endpoint /_emulator/nothing' });
    expect(method.status).toBe(405);
    expect(method.headers.get('allow')).toBe('GET');
  });
});

describe('close()', () => {
  it('closes idle keep-alive connections instead of waiting for them', async () => {
    const other = await startAzureMlEmulator();
    const res = await call(other.url, 'GET', READ);
    const started = performance.now();
    await other.close();
    await other.close();
    expect(res.status).toBe(404);
    expect(performance.now() - started).toBeLessThan(1000);
    await expect(fetch(`${other.url}${READ}`)).rejects.toThrow();
  });
});
