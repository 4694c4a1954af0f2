/**
 * Cold-load bench (issue 8 item 4): wall time of a fresh `node` that loads every function
 * module and registers them (`processes/load-functions.ts` over the built `dist/src`)
 * against a fresh `node -e 0`, interleaved, repeated, medians. Budget (DESIGN.md): under
 * 150 ms more than the bare start. Needs `npm run build` first (the bench script does it).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchOptions } from '../lib/args.js';
import { median, spread } from '../lib/stats.js';
import { budgetRow, fmt, infoRow, type Row } from '../lib/table.js';

const BENCH = 'cold-load';
const PROBE = join(__dirname, '..', 'processes', 'load-functions.js');
const DIST_INDEX = join(__dirname, '..', '..', '..', 'dist', 'src', 'index.js');

/** Settings a deployed app would have; clients are made lazily, so nothing is called. */
const APP_ENV = {
  FLYTE_ENDPOINT: 'http://127.0.0.1:9',
  FLYTE_PROJECTS: 'flytesnacks',
  AZUREML_ENDPOINT: 'http://127.0.0.1:9',
  AZUREML_AUTH: 'none',
  AZUREML_WORKSPACES: '*',
};

function timed(args: string[]): { ms: number; stdout: string } {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, {
    env: { PATH: process.env.PATH ?? '', ...APP_ENV },
    encoding: 'utf8',
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0)
    throw new Error(`node ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return { ms, stdout: result.stdout };
}

export async function runColdLoad(options: BenchOptions): Promise<Row[]> {
  if (!existsSync(DIST_INDEX)) throw new Error(`${DIST_INDEX} is missing: run npm run build first`);
  const repeats = options.repeats ?? (options.smoke ? 3 : 20);
  timed(['-e', '0']); // warm the file cache for both
  timed([PROBE]);
  const bare: number[] = [];
  const app: number[] = [];
  let modules = 0;
  for (let i = 0; i < repeats; i++) {
    bare.push(timed(['-e', '0']).ms);
    const probe = timed([PROBE]);
    app.push(probe.ms);
    modules =
      (JSON.parse(probe.stdout.trim().split('\n').pop() ?? '{}') as { modules?: number }).modules ?? 0;
  }
  const extra = median(app) - median(bare);
  return [
    infoRow(BENCH, `node -e 0: ${fmt.ms(median(bare))} (${spread(bare)})`),
    budgetRow(
      BENCH,
      `load all functions: ${fmt.ms(median(app))} (${spread(app)}), ${modules} modules`,
      `node -e 0 ${fmt.ms(median(bare))}`,
      `+${fmt.ms(extra)}`,
      '< +150 ms',
      extra < 150,
    ),
  ];
}
