/**
 * Big-zip bench (issue 8 item 3, issue 19): a 1 GiB startrun (32 MiB with --smoke) streamed
 * once through the gateway, into Azurite and the Azure ML emulator at the same time, against a plain
 * `@azure/storage-blob` `uploadStream` of as many bytes to the same Azurite, interleaved and
 * repeated. The gateway runs in its own process and its RSS is sampled from
 * `/proc/<pid>/status`; the emulator (which parses startrun as it streams, hashing the zip once)
 * and Azurite run apart too.
 * Budgets (DESIGN.md): wall time ≤ 1.3× the SDK upload; the app's peak RSS < 200 MB.
 */
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { Readable } from 'node:stream';
import { BlobServiceClient } from '@azure/storage-blob';
import { type Azurite, startAzurite } from '../../sandbox/azurite.js';
import { postStream, startRunFraming, streamedStartRun } from '../../test/helpers/azureml-streamed-upload.js';
import type { BenchOptions } from '../lib/args.js';
import {
  azureMlEnv,
  experimentPath,
  runDefinition,
  smallStartRunForm,
  stagedBlobs,
  WORKSPACE,
} from '../lib/azureml.js';
import { type Child, startChild } from '../lib/child.js';
import { samplePeakRss } from '../lib/proc.js';
import { median, spread } from '../lib/stats.js';
import { budgetRow, fmt, infoRow, type Row } from '../lib/table.js';

const BENCH = 'big-zip';
const MiB = 1024 * 1024;
const MB = 1_000_000;

/** `size` pseudo-random bytes in 1 MiB chunks, made on demand. */
function zipBytes(size: number): Readable {
  const pattern = randomBytes(MiB);
  let produced = 0;
  return new Readable({
    read() {
      if (produced >= size) return void this.push(null);
      const chunk = Buffer.from(pattern.subarray(0, Math.min(MiB, size - produced)));
      chunk.writeUInt32LE(produced / MiB, 0);
      // Starts like a zip (local file header), as the gateway and the emulator check.
      if (produced === 0) chunk.write('PK\x03\x04', 0, 'latin1');
      produced += chunk.length;
      this.push(chunk);
    },
  });
}

/**
 * A plain SDK upload (the budget's baseline), then — untimed by the budget — the floor of a
 * zip that streams once, done by bare clients: an SDK upload and a chunked startrun of as many
 * bytes straight into the emulator, both at once (DESIGN.md, startrun: staged and fed upstream
 * at the same time). On a machine whose cores Azurite, the emulator and the gateway share, the
 * two transfers compete, so this floor sits above the upload alone.
 */
async function sdkUploadAndTee(
  azurite: Azurite,
  emulatorUrl: string,
  size: number,
  round: number,
): Promise<{ upload: number; both: number }> {
  const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(
    'bench-sdk',
  );
  await container.createIfNotExists();
  const blob = container.getBlockBlobClient(`plain-${round}.zip`);
  const started = process.hrtime.bigint();
  await blob.uploadStream(zipBytes(size));
  const upload = Number(process.hrtime.bigint() - started) / 1e9;
  await blob.delete();
  const bothStarted = process.hrtime.bigint();
  const [, status] = await Promise.all([
    container.getBlockBlobClient(`tee-${round}.zip`).uploadStream(zipBytes(size)),
    postToEmulator(emulatorUrl, size, round),
  ]);
  const both = Number(process.hrtime.bigint() - bothStarted) / 1e9;
  if (status !== 200) throw new Error(`direct startrun to the emulator: ${status}`);
  await container.getBlockBlobClient(`tee-${round}.zip`).delete();
  return { upload, both };
}

