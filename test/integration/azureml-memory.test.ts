/**
 * A 200 MiB startrun upload through the local host streams once: client → gateway → Azurite
 * and, at the same time, → Azure ML emulator (chunked), with the gateway's peak RSS far below
 * the upload's size, and the upstream receiving exactly the bytes sent (size and SHA-256).
 *
 * Where the memory goes. The gateway runs in this test process, so this process's RSS is
 * what is bounded. Azurite already runs in its own process. The Azure ML emulator, though, is
 * a test double whose own buffers (it buffers most bodies whole, and parses and hashes startrun
 * bodies as they stream) would count in the RSS being measured and blur any bound (or force a
 * bound loose enough to hide a gateway that buffers). So this suite
 * runs the emulator in a child process (`azureml-emulator-process.ts`) and points
 * AZUREML_ENDPOINT at it; what is left in this process is the gateway and the test's own
 * streamed client, whose chunks are produced on demand and sent with `node:http` (Node's
 * fetch keeps a streamed request body's chunks alive until the request ends: measured, it
 * alone would add the whole 200 MiB). The in-process emulator that
 * `startGateway` also starts must stay untouched, which proves the redirection took.
 * Only the local host is measured: the Functions test host buffers request bodies itself.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AzureMlEmulatorProcess,
  startAzureMlEmulatorProcess,
} from '../helpers/azureml-emulator-process.js';
import {
  EXPERIMENT,
  example,
  experimentPath,
  postForm,
  projectZip,
  stagedBlobs,
  startRunForm,
  upstreamExperimentPath,
} from '../helpers/azureml-requests.js';
import { postStream, sampleRss, streamedStartRun } from '../helpers/azureml-streamed-upload.js';
import { type Gateway, startGateway } from '../helpers/gateway.js';

const MiB = 1024 * 1024;
const ZIP_BYTES = 200 * MiB;
/** The bound on the gateway's extra RSS during the upload: half the upload's size. */
const RSS_BUDGET = 100 * MiB;
const START = `${experimentPath()}/startrun`;

describe('startrun memory via local-host', () => {
  let emulator: AzureMlEmulatorProcess;
  let gw: Gateway;
  beforeAll(async () => {
    emulator = await startAzureMlEmulatorProcess();
    gw = await startGateway({
      surface: 'local-host',
      azureml: true,
      env: {
        AZUREML_ENDPOINT: emulator.url,
        MAX_PROJECT_ZIP_BYTES: String(256 * MiB),
        // A deployment that raises the host's request limit; the body goes chunked (postStream),
        // which the host streams instead of reading whole first (docs/functions-host.md).
        FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: String(256 * MiB),
        // The emulator parses and hashes 200 MiB before it answers.
        UPSTREAM_TIMEOUT_MS: '30000',
      },
    });
  }, 60_000);
  afterAll(async () => {
    await gw?.close();
    await emulator?.close();
  });

  it('a 200 MiB upload: 200 {runId}, the same size and SHA-256 upstream, peak RSS growth under 100 MiB', async () => {
    // Prepare: one small run first, so that lazy modules, the upstream pool and the staging
    // container exist before the baseline is taken.
    const definition = example('run-definition.json');
    const warm = await postForm(gw, `${START}?runId=warm-up`, startRunForm(definition, projectZip()));
    expect(warm.status).toBe(200);
    const upload = streamedStartRun(definition, ZIP_BYTES);
    // Act
    const started = Date.now();
    const sampler = sampleRss(10);
    const res = await postStream(`${gw.url}${START}?runId=big-1`, upload.body, upload.contentType);
    const answer = res.text;
    const rss = sampler.stop();
    const seconds = (Date.now() - started) / 1000;
    const sent = await upload.zip;
    // Assess: the answer
    expect(res.status, answer).toBe(200);
    expect(JSON.parse(answer)).toEqual({ runId: 'big-1' });
    // Assess: the upstream got every byte, once
    expect(sent.size).toBe(ZIP_BYTES);
    const runs = await emulator.runs();
    const run = runs.find((r) => r.runId === 'big-1');
    expect(run?.experimentName).toBe(EXPERIMENT);
    expect(run?.zip).toEqual({ bytes: ZIP_BYTES, sha256: sent.sha256, filename: 'project.zip' });
    const journal = (await emulator.requests()).filter((r) => r.query.runId === 'big-1');
    expect(journal).toHaveLength(1);
    expect(journal[0]?.path).toBe(`${upstreamExperimentPath()}/startrun`);
    // Sent as it was staged, so without a length known in advance: chunked.
    expect(journal[0]?.headers['transfer-encoding']).toBe('chunked');
    expect(journal[0]?.headers['content-length']).toBeUndefined();
    expect(journal[0]?.bodyBytes).toBeGreaterThan(ZIP_BYTES);
    expect(gw.azureml?.requests).toEqual([]); // the in-process emulator was not used
    expect(await stagedBlobs(gw)).toEqual([]);
    // Assess: memory and time
    const growth = rss.peak - rss.baseline;
    console.info(
      `200 MiB startrun: ${seconds.toFixed(1)} s, RSS baseline ${(rss.baseline / MiB).toFixed(0)} MiB, ` +
        `peak ${(rss.peak / MiB).toFixed(0)} MiB (+${(growth / MiB).toFixed(0)} MiB), ${rss.samples} samples`,
    );
    expect(rss.samples).toBeGreaterThan(20); // sampled throughout, not once at the end
    expect(growth).toBeLessThan(RSS_BUDGET);
    expect(seconds).toBeLessThan(60);
  }, 120_000);
});
