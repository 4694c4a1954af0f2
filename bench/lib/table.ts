/**
 * The one results table every bench feeds: figure, baseline, ratio, budget and verdict, as
 * undici's benchmark table sets contenders side by side from one run (STYLE.md item 15).
 */

export type Verdict = 'pass' | 'FAIL' | 'info' | 'skipped';

export interface Row {
  bench: string;
  /** What was measured, with its median and spread, e.g. `gateway get: 4210 req/s (4100–4300)`. */
  figure: string;
  /** The contender it is compared with, same run, e.g. `proxy 6100 req/s`. */
  baseline: string;
  ratio: string;
  budget: string;
  verdict: Verdict;
}

/** A budgeted row: `ok` decides pass/FAIL. */
export function budgetRow(
  bench: string,
  figure: string,
  baseline: string,
  ratio: string,
  budget: string,
  ok: boolean,
): Row {
  return { bench, figure, baseline, ratio, budget, verdict: ok ? 'pass' : 'FAIL' };
}

export function infoRow(bench: string, figure: string, baseline = '-', ratio = '-'): Row {
  return { bench, figure, baseline, ratio, budget: '-', verdict: 'info' };
}

export function skippedRow(bench: string, figure: string, why: string): Row {
  return { bench, figure, baseline: why, ratio: '-', budget: '-', verdict: 'skipped' };
}

/** Renders rows as a Markdown table (readable in a terminal, pasteable into BENCHMARKS.md). */
export function renderTable(rows: readonly Row[]): string {
  const header = ['bench', 'figure (median, spread)', 'baseline (same run)', 'ratio', 'budget', 'result'];
  const cells = rows.map((r) => [r.bench, r.figure, r.baseline, r.ratio, r.budget, r.verdict]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
  const line = (c: readonly string[]) => `| ${c.map((v, i) => v.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

export const fmt = {
  ms: (v: number) => `${v.toFixed(2)} ms`,
  rps: (v: number) => `${v.toFixed(0)} req/s`,
  mib: (v: number) => `${(v / 1024 / 1024).toFixed(0)} MiB`,
  s: (v: number) => `${v.toFixed(2)} s`,
  x: (v: number) => `${v.toFixed(2)}×`,
};
