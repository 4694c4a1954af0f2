/**
 * Big-zip bench (issue 8 item 3, issue 19): a 1 GiB startrun (32 MiB with --smoke) streamed
 * once through the gateway, into Azurite and the Azure ML emulator at the same time, against a plain
 * `@azure/storage-blob` `uploadStream` of as many bytes to the same Azurite, interleaved and
 * repeated. The gateway runs in its own process and its RSS is sampled from
 * `/proc/<pid>/status`; the emulator (which parses startrun as it streams, hashing the zip once;
 * its journal does not hash the body again) and Azurite run apart too. Every client makes its bytes
 * the same way (`zipBytes`, unhashed), so the clients do the same work per byte on every path; the
 * CPU seconds each process spends in a timed transfer are printed beside the times, since on a
 * machine with few cores they share, the wall time follows the total.
 * Budgets (DESIGN.md): wall time ≤ 1.3× the SDK upload; the app's peak RSS < 200 MB.
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Readable } from 'node:stream';
import { BlobServiceClient } from '@azure/storage-blob';
import { type Azurite, startAzurite } from '../../sandbox/azurite.js';
import { postReadable, startRunFraming } from '../../test/helpers/azureml-streamed-upload.js';
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
import { cpuSecondsOf, samplePeakRss } from '../lib/proc.js';
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

/** CPU seconds of this process (`client`) and of others by pid, from {@link meterCpu} to its stop. */
type CpuUse<K extends string> = Record<K | 'client', number>;

/** Starts metering the CPU (user + system) of this process and of the processes in `pids`. */
function meterCpu<K extends string>(pids: Record<K, number>): { stop(): CpuUse<K> } {
  const names = Object.keys(pids) as K[];
  const client = process.cpuUsage();
  const before = names.map((name) => cpuSecondsOf(pids[name]));
  return {
    stop() {
      const used = process.cpuUsage(client);
      const use = { client: (used.user + used.system) / 1e6 } as CpuUse<K>;
      names.forEach((name, i) => {
        use[name] = cpuSecondsOf(pids[name]) - (before[i] as number);
      });
      return use;
    },
  };
}

/**
 * One info row of CPU seconds per process, medians over the runs, with the total beside what the
 * machine's cores could give in the median wall time (a total near that means the cores were busy).
 */
function cpuRow<K extends string>(
  what: string,
  runs: CpuUse<K>[],
  labels: Record<K | 'client', string>,
  wall: number,
) {
  const cores = availableParallelism();
  const parts = (Object.keys(labels) as (K | 'client')[]).map(
    (name) => `${labels[name]} ${median(runs.map((run) => run[name])).toFixed(1)} s`,
  );
  const totals = runs.map((run) => Object.values<number>(run).reduce((sum, v) => sum + v, 0));
  return infoRow(
    BENCH,
    `CPU per run, ${what}: ${parts.join(', ')} (total ${median(totals).toFixed(1)} s; ` +
      `${cores} cores × ${fmt.s(wall)} wall = ${(cores * wall).toFixed(1)} core-s)`,
  );
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
): Promise<{ upload: number; cpu: CpuUse<'azurite'>; both: number }> {
  const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(
    'bench-sdk',
  );
  await container.createIfNotExists();
  const blob = container.getBlockBlobClient(`plain-${round}.zip`);
  const meter = meterCpu({ azurite: azurite.pid });
  const started = process.hrtime.bigint();
  await blob.uploadStream(zipBytes(size));
  const upload = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = meter.stop();
  await blob.delete();
  const bothStarted = process.hrtime.bigint();
  const [, direct] = await Promise.all([
    container.getBlockBlobClient(`tee-${round}.zip`).uploadStream(zipBytes(size)),
    postStartRun(`${emulatorUrl}${emulatorStartRunPath()}?runId=exp-bench_direct_${round}`, size),
  ]);
  const both = Number(process.hrtime.bigint() - bothStarted) / 1e9;
  if (direct.status !== 200) throw new Error(`direct startrun to the emulator: ${direct.status}`);
  await container.getBlockBlobClient(`tee-${round}.zip`).delete();
  return { upload, cpu, both };
}

/** A startrun's multipart body around `size` bytes of {@link zipBytes}, made chunk by chunk as sent. */
function startRunBody(size: number): { contentType: string; body: Readable } {
  const { contentType, head, tail } = startRunFraming(runDefinition());
  const zip = zipBytes(size);
  const body = Readable.from(
    (async function* () {
      yield head;
      for await (const chunk of zip) yield chunk as Buffer;
      yield tail;
    })(),
  );
  return { contentType, body };
}

/** A chunked startrun of `size` zip bytes to `url` (the gateway's or the emulator's). */
function postStartRun(url: string, size: number): Promise<{ status: number; text: string }> {
  const { contentType, body } = startRunBody(size);
  return postReadable(url, body, contentType);
}

/** The emulator's own startrun path for the bench workspace (the gateway's upstream path). */
function emulatorStartRunPath(): string {
  const [subscription, resourceGroup, workspace] = WORKSPACE.split('/');
  return (
    `/execution/v1.0/subscriptions/${subscription}/resourceGroups/${resourceGroup}` +
    `/providers/Microsoft.MachineLearningServices/workspaces/${workspace}/experiments/exp-bench/startrun`
  );
}

/** Pids of the processes a gateway startrun keeps busy, besides this client. */
interface GatewayPids {
  gateway: number;
  emulator: number;
  azurite: number;
}

async function gatewayUpload(url: string, pids: GatewayPids, size: number, round: number) {
  const sampler = samplePeakRss(pids.gateway, 20);
  const meter = meterCpu(pids);
  const started = process.hrtime.bigint();
  const res = await postStartRun(`${url}${experimentPath('startrun')}?runId=exp-bench_big_${round}`, size);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = meter.stop();
  const rss = sampler.stop();
  if (res.status !== 200) throw new Error(`gateway startrun: ${res.status} ${res.text.slice(0, 300)}`);
  return { seconds, cpu, ...rss };
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
      // chunked (postStartRun), which the host streams rather than reading whole (README, Request size).
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
    const sdkCpu: CpuUse<'azurite'>[] = [];
    const gatewayCpu: CpuUse<keyof GatewayPids>[] = [];
    let baselineRss = 0;
    const pids = { gateway: gateway.pid, emulator: azureml.pid, azurite: azurite.pid };
    for (let round = 0; round < repeats; round++) {
      const plain = await sdkUploadAndTee(azurite, azureml.info.url, size, round);
      sdk.push(plain.upload);
      sdkCpu.push(plain.cpu);
      floor.push(plain.both);
      const run = await gatewayUpload(gateway.info.url, pids, size, round);
      viaGateway.push(run.seconds);
      gatewayCpu.push(run.cpu);
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
      cpuRow('SDK upload', sdkCpu, { client: 'client', azurite: 'Azurite' }, median(sdk)),
      cpuRow(
        'gateway startrun',
        gatewayCpu,
        { client: 'client', gateway: 'gateway', emulator: 'emulator', azurite: 'Azurite' },
        median(viaGateway),
      ),
    ];
  } finally {
    for (const child of children.reverse()) await child.close();
    await azurite?.stop();
  }
}
