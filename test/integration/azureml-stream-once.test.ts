/**
 * A startrun zip streams once: the gateway stages it and sends it upstream at the same time
 * (chunked), against Azurite and the Azure ML emulator. Checked on both sides: the bytes the
 * upstream received (SHA-256) and the staged blob with its metadata; that a failed upstream call
 * (error status, dropped connection, a refusal before the body was read) still leaves a complete
 * staged blob to retry by `stagedZipId`; that a storage outage mid-stream starts no run and
 * leaves nothing; that refused and aborted uploads leave nothing, uncommitted blocks included.
 * The streaming cases run on the local host (the Functions test host buffers request bodies).
 */
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Azurite, startAzurite } from '../../sandbox/azurite.js';
import { type StorageSwitch, storageSwitch } from '../../sandbox/storage-switch.js';
import {
  clearStaging,
  EXPERIMENT,
  example,
  experimentPath,
  postJson,
  sha256,
  stagedBlobs,
  startRunForm,
  upstreamExperimentPath,
} from '../helpers/azureml-requests.js';
import { startRunFraming } from '../helpers/azureml-streamed-upload.js';
import { type Gateway, SURFACES, startGateway, WORKSPACE } from '../helpers/gateway.js';
import { pollUntil } from '../helpers/poll.js';

const MiB = 1024 * 1024;
const START = `${experimentPath()}/startrun`;
const UPSTREAM_START = `${upstreamExperimentPath()}/startrun`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const definition = example('run-definition.json');
/** Room for zips of several staging blocks sent inline (the inline limit is this less 1 MiB). */
const BODY_LIMIT = String(16 * MiB);

/** `size` bytes that start like a zip (all the gateway and the emulator check) and differ per call. */
function bigZip(size: number): Buffer {
  const zip = randomBytes(size);
  zip.write('PK\x03\x04', 0, 'latin1');
  return zip;
}

/** Names in the staging container, blobs with only uncommitted blocks included. */
async function everythingStaged(gw: Gateway): Promise<string[]> {
  if (!gw.azurite) throw new Error('no Azurite');
  const container = BlobServiceClient.fromConnectionString(gw.azurite.connectionString).getContainerClient(
    'staging',
  );
  if (!(await container.exists())) return [];
  const names: string[] = [];
  for await (const blob of container.listBlobsFlat({ includeUncommitedBlobs: true })) names.push(blob.name);
  return names;
}

interface Sent {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: answers are checked by expect(), not by types
  json: () => any;
}

/**
 * Sends a startrun chunked (no Content-Length) with `node:http`, chunk by chunk from `chunks`
 * (which may wait between chunks); `abort` ends the request mid-body.
 */
function sendChunked(url: string, contentType: string, chunks: AsyncIterable<Buffer>) {
  const req = request(url, { method: 'POST', headers: { 'content-type': contentType } });
  const answer = new Promise<Sent>((resolve, reject) => {
    req.on('response', (res) => {
      const body: Buffer[] = [];
      res.on('data', (chunk: Buffer) => body.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(body).toString('utf8');
        resolve({ status: res.statusCode ?? 0, json: () => JSON.parse(text) });
      });
    });
    req.on('error', reject);
  });
  void (async () => {
    for await (const chunk of chunks) {
      if (req.destroyed) return;
      if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
    }
    req.end();
  })().catch(() => undefined);
  return { answer, abort: () => req.destroy() };
}

/** The multipart startrun around `zip`, in 256 KiB chunks; `pause(offset)` runs before each zip chunk. */
async function* startRunChunks(
  framing: { head: Buffer; tail: Buffer },
  zip: Buffer,
  pause: (offset: number) => Promise<void> = async () => undefined,
): AsyncIterable<Buffer> {
  yield framing.head;
  for (let at = 0; at < zip.length; at += 256 * 1024) {
    await pause(at);
    yield zip.subarray(at, at + 256 * 1024);
  }
  yield framing.tail;
}

