/**
 * Staged project zips, on both surfaces, against Azurite and the Azure ML emulator: a
 * startrun whose upstream call fails keeps its staged blob and names it (`stagedZipId`), so
 * the client retries with `{ runDefinition, stagedZipId }` and uploads nothing again; an
 * upload slot (`POST /v1/uploads`) is a write-only SAS URL any Blob client can fill, and its
 * id starts a run the same way. Each retry is checked by the SHA-256 the upstream received
 * and by what is left in the staging container.
 */
import { randomUUID } from 'node:crypto';
import { BlockBlobClient } from '@azure/storage-blob';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  buildZip,
  clearStaging,
  EXPERIMENT,
  example,
  experimentPath,
  postForm,
  postJson,
  projectZip,
  sha256,
  stagedBlobs,
  startRunForm,
  upstreamExperimentPath,
} from '../helpers/azureml-requests.js';
import { call, type Gateway, SURFACES, startGateway, WORKSPACE } from '../helpers/gateway.js';
import { pollUntil } from '../helpers/poll.js';

/** MAX_PROJECT_ZIP_BYTES of this suite, small enough to overflow with a slot upload. */
const ZIP_CAP = 4096;
const START = `${experimentPath()}/startrun`;
const UPSTREAM_START = `${upstreamExperimentPath()}/startrun`;
const definition = example('run-definition.json');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe.each(SURFACES)('startrun retry by stagedZipId via %s', (surface) => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startGateway({
      surface,
      azureml: true,
      env: { MAX_PROJECT_ZIP_BYTES: String(ZIP_CAP), UPSTREAM_MAX_RETRY_AFTER_MS: '2000' },
    });
  });
  afterAll(() => gw.close());
  beforeEach(async () => {
    gw.azureml?.reset();
    await clearStaging(gw);
  });

  const aml = () => {
    if (!gw.azureml) throw new Error('no Azure ML emulator');
    return gw.azureml;
  };
  const startRequests = () => aml().requests.filter((r) => r.path === UPSTREAM_START);

  it('upstream 503 after staging: 502 with stagedZipId, the blob stays; a retry by id runs the same zip and removes it', async () => {
    // Prepare
    const zip = buildZip([{ name: 'train.py', data: 'print("retry me")\n' }]);
    aml().faults.set({ status5xx: { count: 1, status: 503 }, pathPrefix: UPSTREAM_START });
    // Act: the first attempt fails upstream
    const failed = await postForm(gw, `${START}?runId=retry-503`, startRunForm(definition, zip));
    // Assess: the problem names the staged zip, which is still there, complete
    expect(failed.status).toBe(502);
    expect(failed.headers.get('content-type')).toBe('application/problem+json');
    const problem = failed.json();
    expect(problem).toMatchObject({
      type: '/problems/upstream-error',
      status: 502,
      upstream: { status: 503 },
    });
    expect(problem.upstream.body.error.code).toBe('TransientError');
    expect(problem.stagedZipId).toMatch(UUID);
    expect(startRequests().map((r) => r.status)).toEqual([503]); // not retried: startrun is not idempotent
    expect(await stagedBlobs(gw)).toEqual([
      {
        name: `shared/${problem.stagedZipId}.zip`,
        size: zip.length,
        metadata: { sha256: sha256(zip), size: String(zip.length) },
      },
    ]);
    // Act: retry by id, nothing uploaded again
    const retried = await postJson(gw, `${START}?runId=retry-503`, {
      runDefinition: definition,
      stagedZipId: problem.stagedZipId,
    });
    // Assess: the run started with the very same zip, and the staged blob is gone
    expect(retried.status).toBe(200);
    expect(retried.json()).toEqual({ runId: 'retry-503' });
    expect(startRequests().map((r) => r.status)).toEqual([503, 200]);
    expect(startRequests()[1]?.query).toEqual({ runId: 'retry-503' });
    const run = aml().runs.getRun(WORKSPACE.workspace, EXPERIMENT, 'retry-503');
    expect(run?.zip).toEqual({ bytes: zip.length, sha256: sha256(zip), filename: 'project.zip' });
    expect(run?.definition).toEqual(definition);
    expect(await stagedBlobs(gw)).toEqual([]);
  });

  it('upstream 429 with a Retry-After longer than the gateway waits: 429 with Retry-After and stagedZipId', async () => {
    // Prepare
    const zip = projectZip();
    aml().faults.set({ status429: { count: 1, retryAfterSeconds: 30 }, pathPrefix: UPSTREAM_START });
    // Act
    const failed = await postForm(gw, `${START}?runId=retry-429`, startRunForm(definition, zip));
    // Assess
    expect(failed.status).toBe(429);
    expect(failed.headers.get('retry-after')).toBe('30');
    const problem = failed.json();
    expect(problem).toMatchObject({ type: '/problems/upstream-rate-limited', status: 429 });
    expect(problem.upstream).toMatchObject({ status: 429, body: { error: { code: 'RequestThrottled' } } });
    expect(problem.stagedZipId).toMatch(UUID);
    expect(startRequests()).toHaveLength(1);
    expect((await stagedBlobs(gw)).map((b) => b.name)).toEqual([`shared/${problem.stagedZipId}.zip`]);
    // Act: the client waits, then retries by id
    const retried = await postJson(gw, `${START}?runId=retry-429`, {
      runDefinition: definition,
      stagedZipId: problem.stagedZipId,
    });
    // Assess
    expect(retried.status).toBe(200);
    expect(aml().runs.getRun(WORKSPACE.workspace, EXPERIMENT, 'retry-429')?.zip?.sha256).toBe(sha256(zip));
    expect(await stagedBlobs(gw)).toEqual([]);
  });

  it('a short Retry-After on startrun is not waited out (the streamed body is sent once): 429 with stagedZipId', async () => {
    // Prepare: 1 s is within UPSTREAM_MAX_RETRY_AFTER_MS (2 s), so a JSON operation would wait it out.
    aml().faults.set({ status429: { count: 1, retryAfterSeconds: 1 }, pathPrefix: UPSTREAM_START });
    // Act
    const failed = await postForm(gw, START, startRunForm(definition, projectZip()));
    // Assess
    expect(failed.status).toBe(429);
    expect(failed.headers.get('retry-after')).toBe('1');
    expect(failed.json().stagedZipId).toMatch(UUID);
    expect(startRequests().map((r) => r.status)).toEqual([429]);
    expect(await stagedBlobs(gw)).toHaveLength(1);
  });

  it('upstream connection dropped after the upload: 502 upstream-unreachable with stagedZipId, the blob stays', async () => {
    // Prepare
    const zip = projectZip();
    aml().faults.set({ drop: { count: 1 }, pathPrefix: UPSTREAM_START });
    // Act
    const failed = await postForm(gw, `${START}?runId=dropped-1`, startRunForm(definition, zip));
    // Assess
    expect(failed.status).toBe(502);
    const problem = failed.json();
    expect(problem.type).toBe('/problems/upstream-unreachable');
    expect(problem.stagedZipId).toMatch(UUID);
    expect(startRequests()).toHaveLength(1); // not retried: startrun is not idempotent
    expect(startRequests()[0]?.dropped).toBe(true);
    expect(await stagedBlobs(gw)).toEqual([
      {
        name: `shared/${problem.stagedZipId}.zip`,
        size: zip.length,
        metadata: { sha256: sha256(zip), size: String(zip.length) },
      },
    ]);
  });

  it('upstream slower than UPSTREAM_TIMEOUT_MS: 504 upstream-timeout with stagedZipId, the blob stays', async () => {
    // Prepare: the test gateway's UPSTREAM_TIMEOUT_MS is 1500
    aml().faults.set({ latencyMs: 2_500, pathPrefix: UPSTREAM_START });
    // Act
    const failed = await postForm(gw, `${START}?runId=slow-1`, startRunForm(definition, projectZip()));
    // Assess
    expect(failed.status).toBe(504);
    const problem = failed.json();
    expect(problem.type).toBe('/problems/upstream-timeout');
    expect(problem.detail).toBe('Azure ML did not answer within 1500 ms.');
    expect(problem.stagedZipId).toMatch(UUID);
    expect((await stagedBlobs(gw)).map((b) => b.name)).toEqual([`shared/${problem.stagedZipId}.zip`]);
  });

  // A failed start names the run id it used (`runId`) beside `stagedZipId`: after a timeout the
  // upstream may have started the run, and a retry with the same id is refused as a duplicate
  // instead of starting the same zip twice.
  it('a retry by stagedZipId and the reported runId after a timeout does not start the run twice', async () => {
    // Prepare: the first attempt times out at the gateway, but the upstream goes on and starts it.
    // The gateway's clock starts once the zip is sent, the emulator's when the request arrives:
    // a latency well past the 1500 ms timeout keeps a slow upload on a busy machine from racing it.
    aml().faults.set({ latencyMs: 3_500, pathPrefix: UPSTREAM_START });
    const failed = await postForm(gw, START, startRunForm(definition, projectZip()));
    expect(failed.status).toBe(504);
    const problem = failed.json();
    // Only runs with minted ids (exp-a_…) are this test's: a slow request of an earlier test
    // (runId slow-1) may still land.
    const mintedRuns = () =>
      aml()
        .runs.listRuns()
        .filter((r) => r.runId.startsWith('exp-a_'));
    await pollUntil(
      async () => mintedRuns().length,
      (n) => n === 1,
      { timeoutMs: 10_000 },
    );
    aml().faults.clear();
    // Act: retry as the README says, with whatever the problem gave us
    const retryPath = typeof problem.runId === 'string' ? `${START}?runId=${problem.runId}` : START;
    await postJson(gw, retryPath, { runDefinition: definition, stagedZipId: problem.stagedZipId });
    // Assess
    expect(mintedRuns().map((r) => r.runId)).toEqual([problem.runId]);
  });

  it('a retry that fails upstream again keeps the blob and names the same id', async () => {
    // Prepare
    const zip = projectZip();
    aml().faults.set({ status5xx: { count: 2, status: 500 }, pathPrefix: UPSTREAM_START });
    const first = await postForm(gw, `${START}?runId=twice-failed`, startRunForm(definition, zip));
    const { stagedZipId } = first.json();
    // Act
    const second = await postJson(gw, `${START}?runId=twice-failed`, {
      runDefinition: definition,
      stagedZipId,
    });
    // Assess
    expect(first.status).toBe(502);
    expect(second.status).toBe(502);
    expect(second.json()).toMatchObject({ stagedZipId, upstream: { status: 500 } });
    expect(startRequests().map((r) => r.status)).toEqual([500, 500]);
    expect((await stagedBlobs(gw)).map((b) => b.name)).toEqual([`shared/${stagedZipId}.zip`]);
  });

  it('a staged zip is used once: after a successful retry the same id is unknown', async () => {
    // Prepare
    aml().faults.set({ status5xx: { count: 1, status: 503 }, pathPrefix: UPSTREAM_START });
    const { stagedZipId } = (await postForm(gw, START, startRunForm(definition, projectZip()))).json();
    const ok = await postJson(gw, START, { runDefinition: definition, stagedZipId });
    aml().requests.length = 0;
    // Act
    const again = await postJson(gw, START, { runDefinition: definition, stagedZipId });
    // Assess
    expect(ok.status).toBe(200);
    expect(again.status).toBe(400);
    expect(again.json().errors).toEqual([
      {
        path: 'body.stagedZipId',
        message: 'no staged zip of yours has this id (expired, used, or never uploaded)',
      },
    ]);
    expect(aml().requests).toEqual([]);
  });

  it('an unknown stagedZipId is 400 naming body.stagedZipId, and nothing reaches the upstream', async () => {
    // Act
    const res = await postJson(gw, START, { runDefinition: definition, stagedZipId: randomUUID() });
    // Assess
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.json()).toMatchObject({
      type: '/problems/validation-failed',
      errors: [
        {
          path: 'body.stagedZipId',
          message: 'no staged zip of yours has this id (expired, used, or never uploaded)',
        },
      ],
    });
    expect(aml().requests).toEqual([]);
  });

  it('a stagedZipId that is not a gateway id (a blob path) is 400 before storage is read', async () => {
    // Act
    const res = await postJson(gw, START, { runDefinition: definition, stagedZipId: '../other/secret' });
    // Assess
    expect(res.status).toBe(400);
    expect(res.json().errors).toEqual([
      { path: 'body.stagedZipId', message: 'must be an id returned by the gateway' },
    ]);
    expect(aml().requests).toEqual([]);
  });

  it('the retry form validates its run definition under body.runDefinition', async () => {
    // Prepare
    aml().faults.set({ status5xx: { count: 1, status: 503 }, pathPrefix: UPSTREAM_START });
    const { stagedZipId } = (await postForm(gw, START, startRunForm(definition, projectZip()))).json();
    aml().requests.length = 0;
    // Act
    const res = await postJson(gw, START, {
      runDefinition: { configuration: { ...definition.configuration, nodeCount: 'two' } },
      stagedZipId,
    });
    // Assess: refused, and the staged zip is still there for a corrected retry
    expect(res.status).toBe(400);
    expect(res.json().errors.map((e: { path: string }) => e.path)).toEqual([
      'body.runDefinition.configuration.nodeCount',
    ]);
    expect(aml().requests).toEqual([]);
    expect((await stagedBlobs(gw)).map((b) => b.name)).toEqual([`shared/${stagedZipId}.zip`]);
  });
});

