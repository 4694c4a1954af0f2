/**
 * Cold start under the REAL Azure Functions host (issue 19; sandbox/realhost.ts lays the app
 * out and spawns `../shared/realhost/run-host.sh`): wall time from spawning a fresh host to
 * its first 200 from `GET /v1/health` (anonymous, settings only), telemetry off and on,
 * interleaved; and the worker's share, read from the host's own timestamped log records:
 * from "node process with Id=… started" to "N functions found (Worker)" (the worker loads
 * the app's entry points while it initializes, then indexes the functions).
 *
 * HTTP triggers only (no `bin/` extensions, no AzureWebJobsStorage): the queue trigger is
 * reported in error, as under a host without the Storage Queues extension. Everything stays
 * on loopback: telemetry goes to a collector stand-in (bench/lib/otlp-sink.ts), the
 * Application Insights ingestion and live endpoints point at it too, the exporters' own usage
 * reports are off, and anything else is sent to a proxy on a closed loopback port.
 */
import {
  hostEnvironment,
  noExtensions,
  prepareAppDir,
  realHostPresence,
  spawnServingHost,
} from '../../sandbox/realhost.js';
import { startOtlpSink } from './otlp-sink.js';
import { median, spread } from './stats.js';
import { fmt, infoRow, type Row, skippedRow } from './table.js';

const START_TIMEOUT_MS = 120_000;
/** Polling interval for the first 200: the resolution of the figure. */
const POLL_MS = 20;
const IKEY = '00000000-0000-0000-0000-000000000000';

interface ColdStart {
  /** Spawn → first 200 from GET /v1/health. */
  firstOkMs: number;
  /** Worker process started → functions indexed, from the host log; undefined when not found. */
  workerMs: number | undefined;
}

/** The timestamp of the first MS_FUNCTION_LOGS record whose message matches, in epoch ms. */
function recordTime(log: string, message: RegExp): number | undefined {
  for (const line of log.split('\n')) {
    if (!line.startsWith('MS_FUNCTION_LOGS ') || !message.test(line)) continue;
    // …,"<message>",<host version>,2026-12-04T10:26:02.2068286Z,…: keep milliseconds.
    const stamp = /,(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z,/.exec(line);
    if (!stamp) return undefined;
    return Date.parse(`${stamp[1]}${(stamp[2] ?? '.000').slice(0, 4).padEnd(4, '0')}Z`);
  }
  return undefined;
}

/** The worker's share of the start, or undefined when the host log does not show both records. */
function workerShareMs(log: string): number | undefined {
  const started = recordTime(log, /"node process with Id=\d+ started"/);
  const indexed = recordTime(log, /"\d+ functions found \(Worker\)"/);
  return started === undefined || indexed === undefined || indexed < started ? undefined : indexed - started;
}

async function coldStart(appSettings: Record<string, string>): Promise<ColdStart> {
  const app = await prepareAppDir({ extensions: noExtensions });
  try {
    const { host, answeredAt } = await spawnServingHost({
      app,
      env: hostEnvironment(appSettings),
      timeoutMs: START_TIMEOUT_MS,
      pollMs: POLL_MS,
      ready: (status) => status === 200,
    });
    try {
      return { firstOkMs: answeredAt - host.spawnedAt, workerMs: workerShareMs(host.log()) };
    } finally {
      await host.stop();
    }
  } finally {
    app.remove();
  }
}

/**
 * Rows of the real-host cold start (`info`), or one `skipped` row when the host is not beside
 * the checkout. `appSettings`: what the app needs to start (its upstreams are never called).
 */
export async function realHostColdStartRows(
  bench: string,
  appSettings: Record<string, string>,
  repeats: number,
): Promise<Row[]> {
  const presence = realHostPresence();
  if (!presence.available) {
    return [skippedRow(bench, 'real Functions host: spawn → first 200 GET /v1/health', presence.reason)];
  }
  const sink = await startOtlpSink();
  try {
    const offline = {
      HTTPS_PROXY: 'http://127.0.0.1:9',
      HTTP_PROXY: 'http://127.0.0.1:9',
      NO_PROXY: '127.0.0.1,localhost',
    };
    const off = { ...appSettings, ...offline };
    const on = {
      ...off,
      OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
      APPLICATIONINSIGHTS_CONNECTION_STRING: `InstrumentationKey=${IKEY};IngestionEndpoint=${sink.url}/;LiveEndpoint=${sink.url}/`,
      // Entra auth with a managed identity, as infra/ deploys it (no token is asked for before
      // the first export, after the first answer).
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD',
      IDENTITY_ENDPOINT: 'http://127.0.0.1:9/msi/token',
      IDENTITY_HEADER: 'unused',
      APPLICATION_INSIGHTS_NO_STATSBEAT: 'true',
      APPLICATIONINSIGHTS_SDKSTATS_DISABLED: 'true',
    };
    await coldStart(off); // warm the host's extraction, the build cache and the file cache
    const runs = { off: [] as ColdStart[], on: [] as ColdStart[] };
    for (let i = 0; i < repeats; i++) {
      runs.off.push(await coldStart(off));
      runs.on.push(await coldStart(on));
    }
    const firstOk = (r: ColdStart[]) => r.map((x) => x.firstOkMs);
    const offMs = median(firstOk(runs.off));
    const onMs = median(firstOk(runs.on));
    const rows = [
      infoRow(
        bench,
        `real Functions host: spawn → first 200 GET /v1/health: ${fmt.ms(offMs)} (${spread(firstOk(runs.off))})`,
      ),
      infoRow(
        bench,
        `real Functions host, telemetry on (OTLP + Application Insights, Entra auth): ${fmt.ms(onMs)} (${spread(firstOk(runs.on))})`,
        `telemetry off ${fmt.ms(offMs)}`,
        `${onMs >= offMs ? '+' : ''}${fmt.ms(onMs - offMs)}`,
      ),
    ];
    for (const [mode, results] of [
      ['off', runs.off],
      ['on', runs.on],
    ] as const) {
      const shares = results.map((r) => r.workerMs).filter((ms): ms is number => ms !== undefined);
      rows.push(
        shares.length === results.length
          ? infoRow(
              bench,
              `real host, telemetry ${mode}: worker process started → functions indexed (host log): ${fmt.ms(median(shares))} (${spread(shares)})`,
              `spawn → first 200 ${fmt.ms(mode === 'off' ? offMs : onMs)}`,
            )
          : skippedRow(bench, `real host, telemetry ${mode}: worker share`, 'not found in the host log'),
      );
    }
    return rows;
  } finally {
    await sink.close();
  }
}