describe.each(SURFACES)('a startrun zip streamed once via %s', (surface) => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startGateway({
      surface,
      azureml: true,
      env: { FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: BODY_LIMIT, UPSTREAM_TIMEOUT_MS: '5000' },
    });
  }, 60_000);
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
  const post = (path: string, zip: Buffer, options: { definitionText?: string } = {}) =>
    fetch(`${gw.url}${path}`, { method: 'POST', body: startRunForm(definition, zip, options) });

  it('the upstream gets the exact zip, chunked, and the run starts; nothing is left staged', async () => {
    // Prepare: a zip of two staging blocks and more, larger than the upstream branch's buffer
    const zip = bigZip(9 * MiB + 123);
    // Act
    const res = await post(`${START}?runId=once-1`, zip);
    // Assess
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ runId: 'once-1' });
    const [sent] = startRequests();
    expect(sent?.headers['transfer-encoding']).toBe('chunked');
    expect(sent?.headers['content-length']).toBeUndefined();
    expect(aml().runs.getRun(WORKSPACE.workspace, EXPERIMENT, 'once-1')?.zip).toEqual({
      bytes: zip.length,
      sha256: sha256(zip),
      filename: 'project.zip',
    });
    expect(aml().runs.getRun(WORKSPACE.workspace, EXPERIMENT, 'once-1')?.definition).toEqual(definition);
    expect(await everythingStaged(gw)).toEqual([]);
  });

  for (const [fault, arm, expected] of [
    [
      'a 503 after the body',
      () => aml().faults.set({ status5xx: { count: 1 }, pathPrefix: UPSTREAM_START }),
      502,
    ],
    ['a dropped connection', () => aml().faults.set({ drop: { count: 1 }, pathPrefix: UPSTREAM_START }), 502],
    ['a 503 before the body was read', () => aml().refuseUnread(1, 503), 502],
    ['a 429 before the body was read', () => aml().refuseUnread(1, 429), 429],
  ] as const) {
    it(`upstream fails (${fault}): the staged blob is complete with its SHA-256; a retry by stagedZipId runs it`, async () => {
      // Prepare: a zip far larger than what the upstream may have read before it failed
      const zip = bigZip(6 * MiB + 7);
      arm();
      // Act
      const failed = await post(`${START}?runId=fails-1`, zip);
      // Assess: the problem names the staged zip, which is whole
      expect(failed.status).toBe(expected);
      const problem = (await failed.json()) as { stagedZipId: string; runId: string };
      expect(problem.stagedZipId).toMatch(UUID);
      expect(problem.runId).toBe('fails-1');
      expect(await stagedBlobs(gw)).toEqual([
        {
          name: `shared/${problem.stagedZipId}.zip`,
          size: zip.length,
          metadata: { sha256: sha256(zip), size: String(zip.length) },
        },
      ]);
      expect(aml().runs.listRuns()).toEqual([]);
      // Act: retry by id, from the blob
      const retried = await postJson(gw, `${START}?runId=fails-1`, {
        runDefinition: definition,
        stagedZipId: problem.stagedZipId,
      });
      // Assess: the same bytes upstream (with a Content-Length this time), the blob gone
      expect(retried.status).toBe(200);
      const last = startRequests().at(-1);
      expect(last?.headers['content-length']).toBeDefined();
      expect(aml().runs.getRun(WORKSPACE.workspace, EXPERIMENT, 'fails-1')?.zip?.sha256).toBe(sha256(zip));
      expect(await everythingStaged(gw)).toEqual([]);
    }, 30_000);
  }

  it('a definition deeper than MAX_JSON_DEPTH is refused before the upstream is called; nothing staged', async () => {
    // Prepare: the zip streams in behind a definition that is refused
    const deep = `{"configuration":${'['.repeat(200)}${']'.repeat(200)}}`;
    // Act
    const res = await post(START, bigZip(6 * MiB), { definitionText: deep });
    // Assess
    expect(res.status).toBe(400);
    expect(((await res.json()) as { type: string }).type).toBe('/problems/malformed-json');
    expect(aml().requests).toEqual([]);
    expect(aml().bodiesCutOff).toBe(0);
    expect(await everythingStaged(gw)).toEqual([]);
  });

  it('a part that is not a zip is refused before the upstream is called; nothing staged', async () => {
    // Act
    const res = await post(START, Buffer.from('#!/bin/sh\necho not a zip\n'.repeat(10_000)));
    // Assess
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: unknown }).errors).toEqual([
      { path: 'body.projectZipFile', message: 'is not a zip file (no PK signature)' },
    ]);
    expect(aml().requests).toEqual([]);
    expect(await everythingStaged(gw)).toEqual([]);
  });

  it('a workspace off the allow-list is refused before anything is read or staged', async () => {
    // Act
    const res = await fetch(`${gw.url}${experimentPath({ workspace: 'ws-other' })}/startrun`, {
      method: 'POST',
      body: startRunForm(definition, bigZip(MiB)),
    });
    // Assess
    expect(res.status).toBe(403);
    expect(aml().requests).toEqual([]);
    expect(await everythingStaged(gw)).toEqual([]);
  });
});

