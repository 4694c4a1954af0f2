/**
 * Cold-load bench (issue 8 item 4): wall time of a fresh `node` that loads the app as the
 * Functions host does and registers every function (`processes/load-functions.ts` over
 * package.json `main`, the bundle scripts/bundle.ts builds) against a fresh `node -e 0`,
 * interleaved, repeated, medians; the same with telemetry configured (the SDK and both
 * exporters load); and, for comparison, the unbundled modules of `dist/src`. Budget (DESIGN.md): under 150 ms more than the
 * bare start, telemetry off. Then, as `info` rows, the cold start under the real Functions
 * host (`../shared/realhost`; `skipped` where it is absent): spawn → first 200, telemetry off
 * and on, and the worker's share (bench/lib/realhost-cold-start.ts). Needs `npm run build`
 * first (the bench script does it).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchOptions } from '../lib/args.js';
import { realHostColdStartRows } from '../lib/realhost-cold-start.js';
import { median, spread } from '../lib/stats.js';
import { budgetRow, fmt, infoRow, type Row } from '../lib/table.js';

const BENCH = 'cold-load';
const PROBE = join(__dirname, '..', 'processes', 'load-functions.js');
const BUNDLE = join(__dirname, '..', '..', '..', 'dist', 'app', 'main.js');

/** Settings a deployed app would have; clients are made lazily, so nothing is called. */
const APP_ENV = {
  FLYTE_ENDPOINT: 'http://127.0.0.1:9',
  FLYTE_PROJECTS: 'flytesnacks',
  AZUREML_ENDPOINT: 'http://127.0.0.1:9',
  AZUREML_AUTH: 'none',
  AZUREML_WORKSPACES: '*',
};

/**
 * Telemetry on, to both destinations (loopback addresses: the probe exits before any export):
 * the SDK and both exporters load with the app; Application Insights with Entra auth and a
 * managed identity, as `infra/` deploys it.
 */
const TELEMETRY_ENV = {
  OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
  APPLICATIONINSIGHTS_CONNECTION_STRING:
    'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1:9/',
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD',
  IDENTITY_ENDPOINT: 'http://127.0.0.1:9/msi/token',
  IDENTITY_HEADER: 'unused',
  APPLICATION_INSIGHTS_NO_STATSBEAT: 'true',
};

function timed(args: string[], extraEnv: Record<string, string> = {}): { ms: number; stdout: string } {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, {
    env: { PATH: process.env.PATH ?? '', ...APP_ENV, ...extraEnv },
    encoding: 'utf8',
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0)
    throw new Error(`node ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return { ms, stdout: result.stdout };
}

export async function runColdLoad(options: BenchOptions): Promise<Row[]> {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run npm run build first`);
  const repeats = options.repeats ?? (options.smoke ? 3 : 20);
  timed(['-e', '0']); // warm the file cache for both
  timed([PROBE]);
  timed([PROBE], TELEMETRY_ENV);
  timed([PROBE, '--unbundled']);
  const bare: number[] = [];
  const app: number[] = [];
  const withTelemetry: number[] = [];
  const unbundled: number[] = [];
  const modulesOf = (stdout: string) =>
    (JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { modules?: number }).modules ?? 0;
  let modules = 0;
  let telemetryModules = 0;
  let unbundledModules = 0;
  for (let i = 0; i < repeats; i++) {
    bare.push(timed(['-e', '0']).ms);
    const probe = timed([PROBE]);
    app.push(probe.ms);
    modules = modulesOf(probe.stdout);
    const on = timed([PROBE], TELEMETRY_ENV);
    withTelemetry.push(on.ms);
    telemetryModules = modulesOf(on.stdout);
    const before = timed([PROBE, '--unbundled']);
    unbundled.push(before.ms);
    unbundledModules = modulesOf(before.stdout);
  }
  const extra = median(app) - median(bare);
  const extraOn = median(withTelemetry) - median(bare);
  const realHost = await realHostColdStartRows(BENCH, APP_ENV, options.repeats ?? (options.smoke ? 1 : 3));
  return [
    infoRow(BENCH, `node -e 0: ${fmt.ms(median(bare))} (${spread(bare)})`),
    budgetRow(
      BENCH,
      `load all functions (the bundle): ${fmt.ms(median(app))} (${spread(app)}), ${modules} modules`,
      `node -e 0 ${fmt.ms(median(bare))}`,
      `+${fmt.ms(extra)}`,
      '< +150 ms',
      extra < 150,
    ),
    infoRow(
      BENCH,
      `load all functions, telemetry on (OTLP + Application Insights, Entra auth): ${fmt.ms(median(withTelemetry))} (${spread(withTelemetry)}), ${telemetryModules} modules`,
      `telemetry off ${fmt.ms(median(app))}`,
      `+${fmt.ms(median(withTelemetry) - median(app))}`,
    ),
    infoRow(BENCH, `telemetry on vs node -e 0: +${fmt.ms(extraOn)}`),
    infoRow(
      BENCH,
      `load all functions unbundled (dist/src): ${fmt.ms(median(unbundled))} (${spread(unbundled)}), ${unbundledModules} modules`,
      `the bundle ${fmt.ms(median(app))}`,
      `+${fmt.ms(median(unbundled) - median(app))}`,
    ),
    ...realHost,
  ];
}
