/**
 * Entry of `npm run bench` (compiled to `dist-bench/bench/run.js`): runs the chosen benches
 * one after another, prints one table of figures, same-run baselines, ratios, budgets and
 * verdicts, and exits non-zero when a budget is missed — except with `--smoke`, which runs
 * everything briefly to prove the harness works and never fails on a budget.
 * @example
 * node dist-bench/bench/run.js overhead cold-load --repeats 3
 */
import { cpus, totalmem } from 'node:os';
import { runBigZip } from './benches/big-zip.js';
import { runCancel } from './benches/cancel.js';
import { runColdLoad } from './benches/cold-load.js';
import { runOverhead } from './benches/overhead.js';
import { runSoak } from './benches/soak.js';
import { type BenchName, type BenchOptions, parseArgs } from './lib/args.js';
import { type Row, renderTable } from './lib/table.js';

const BENCHES: Record<BenchName, (options: BenchOptions) => Promise<Row[]>> = {
  overhead: runOverhead,
  'big-zip': runBigZip,
  'cold-load': runColdLoad,
  soak: runSoak,
  cancel: runCancel,
};

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log(
    `bench: ${options.benches.join(', ')}${options.smoke ? ' (smoke)' : ''} — Node ${process.version}, ` +
      `${cpus().length} × ${cpu}, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB`,
  );
  const rows: Row[] = [];
  let crashed = false;
  for (const name of options.benches) {
    const started = Date.now();
    process.stdout.write(`running ${name} … `);
    try {
      const result = await BENCHES[name](options);
      rows.push(...result);
      console.log(`${((Date.now() - started) / 1000).toFixed(1)} s`);
    } catch (error) {
      crashed = true;
      console.log('crashed');
      console.error(error);
      rows.push({
        bench: name,
        figure: 'crashed (see above)',
        baseline: '-',
        ratio: '-',
        budget: '-',
        verdict: 'FAIL',
      });
    }
  }
  console.log(`\n${renderTable(rows)}\n`);
  const missed = rows.filter((r) => r.verdict === 'FAIL').length;
  if (options.smoke) {
    console.log(
      `smoke mode: short runs, figures are not meaningful and budgets are NOT enforced (${missed} row(s) over budget).`,
    );
    return crashed ? 1 : 0;
  }
  console.log(missed ? `${missed} budget(s) missed.` : 'all budgets met.');
  return missed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
