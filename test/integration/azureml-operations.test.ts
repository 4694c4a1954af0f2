/**
 * The four Azure ML Execution Service operations over real HTTP, on both surfaces (local
 * host and the Functions registrations), against Azurite and the Azure ML emulator: what the
 * caller gets back, and exactly what the upstream received — for startrun, the very zip
 * bytes (same size and SHA-256) and what is left in the staging container.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { invocationBundle } from '../../sandbox/azureml/run-operations.js';
import {
  buildZip,
  clearStaging,
  EXPERIMENT,
  example,
  experimentPath,
  MINTED_RUN_ID,
  postForm,
  postJson,
  projectZip,
  readZip,
  sha256,
  stagedBlobs,
  startRunForm,
  upstreamExperimentPath,
} from '../helpers/azureml-requests.js';
import { type Gateway, SURFACES, startGateway, WORKSPACE } from '../helpers/gateway.js';
import { pollUntil } from '../helpers/poll.js';

const FROZEN_AT = Date.UTC(2025, 0, 15, 10, 30, 0);

describe.each(SURFACES)('Azure ML operations via %s', (surface) => {
  let gw: Gateway;
  /** The emulator clock: real time unless a test freezes it (startlocalrun's zip has timestamps). */
  let frozen: number | undefined;
  beforeAll(async () => {
    gw = await startGateway({ surface, azureml: { now: () => frozen ?? Date.now() } });
  });
  afterAll(() => gw.close());
  beforeEach(async () => {
    frozen = undefined;
    gw.azureml?.reset();
    await clearStaging(gw);
  });

  const aml = () => {
    if (!gw.azureml) throw new Error('no Azure ML emulator');
    return gw.azureml;
  };

  it('startrun (multipart): 200 {runId}; the upstream got the same zip bytes; the staged blob is deleted', async () => {
    // Prepare
    const zip = buildZip([
      { name: 'train.py', data: 'import sys\nprint("training", sys.argv[1:])\n' },
      { name: 'conda.yml', data: 'dependencies:\n  - python=3.10\n' },
    ]);
    const definition = example('run-definition.json');
    // Act
    const res = await postForm(
      gw,
      `${experimentPath()}/startrun?runId=exp-a_startrun_1`,
      startRunForm(definition, zip),
    );
    // Assess: the answer
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.json()).toEqual({ runId: 'exp-a_startrun_1' });
    // Assess: what the upstream received
    expect(aml().requests).toHaveLength(1);
    const sent = aml().requests[0];
    expect(sent?.method).toBe('POST');
    expect(sent?.path).toBe(`${upstreamExperimentPath()}/startrun`);
    expect(sent?.query).toEqual({ runId: 'exp-a_startrun_1' });
    expect(sent?.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(sent?.status).toBe(200);
    const run = aml().runs.getRun(WORKSPACE.workspace, EXPERIMENT, 'exp-a_startrun_1');
    expect(run?.operation).toBe('startrun');
    expect(run?.zip).toEqual({ bytes: zip.length, sha256: sha256(zip), filename: 'project.zip' });
    expect(run?.definition).toEqual(definition);
    expect(run?.target).toBe('cpu-cluster');
    // Assess: nothing is left in staging (STAGING_RETAIN defaults to false)
    expect(await stagedBlobs(gw)).toEqual([]);
  });

  it('startrun: examples/project.zip with a minted run id, the same one upstream and in the answer', async () => {
    // Prepare
    const zip = projectZip();
    // Act
    const res = await postForm(
      gw,
      `${experimentPath()}/startrun`,
      startRunForm(example('run-definition.json'), zip),
    );
    // Assess
    expect(res.status).toBe(200);
    const { runId } = res.json();
    expect(runId).toMatch(MINTED_RUN_ID);
    expect(aml().requests.map((r) => r.query.runId)).toEqual([runId]);
    expect(aml().runs.getRun(WORKSPACE.workspace, EXPERIMENT, runId)?.zip).toMatchObject({
      bytes: zip.length,
      sha256: sha256(zip),
    });
    expect(await stagedBlobs(gw)).toEqual([]);
  });

  it('snapshotrun: forwards the JSON body unchanged with a minted runId in the query', async () => {
    // Prepare
    const definition = example('snapshot-run-definition.json');
    // Act
    const res = await postJson(gw, `${experimentPath()}/snapshotrun`, definition);
    // Assess
    expect(res.status).toBe(200);
    const { runId } = res.json();
    expect(runId).toMatch(MINTED_RUN_ID);
    expect(aml().requests).toHaveLength(1);
    const sent = aml().requests[0];
    expect(sent?.method).toBe('POST');
    expect(sent?.path).toBe(`${upstreamExperimentPath()}/snapshotrun`);
    expect(sent?.query).toEqual({ runId });
    expect(sent?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(sent?.body ?? '')).toEqual(definition);
    const run = aml().runs.getRun(WORKSPACE.workspace, EXPERIMENT, runId);
    expect(run).toMatchObject({ operation: 'snapshotrun', snapshotId: definition.snapshotId });
  });

  it("snapshotrun: the caller's runId is the one sent upstream and answered", async () => {
    // Act
    const res = await postJson(
      gw,
      `${experimentPath()}/snapshotrun?runId=my-own-run_7`,
      example('snapshot-run-definition.json'),
    );
    // Assess
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ runId: 'my-own-run_7' });
    expect(aml().requests.map((r) => r.query)).toEqual([{ runId: 'my-own-run_7' }]);
    expect(aml().runs.getRun(WORKSPACE.workspace, EXPERIMENT, 'my-own-run_7')).toMatchObject({
      operation: 'snapshotrun',
      runId: 'my-own-run_7',
      target: 'cpu-cluster',
    });
  });

  it("startrun and snapshotrun: the caller's credentials stay at the gateway; correlation ids travel", async () => {
    // Prepare
    const callerHeaders = {
      authorization: 'Bearer caller-token',
      cookie: 'session=caller',
      'x-functions-key': 'caller-function-key',
      'x-request-id': 'req-aml-1',
    };
    const form = startRunForm(example('run-definition.json'), projectZip());
    // Act
    const started = await fetch(`${gw.url}${experimentPath()}/startrun?runId=creds-1`, {
      method: 'POST',
      body: form,
      headers: callerHeaders,
    });
    const snapshot = await fetch(`${gw.url}${experimentPath()}/snapshotrun?runId=creds-2`, {
      method: 'POST',
      body: JSON.stringify(example('snapshot-run-definition.json')),
      headers: { ...callerHeaders, 'content-type': 'application/json' },
    });
    // Assess
    expect([started.status, snapshot.status]).toEqual([200, 200]);
    expect(started.headers.get('x-request-id')).toBe('req-aml-1');
    expect(aml().requests).toHaveLength(2);
    for (const sent of aml().requests) {
      expect(sent.headers.authorization).toBeUndefined();
      expect(sent.headers.cookie).toBeUndefined();
      expect(sent.headers['x-functions-key']).toBeUndefined();
      expect(sent.headers['x-request-id']).toBe('req-aml-1');
      expect(sent.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    }
  });

  it("startlocalrun: streams the emulator's invocation zip back byte for byte", async () => {
    // Prepare: freeze the emulator clock so the bundle's timestamps are known.
    frozen = FROZEN_AT;
    const definition = example('local-run-definition.json');
    const expected = invocationBundle({ runId: 'local-1', script: 'train.py' }, EXPERIMENT, FROZEN_AT);
    // Act
    const res = await postJson(gw, `${experimentPath()}/startlocalrun?runId=local-1`, definition);
    // Assess
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('content-length')).toBe(String(expected.length));
    expect(res.bytes.subarray(0, 4)).toEqual(Buffer.from('PK\x03\x04', 'latin1'));
    expect(sha256(res.bytes)).toBe(sha256(expected));
    const entries = readZip(res.bytes);
    expect(Object.keys(entries)).toEqual(['azureml-setup/Invocation.sh', 'azureml-setup/Invocation.bat']);
    expect(entries['azureml-setup/Invocation.sh']).toContain(
      'echo "Would start run local-1 of experiment exp-a (script train.py)"',
    );
    const sent = aml().requests[0];
    expect(sent?.path).toBe(`${upstreamExperimentPath()}/startlocalrun`);
    expect(sent?.query).toEqual({ runId: 'local-1' });
    expect(sent?.headers.accept).toBe('application/octet-stream, application/json');
    expect(JSON.parse(sent?.body ?? '')).toEqual(definition);
  });

  it('cancel: forwards to …/runId/{runId}/cancel and the run ends Canceled', async () => {
    // Prepare: a run to cancel.
    await postJson(
      gw,
      `${experimentPath()}/snapshotrun?runId=to-cancel`,
      example('snapshot-run-definition.json'),
    );
    aml().requests.length = 0;
    // Act
    const res = await postJson(gw, `${experimentPath()}/runid/to-cancel/cancel`);
    // Assess
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ runId: 'to-cancel' });
    expect(aml().requests).toHaveLength(1);
    expect(aml().requests[0]).toMatchObject({
      method: 'POST',
      path: `${upstreamExperimentPath()}/runId/to-cancel/cancel`,
      query: {},
      body: '',
      status: 200,
    });
    const run = await pollUntil(
      async () => aml().runs.getRun(WORKSPACE.workspace, EXPERIMENT, 'to-cancel'),
      (r) => r?.status === 'Canceled',
    );
    expect(run?.cancelRequestedAt).toEqual(expect.any(Number));
  });

  it('cancel of an unknown run: the upstream 404 keeps its status and body', async () => {
    // Act
    const res = await postJson(gw, `${experimentPath()}/runid/never-started/cancel`);
    // Assess
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const problem = res.json();
    expect(problem.type).toBe('/problems/upstream-error');
    expect(problem.upstream.status).toBe(404);
    expect(problem.upstream.body.error).toEqual({ code: 'UserError', message: expect.any(String) });
    expect(problem.upstream.body.correlation).toEqual({
      operation: expect.stringMatching(/^[0-9a-f]{32}$/),
      request: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
    expect(problem.upstream.requestId).toEqual(expect.any(String));
    expect(aml().requests.map((r) => r.path)).toEqual([
      `${upstreamExperimentPath()}/runId/never-started/cancel`,
    ]);
  });
});

describe.each(SURFACES)('startrun with STAGING_RETAIN=true via %s', (surface) => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startGateway({ surface, azureml: true, env: { STAGING_RETAIN: 'true' } });
  });
  afterAll(() => gw.close());

  it('keeps the staged blob, with the size and SHA-256 of the zip as sent', async () => {
    // Prepare
    const zip = projectZip();
    // Act
    const res = await postForm(
      gw,
      `${experimentPath()}/startrun?runId=kept-1`,
      startRunForm(example('run-definition.json'), zip),
    );
    // Assess
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ runId: 'kept-1' });
    const blobs = await stagedBlobs(gw);
    expect(blobs).toHaveLength(1);
    expect(blobs[0]?.name).toMatch(
      /^shared\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.zip$/,
    );
    expect(blobs[0]?.size).toBe(zip.length);
    expect(blobs[0]?.metadata).toEqual({ sha256: sha256(zip), size: String(zip.length) });
    expect(gw.azureml?.runs.getRun(WORKSPACE.workspace, EXPERIMENT, 'kept-1')?.zip?.sha256).toBe(sha256(zip));
  });
});