/** A chunked startrun of `size` zip bytes straight into the emulator; resolves to its status. */
function postToEmulator(emulatorUrl: string, size: number, round: number): Promise<number> {
  const { contentType, head, tail } = startRunFraming(runDefinition());
  const zip = zipBytes(size);
  const body = Readable.from(
    (async function* () {
      yield head;
      for await (const chunk of zip) yield chunk as Buffer;
      yield tail;
    })(),
  );
  return new Promise<number>((resolve, reject) => {
    const req = request(
      `${emulatorUrl}${emulatorStartRunPath()}?runId=exp-bench_direct_${round}`,
      { method: 'POST', headers: { 'content-type': contentType } },
      (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.once('error', reject);
    body.pipe(req);
  });
}

/** The emulator's own startrun path for the bench workspace (the gateway's upstream path). */
function emulatorStartRunPath(): string {
  const [subscription, resourceGroup, workspace] = WORKSPACE.split('/');
  return (
    `/execution/v1.0/subscriptions/${subscription}/resourceGroups/${resourceGroup}` +
    `/providers/Microsoft.MachineLearningServices/workspaces/${workspace}/experiments/exp-bench/startrun`
  );
}

async function gatewayUpload(url: string, pid: number, size: number, round: number) {
  const upload = streamedStartRun(runDefinition(), size);
  const sampler = samplePeakRss(pid, 20);
  const started = process.hrtime.bigint();
  const res = await postStream(
    `${url}${experimentPath('startrun')}?runId=exp-bench_big_${round}`,
    upload.body,
    upload.contentType,
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const rss = sampler.stop();
  if (res.status !== 200) throw new Error(`gateway startrun: ${res.status} ${res.text.slice(0, 300)}`);
  return { seconds, ...rss };
}

export async function runBigZip(options: BenchOptions): Promise<Row[]> {
  const size = options.smoke ? 32 * MiB : 1024 * MiB;
  const repeats = options.repeats ?? (options.smoke ? 1 : 3);
  let azurite: Azurite | undefined;
  const children: Child<unknown>[] = [];
  try {
    azurite = await startAzurite();
    const azureml = await startChild<{ url: string }>('azureml-emulator', {
      MAX_ZIP_BYTES: String(size + 16 * MiB),
    });
    children.push(azureml);
    const gateway = await startChild<{ url: string }>('gateway', {
      ...azureMlEnv(azureml.info.url, azurite.connectionString),
      MAX_PROJECT_ZIP_BYTES: String(size + 16 * MiB),
      // A deployment that raises the host's request limit for this: the zip goes inline and
      // chunked (postStream), which the host streams rather than reading whole (README, Request size).
      FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: String(size + 16 * MiB),
      UPSTREAM_TIMEOUT_MS: '230000',
    });
    children.push(gateway);
    // Warm up both paths: lazy modules, pools and the staging container exist before timing.
    const warm = await fetch(`${gateway.info.url}${experimentPath('startrun')}?runId=exp-bench_warm`, {
      method: 'POST',
      body: smallStartRunForm(),
    });
    if (warm.status !== 200) throw new Error(`warm-up startrun: ${warm.status} ${await warm.text()}`);
    await sdkUploadAndTee(azurite, azureml.info.url, MiB, -1);
    const sdk: number[] = [];
    const floor: number[] = [];
    const viaGateway: number[] = [];
    const peaks: number[] = [];
    let baselineRss = 0;
    for (let round = 0; round < repeats; round++) {
      const plain = await sdkUploadAndTee(azurite, azureml.info.url, size, round);
      sdk.push(plain.upload);
      floor.push(plain.both);
      const run = await gatewayUpload(gateway.info.url, gateway.pid, size, round);
      viaGateway.push(run.seconds);
      peaks.push(run.peak);
      baselineRss = run.baseline;
    }
    const leaked = await stagedBlobs(azurite.connectionString);
    const ratio = median(viaGateway) / median(sdk);
    const label = `${(size / MiB).toFixed(0)} MiB`;
    return [
      infoRow(BENCH, `SDK uploadStream ${label}: ${fmt.s(median(sdk))} (${spread(sdk, 2)})`),
      budgetRow(
        BENCH,
        `gateway startrun ${label}: ${fmt.s(median(viaGateway))} (${spread(viaGateway, 2)})`,
        `SDK ${fmt.s(median(sdk))}`,
        fmt.x(ratio),
        '≤ 1.30×',
        ratio <= 1.3,
      ),
      infoRow(
        BENCH,
        `floor of streaming once: SDK upload and a bare chunked startrun into the emulator, at once: ` +
          `${fmt.s(median(floor))} (${spread(floor, 2)})`,
        `floor ${fmt.s(median(floor))}`,
        fmt.x(median(viaGateway) / median(floor)),
      ),
      budgetRow(
        BENCH,
        `gateway peak RSS: ${(Math.max(...peaks) / MB).toFixed(0)} MB (${spread(
          peaks.map((p) => p / MB),
          0,
        )})`,
        `idle ${(baselineRss / MB).toFixed(0)} MB`,
        '-',
        '< 200 MB',
        Math.max(...peaks) < 200 * MB,
      ),
      budgetRow(BENCH, `staged blobs left: ${leaked.length}`, '-', '-', '0', leaked.length === 0),
    ];
  } finally {
    for (const child of children.reverse()) await child.close();
    await azurite?.stop();
  }
}