describe.each(SURFACES)('upload slots via %s', (surface) => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startGateway({ surface, azureml: true, env: { MAX_PROJECT_ZIP_BYTES: String(ZIP_CAP) } });
  });
  afterAll(() => gw.close());
  beforeEach(async () => {
    gw.azureml?.reset();
    await clearStaging(gw);
  });

  const aml = () => {
    if (!gw.azureml) throw new Error('no Azure ML emulator');
    return gw.azureml;
  };
  const newSlot = async () => {
    const res = await call(gw, 'POST', '/v1/uploads');
    return {
      res,
      slot: res.json() as { uploadId: string; uploadUrl: string; expiresOn: string; maxBytes: number },
    };
  };

  it('POST /v1/uploads: 201 with a write-only SAS URL for one blob in the staging container', async () => {
    // Act
    const before = Date.now();
    const { res, slot } = await newSlot();
    // Assess
    expect(res.status).toBe(201);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(Object.keys(slot).sort()).toEqual(['expiresOn', 'maxBytes', 'uploadId', 'uploadUrl']);
    expect(slot.maxBytes).toBe(ZIP_CAP);
    expect(slot.uploadId).toMatch(UUID);
    const url = new URL(slot.uploadUrl);
    expect(`${url.origin}${url.pathname}`).toBe(`${gw.azurite?.blobUrl}/staging/shared/${slot.uploadId}.zip`);
    expect(url.searchParams.get('sp')).toBe('w');
    expect(url.searchParams.get('sr')).toBe('b');
    // UPLOAD_SLOT_MINUTES defaults to 60
    const expires = Date.parse(slot.expiresOn);
    expect(expires - before).toBeGreaterThanOrEqual(60 * 60_000 - 1_000);
    expect(expires - Date.now()).toBeLessThanOrEqual(60 * 60_000 + 1_000);
    expect(url.searchParams.get('se')).toBe(slot.expiresOn.replace(/\.\d{3}Z$/, 'Z'));
    expect(aml().requests).toEqual([]);
    expect(await stagedBlobs(gw)).toEqual([]);
  });

  it('upload examples/project.zip with a plain Blob client, then startrun by uploadId: the same bytes upstream', async () => {
    // Prepare
    const zip = projectZip();
    const { slot } = await newSlot();
    await new BlockBlobClient(slot.uploadUrl).uploadData(zip);
    // Act
    const res = await postJson(gw, `${START}?runId=from-slot`, {
      runDefinition: definition,
      stagedZipId: slot.uploadId,
    });
    // Assess
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ runId: 'from-slot' });
    expect(aml().requests.map((r) => [r.path, r.query.runId])).toEqual([[UPSTREAM_START, 'from-slot']]);
    expect(aml().runs.getRun(WORKSPACE.workspace, EXPERIMENT, 'from-slot')?.zip).toEqual({
      bytes: zip.length,
      sha256: sha256(zip),
      filename: 'project.zip',
    });
    expect(await stagedBlobs(gw)).toEqual([]);
  });

  it('the slot URL cannot read: GET with its SAS is 403 even after the upload', async () => {
    // Prepare
    const { slot } = await newSlot();
    await new BlockBlobClient(slot.uploadUrl).uploadData(projectZip());
    // Act
    const res = await fetch(slot.uploadUrl);
    const text = await res.text();
    // Assess
    expect(res.status).toBe(403);
    expect(text).toContain('AuthorizationPermissionMismatch');
    expect(text).not.toContain('train.py');
  });

  it('the slot URL reaches only its own blob: writing another name with its SAS is 403', async () => {
    // Prepare
    const { slot } = await newSlot();
    const other = new URL(slot.uploadUrl);
    other.pathname = other.pathname.replace(slot.uploadId, randomUUID());
    // Act
    const failure = await new BlockBlobClient(other.toString()).uploadData(projectZip()).then(
      () => undefined,
      (error: { statusCode?: number }) => error,
    );
    // Assess
    expect(failure?.statusCode).toBe(403);
    expect(await stagedBlobs(gw)).toEqual([]);
  });

  it('a slot filled with something that is not a zip is 400 before the upstream is called', async () => {
    // Prepare
    const { slot } = await newSlot();
    await new BlockBlobClient(slot.uploadUrl).uploadData(Buffer.from('#!/bin/sh\necho not a zip\n'));
    // Act
    const res = await postJson(gw, START, { runDefinition: definition, stagedZipId: slot.uploadId });
    // Assess
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({
      type: '/problems/validation-failed',
      errors: [{ path: 'body.stagedZipId', message: 'is not a zip file (no PK signature)' }],
    });
    expect(aml().requests).toEqual([]);
  });

  it('a slot filled past MAX_PROJECT_ZIP_BYTES is 413 before the upstream is called', async () => {
    // Prepare: a zip-looking blob one byte over the cap
    const { slot } = await newSlot();
    const big = Buffer.alloc(ZIP_CAP + 1, 0x61);
    big.write('PK\x03\x04', 0, 'latin1');
    await new BlockBlobClient(slot.uploadUrl).uploadData(big);
    // Act
    const res = await postJson(gw, START, { runDefinition: definition, stagedZipId: slot.uploadId });
    // Assess
    expect(res.status).toBe(413);
    expect(res.json().type).toBe('/problems/payload-too-large');
    expect(aml().requests).toEqual([]);
  });

  it('a slot never filled is 400 naming body.stagedZipId', async () => {
    // Prepare
    const { slot } = await newSlot();
    // Act
    const res = await postJson(gw, START, { runDefinition: definition, stagedZipId: slot.uploadId });
    // Assess
    expect(res.status).toBe(400);
    expect(res.json().errors).toEqual([
      {
        path: 'body.stagedZipId',
        message: 'no staged zip of yours has this id (expired, used, or never uploaded)',
      },
    ]);
    expect(aml().requests).toEqual([]);
  });
});
