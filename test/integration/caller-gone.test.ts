/**
 * A caller that goes away mid-call, on both test surfaces. It is logged as such (499 "client
 * closed request", warn) and not as the upstream failing; the upstream call is abandoned, not
 * repeated. A startrun whose caller leaves once the upstream has the whole request runs on to
 * the upstream's answer: the outcome is logged with the run id and staged zip id, and the zip
 * this request staged is deleted. One whose caller leaves while the zip is still going upstream
 * is abandoned there: no run, and the zip it staged deleted. Counted: calls lost, repeated, blobs left behind — 0 each.
 *
 * On the functions surface the test plays the host's part: the real host forwards each request
 * to the worker with an `x-ms-invocation-id` header (docs/functions-host.md, 4.2), which is how
 * the adapter ties a disconnect to its invocation; the test host names every invocation
 * `unknown` (the library's id when none is given), so the test sends that id. Under the real
 * host the same is checked in test/realhost/caller-gone.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  buildZip,
  example,
  experimentPath,
  projectZip,
  stagedBlobs,
  startRunForm,
  upstreamExperimentPath,
} from '../helpers/azureml-requests.js';
import { type Gateway, SURFACES, startGateway } from '../helpers/gateway.js';
import { FLYTE_ID } from '../helpers/mcp-client.js';
import { pollUntil } from '../helpers/poll.js';

const GET = '/v1/api/v1/executions/flytesnacks/development/gone-1';
const START = `${experimentPath()}/startrun`;
const UPSTREAM_START = `${upstreamExperimentPath()}/startrun`;
const lines = (gw: Gateway) => gw.logs.entries();

describe.each(SURFACES)('a caller that goes away (%s)', (surface) => {
  let gw: Gateway;
  const invocation: Record<string, string> =
    surface === 'functions' ? { 'x-ms-invocation-id': 'unknown' } : {};
  beforeAll(async () => {
    gw = await startGateway({
      surface,
      azureml: true,
      env: {
        UPSTREAM_TIMEOUT_MS: '5000',
        UPSTREAM_DEADLINE_MS: '10000',
        UPSTREAM_MAX_RETRIES: '2',
        // Room for a zip larger than the socket buffers, sent inline
        FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: String(64 * 1024 * 1024),
      },
    });
  }, 60_000);
  afterAll(() => gw.close());
  beforeEach(() => {
    gw.azureml?.faults.clear();
    gw.emulator.reset();
    gw.azureml?.reset();
    gw.logs.lines.length = 0;
  });

  it('mid-call: logged 499 at warn, not an upstream error; the call abandoned, not repeated', async () => {
    // Prepare: an upstream slower than the caller's patience
    gw.emulator.seed({ ...FLYTE_ID, name: 'gone-1', phase: 'RUNNING' });
    gw.emulator.faults.set({ latencyMs: 3000, pathPrefix: '/api/' });
    const caller = new AbortController();
    const started = performance.now();
    // Act: leave once the upstream has the call
    const sent = fetch(`${gw.url}${GET}`, { signal: caller.signal, headers: invocation }).catch(
      (error: Error) => error.name,
    );
    await pollUntil(
      async () => gw.emulator.requests.length,
      (n) => n === 1,
    );
    caller.abort();
    // Assess
    expect(await sent).toBe('AbortError');
    const line = await pollUntil(
      async () => lines(gw).find((l) => l.event === 'request.abandoned'),
      (l) => l !== undefined,
    ).catch((e) => {
      console.log('LOGS', gw.logs.lines);
      throw e;
    });
    expect(performance.now() - started).toBeLessThan(3000); // not waited out
    expect(line).toMatchObject({ level: 'warn', status: 499, problem: 'client-closed-request' });
    expect(lines(gw).filter((l) => l.level === 'error')).toEqual([]);
    expect(gw.logs.lines.join('\n')).not.toContain('upstream-unreachable');
    expect(gw.emulator.requests.map((r) => r.path)).toEqual([
      '/api/v1/executions/flytesnacks/development/gone-1',
    ]);
  });

  it('startrun, after the upstream has it all: the outcome logged with its ids, the zip deleted', async () => {
    // Prepare: the Execution Service takes its time to answer
    const aml = gw.azureml;
    if (!aml) throw new Error('azureml emulator missing');
    aml.faults.set({ latencyMs: 1500, pathPrefix: UPSTREAM_START });
    const caller = new AbortController();
    // Act: leave once the upstream has the whole start request
    const sent = fetch(`${gw.url}${START}?runId=gone-run-1`, {
      method: 'POST',
      body: startRunForm(example('run-definition.json'), projectZip()),
      signal: caller.signal,
      headers: invocation,
    }).catch((error: Error) => error.name);
    await pollUntil(
      async () => aml.requests.filter((r) => r.path === UPSTREAM_START).length,
      (n) => n === 1,
    );
    caller.abort();
    // Assess: the run started once; what became of it is logged; nothing staged is left
    expect(await sent).toBe('AbortError');
    const outcome = await pollUntil(
      async () => lines(gw).find((l) => l.event === 'startrun.caller_gone'),
      (l) => l !== undefined,
    );
    expect(outcome).toMatchObject({ level: 'warn', runId: 'gone-run-1', runStarted: 'yes', zip: 'deleted' });
    expect(outcome?.stagedZipId).toMatch(/^[0-9a-f-]{36}$/);
    const abandoned = await pollUntil(
      async () => lines(gw).find((l) => l.event === 'request.abandoned'),
      (l) => l !== undefined,
    );
    expect(abandoned).toMatchObject({ status: 499, problem: 'client-closed-request' });
    expect(lines(gw).filter((l) => l.level === 'error')).toEqual([]);
    expect(aml.requests.filter((r) => r.path === UPSTREAM_START).map((r) => r.status)).toEqual([200]);
    expect(await stagedBlobs(gw)).toEqual([]);
  });

  it('startrun, while the zip is still being sent upstream: abandoned, no run, the zip deleted', async () => {
    // Prepare: a zip larger than the socket buffers, and an upstream that leaves it unread a while
    const aml = gw.azureml;
    if (!aml) throw new Error('azureml emulator missing');
    const zip = buildZip([
      { name: 'train.py', data: 'print(1)\n' },
      { name: 'data.bin', data: randomBytes(24 * 1024 * 1024) },
    ]);
    aml.faults.set({ holdBodyMs: 5_000, pathPrefix: UPSTREAM_START });
    const caller = new AbortController();
    // Act: leave once the upstream has started to receive the request (the zip still streaming in)
    const sent = fetch(`${gw.url}${START}?runId=gone-run-2`, {
      method: 'POST',
      body: startRunForm(example('run-definition.json'), zip),
      signal: caller.signal,
      headers: invocation,
    }).catch((error: Error) => error.name);
    await pollUntil(
      async () => aml.faults.holding,
      (n) => n === 1,
      { timeoutMs: 30_000 },
    );
    caller.abort();
    // Assess: the send abandoned mid-body, so the run did not start; the zip this request staged is gone
    expect(await sent).toBe('AbortError');
    const outcome = await pollUntil(
      async () => lines(gw).find((l) => l.event === 'startrun.caller_gone'),
      (l) => l !== undefined,
    );
    expect(outcome).toMatchObject({ level: 'warn', runId: 'gone-run-2', runStarted: 'no', zip: 'deleted' });
    expect(lines(gw).filter((l) => l.level === 'error')).toEqual([]);
    expect(await stagedBlobs(gw)).toEqual([]);
    // The upstream never got a whole request, so it has no run and the journal no start
    await pollUntil(
      async () => aml.faults.holding,
      (n) => n === 0,
      { timeoutMs: 30_000 },
    );
    expect(aml.requests.filter((r) => r.path === UPSTREAM_START)).toEqual([]);
  }, 60_000);
});
