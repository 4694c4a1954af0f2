/**
 * Command-line options of `bench/run.ts`: `--smoke` (short runs, budgets reported but not
 * enforced), `--soak-seconds N`, `--repeats N`, and bench names to run only those
 * (`overhead`, `big-zip`, `cold-load`, `soak`, `cancel`; none given: all).
 */

export const BENCH_NAMES = ['overhead', 'big-zip', 'cold-load', 'soak', 'cancel'] as const;
export type BenchName = (typeof BENCH_NAMES)[number];

export interface BenchOptions {
  smoke: boolean;
  /** Repetitions of each measurement (medians are reported); undefined: the bench's default. */
  repeats?: number;
  /** Soak length; undefined: 600 s, or 5 s with --smoke. */
  soakSeconds?: number;
  benches: BenchName[];
}

const positiveInt = (flag: string, value: string | undefined): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} needs a whole number >= 1, got ${value}`);
  return n;
};

export function parseArgs(argv: readonly string[]): BenchOptions {
  const options: BenchOptions = { smoke: false, benches: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--smoke') options.smoke = true;
    else if (arg === '--soak-seconds') options.soakSeconds = positiveInt(arg, argv[++i]);
    else if (arg === '--repeats') options.repeats = positiveInt(arg, argv[++i]);
    else if ((BENCH_NAMES as readonly string[]).includes(arg)) options.benches.push(arg as BenchName);
    else
      throw new Error(
        `unknown argument ${arg}; use --smoke, --soak-seconds N, --repeats N, ${BENCH_NAMES.join(' ')}`,
      );
  }
  if (options.benches.length === 0) options.benches = [...BENCH_NAMES];
  return options;
}