describe('a startrun zip streamed once, while it streams (local-host, storage behind a switch)', () => {
  let azurite: Azurite;
  let storage: StorageSwitch;
  let gw: Gateway;
  beforeAll(async () => {
    // Our own Azurite behind a switch, so that storage can go away mid-upload.
    azurite = await startAzurite();
    storage = await storageSwitch(azurite.connectionString);
    gw = await startGateway({
      azureml: true,
      env: {
        AzureWebJobsStorage: storage.connectionString,
        FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: BODY_LIMIT,
        UPSTREAM_TIMEOUT_MS: '5000',
      },
    });
  }, 60_000);
  afterAll(async () => {
    await gw?.close();
    await storage?.close();
    await azurite?.stop();
  });
  beforeEach(async () => {
    storage.start();
    gw.azureml?.reset();
    await clearStaging({ ...gw, azurite });
  });
  const aml = () => {
    if (!gw.azureml) throw new Error('no Azure ML emulator');
    return gw.azureml;
  };
  const staged = () => everythingStaged({ ...gw, azurite });

  it('the upstream request starts while the zip is still coming in, and gets every byte', async () => {
    // Prepare: the upstream holds each body a moment, so that it is seen waiting; the client sends
    // the second half of the zip only once the upstream request is there.
    aml().faults.set({ holdBodyMs: 300, pathPrefix: UPSTREAM_START });
    const zip = bigZip(8 * MiB);
    const framing = startRunFraming(definition);
    let upstreamSeenMidUpload = false;
    const pause = async (offset: number) => {
      if (offset !== 4 * MiB) return;
      await pollUntil(
        async () => aml().faults.holding,
        (n) => n === 1,
        { timeoutMs: 10_000 },
      );
      upstreamSeenMidUpload = true;
    };
    // Act
    const sent = sendChunked(
      `${gw.url}${START}?runId=mid-1`,
      framing.contentType,
      startRunChunks(framing, zip, pause),
    );
    const res = await sent.answer;
    // Assess
    expect(upstreamSeenMidUpload).toBe(true);
    expect(res.status).toBe(200);
    expect(aml().runs.getRun(WORKSPACE.workspace, EXPERIMENT, 'mid-1')?.zip?.sha256).toBe(sha256(zip));
    expect(await staged()).toEqual([]);
  }, 30_000);

  it('an upload cut off mid-zip: no run, the upstream request abandoned, nothing staged', async () => {
    // Prepare
    const zip = bigZip(8 * MiB);
    const framing = startRunFraming(definition);
    let cut: () => void = () => undefined;
    const pause = async (offset: number) => {
      if (offset === 6 * MiB) {
        await pollUntil(
          async () => aml().faults.holding,
          (n) => n === 0,
        );
        cut();
        await new Promise(() => undefined); // sends nothing more
      }
    };
    // Act
    const sent = sendChunked(
      `${gw.url}${START}?runId=cut-1`,
      framing.contentType,
      startRunChunks(framing, zip, pause),
    );
    cut = sent.abort;
    await sent.answer.catch(() => undefined);
    // Assess: the upstream saw its request break off, and nothing is left behind
    await pollUntil(
      async () => aml().bodiesCutOff,
      (n) => n === 1,
      { timeoutMs: 10_000 },
    );
    await pollUntil(staged, (names) => names.length === 0, { timeoutMs: 10_000 });
    expect(aml().requests.filter((r) => r.path === UPSTREAM_START)).toEqual([]);
    expect(aml().runs.listRuns()).toEqual([]);
  }, 30_000);

  it('a zip over the inline limit, sent chunked: 413, the upstream request abandoned, nothing staged', async () => {
    // Prepare: no Content-Length, so the cap (the body limit less 1 MiB) is met only mid-stream;
    // within the host's own limit, which answers a bare 500 past it.
    const zip = bigZip(15 * MiB + 512 * 1024);
    const framing = startRunFraming(definition);
    // Act
    const sent = sendChunked(
      `${gw.url}${START}?runId=big-1`,
      framing.contentType,
      startRunChunks(framing, zip),
    );
    const res = await sent.answer;
    // Assess
    expect(res.status).toBe(413);
    expect(res.json().type).toBe('/problems/payload-too-large');
    await pollUntil(
      async () => aml().bodiesCutOff,
      (n) => n === 1,
      { timeoutMs: 10_000 },
    );
    expect(aml().requests.filter((r) => r.path === UPSTREAM_START)).toEqual([]);
    expect(aml().runs.listRuns()).toEqual([]);
    expect(await staged()).toEqual([]);
  }, 30_000);

  it('storage lost mid-zip: the upstream request is abandoned (no run), the answer names storage, nothing is left', async () => {
    // Prepare: storage goes away once part of the zip is staged and sent
    const zip = bigZip(12 * MiB);
    const framing = startRunFraming(definition);
    const pause = async (offset: number) => {
      if (offset === 5 * MiB) storage.stop();
    };
    // Act
    const sent = sendChunked(
      `${gw.url}${START}?runId=lost-1`,
      framing.contentType,
      startRunChunks(framing, zip, pause),
    );
    // Staging gives up once the storage client's own retries have run out; then the upstream
    // request is abandoned, and storage comes back for the clean-up.
    await pollUntil(
      async () => aml().bodiesCutOff,
      (n) => n === 1,
      { timeoutMs: 90_000, intervalMs: 20 },
    );
    storage.start();
    const res = await sent.answer;
    // Assess
    expect(res.status).toBe(502);
    const problem = res.json();
    expect(problem).toMatchObject({ type: '/problems/upstream-unreachable', runId: 'lost-1' });
    expect(problem.detail).toContain('Blob Storage');
    expect(problem.stagedZipId).toBeUndefined();
    expect(aml().requests.filter((r) => r.path === UPSTREAM_START)).toEqual([]);
    expect(aml().runs.listRuns()).toEqual([]);
    await pollUntil(staged, (names) => names.length === 0, { timeoutMs: 60_000 });
  }, 180_000);
});
