/**
 * Overhead bench (issue 8 item 2, issue 19): get, list and a 4 KiB create, at a fixed
 * concurrency, through the gateway and, in the same run, straight to the Flyte emulator, through
 * the minimal undici proxy and through nginx (when installed). The gateway runs as `npm start`
 * runs it (bench/processes/gateway.ts), four ways: its log lines dropped (`gateway-nologs`, the
 * bench's old configuration); its log lines to a file as a user redirects them, telemetry off
 * (`gateway`); the same with telemetry on as shipped, exporting OTLP to a loopback collector
 * with the default sampler (`gateway-otel`: at most 5 traces a second, every request counted
 * in the metrics); and with every trace recorded (`gateway-otel-all`, `always_on`). Emulator,
 * proxy, nginx and gateways each run in their own process; autocannon loads them from this one,
 * beside the collector stand-in (bench/lib/otlp-sink.ts).
 *
 * Targets are interleaved within each repetition, and a ratio is the median of each
 * repetition's own ratio, so a slow spell of the machine hits both sides of it. The CPU each
 * serving process spends per request (from /proc) is printed too: steadier than throughput
 * where the load generator and the upstream share the cores. Budget (issue 19): with telemetry
 * on, throughput ≥ 0.8× the proxy's and p50 within 1 ms of it, for get and list.
 * `BENCH_CPU_PROF=<dir>` writes a `--cpu-prof` profile of each gateway process there.
 */
import { closeSync, mkdtempSync, openSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchOptions } from '../lib/args.js';
import { type Child, startChild } from '../lib/child.js';
import { type LoadResult, runLoad } from '../lib/load.js';
import { type Nginx, startNginx } from '../lib/nginx.js';
import { startOtlpSink } from '../lib/otlp-sink.js';
import { cpuSecondsOf } from '../lib/proc.js';
import { median, spread } from '../lib/stats.js';
import { budgetRow, fmt, infoRow, type Row, skippedRow } from '../lib/table.js';

const BENCH = 'overhead';
const CONNECTIONS = 10;
const EXECUTIONS = '/v1/api/v1/executions';

interface Operation {
  name: string;
  path: string;
  method: 'GET' | 'POST';
  body?: string;
  budgeted: boolean;
}

/** A create-execution body padded to 4 KiB with a string input; no name, so Flyte generates one. */
function createBody4KiB(): string {
  const body = (pad: string) =>
    JSON.stringify({
      project: 'flytesnacks',
      domain: 'development',
      spec: {
        launch_plan: {
          resource_type: 'LAUNCH_PLAN',
          project: 'flytesnacks',
          domain: 'development',
          name: 'bench.lp',
          version: 'v1',
        },
      },
      inputs: { literals: { pad: { scalar: { primitive: { string_value: pad } } } } },
    });
  return body('x'.repeat(4096 - body('').length));
}

const OPERATIONS: Operation[] = [
  { name: 'get', path: `${EXECUTIONS}/flytesnacks/development/seed-1`, method: 'GET', budgeted: true },
  { name: 'list', path: `${EXECUTIONS}/flytesnacks/development?limit=20`, method: 'GET', budgeted: true },
  { name: 'create 4 KiB', path: EXECUTIONS, method: 'POST', body: createBody4KiB(), budgeted: false },
];

interface Target {
  name: string;
  base: string;
  /** Path prefix to drop: the emulator is called with Flyte Admin's own paths. */
  strip: string;
  /** The process that serves it, whose CPU per request is read from /proc. */
  pid: number;
}

/** One load run, with the CPU the serving process spent on it. */
interface Measured extends LoadResult {
  /** CPU microseconds (user + system) of the serving process per answered request. */
  cpuMicros: number;
}

async function check(target: Target, op: Operation): Promise<void> {
  const res = await fetch(`${target.base}${op.path.slice(target.strip.length)}`, {
    method: op.method,
    body: op.body,
    headers: { accept: 'application/json', ...(op.body ? { 'content-type': 'application/json' } : {}) },
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${target.name} ${op.name}: ${res.status} ${text.slice(0, 300)}`);
}

export async function runOverhead(options: BenchOptions): Promise<Row[]> {
  const repeats = options.repeats ?? (options.smoke ? 1 : 5);
  const durationSeconds = options.smoke ? 1 : 10;
  const started: { close(): Promise<void> }[] = [];
  try {
    const flyte: Child<{ url: string }> = await startChild('flyte-emulator', { SEED: '200' });
    started.push(flyte);
    const proxy = await startChild<{ url: string }>('minimal-proxy', { UPSTREAM: flyte.info.url });
    started.push(proxy);
    const collector = await startOtlpSink();
    started.push(collector);
    const logDir = mkdtempSync(join(tmpdir(), 'bench-gateway-logs-'));
    const profile = process.env.BENCH_CPU_PROF;
    const gatewayEnv = { FLYTE_ENDPOINT: flyte.info.url, FLYTE_PROJECTS: 'flytesnacks', FLYTE_AUTH: 'none' };
    const gatewayAs = async (name: string, env: Record<string, string>) => {
      // stdout to a file, as `npm start > gateway.log` (Node writes it synchronously).
      const fd = openSync(join(logDir, `${name}.log`), 'w');
      const child = await startChild<{ url: string }>('gateway', { ...gatewayEnv, ...env }, 30_000, {
        stdout: fd,
        ...(profile
          ? { execArgv: ['--cpu-prof', `--cpu-prof-dir=${profile}`, `--cpu-prof-name=${name}.cpuprofile`] }
          : {}),
      });
      closeSync(fd);
      started.push(child);
      return child;
    };
    const quiet = await gatewayAs('gateway-nologs', { BENCH_LOGS: 'off' });
    const gateway = await gatewayAs('gateway', {});
    const otel = await gatewayAs('gateway-otel', { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url });
    const otelAll = await gatewayAs('gateway-otel-all', {
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_TRACES_SAMPLER: 'always_on',
    });
    started.push({ close: async () => rmSync(logDir, { recursive: true, force: true }) });
    const nginx: Nginx | undefined = await startNginx(flyte.info.url);
    if (nginx) started.push(nginx);
    const targets: Target[] = [
      { name: 'direct', base: flyte.info.url, strip: '/v1', pid: flyte.pid },
      { name: 'proxy', base: proxy.info.url, strip: '', pid: proxy.pid },
      // nginx's CPU is in its workers, not one process: not read.
      ...(nginx ? [{ name: 'nginx', base: nginx.url, strip: '', pid: Number.NaN }] : []),
      { name: 'gateway-nologs', base: quiet.info.url, strip: '', pid: quiet.pid },
      { name: 'gateway', base: gateway.info.url, strip: '', pid: gateway.pid },
      { name: 'gateway-otel', base: otel.info.url, strip: '', pid: otel.pid },
      { name: 'gateway-otel-all', base: otelAll.info.url, strip: '', pid: otelAll.pid },
    ];
    const rows: Row[] = [];
    for (const op of OPERATIONS) {
      for (const target of targets) await check(target, op);
      const results = new Map<string, Measured[]>(targets.map((t) => [t.name, []]));
      for (let round = 0; round < repeats; round++) {
        for (const target of targets) {
          // Every create run starts from an empty store: ten seconds of creates leave the
          // emulator holding tens of thousands of executions, which slowed (and failed) the
          // targets measured after the first.
          if (op.method === 'POST') await fetch(`${flyte.info.url}/_emulator/reset`, { method: 'POST' });
          const cpuBefore = cpuSecondsOf(target.pid);
          const result = await runLoad({
            url: `${target.base}${op.path.slice(target.strip.length)}`,
            method: op.method,
            body: op.body,
            headers: op.body ? { 'content-type': 'application/json' } : {},
            connections: CONNECTIONS,
            durationSeconds,
          });
          const cpuMicros = ((cpuSecondsOf(target.pid) - cpuBefore) * 1e6) / Math.max(result.requests, 1);
          results.get(target.name)?.push({ ...result, cpuMicros });
        }
      }
      rows.push(...summarise(op, targets, results, nginx !== undefined));
    }
    const logged = statSync(join(logDir, 'gateway.log')).size;
    const { exports, bytes } = collector.received();
    rows.push(
      infoRow(BENCH, `gateway log file after the run: ${(logged / 1e6).toFixed(1)} MB`),
      infoRow(BENCH, `gateway-otel exports to the collector: ${exports} (${(bytes / 1e6).toFixed(1)} MB)`),
    );
    return rows;
  } finally {
    for (const child of started.reverse()) await child.close();
  }
}

function summarise(
  op: Operation,
  targets: Target[],
  results: Map<string, Measured[]>,
  nginx: boolean,
): Row[] {
  const of = (name: string) => results.get(name) ?? [];
  const rps = (name: string) => median(of(name).map((r) => r.rps));
  /**
   * Throughput of `name` over `base`'s, the median of each round's ratio: the two ran in the
   * same round, a minute apart at most, so a slow spell of the machine (which moves every
   * target of a round alike) cancels out instead of landing on one target's median.
   */
  const ratio = (name: string, base: string) =>
    median(of(name).map((r, round) => r.rps / (of(base)[round]?.rps ?? Number.NaN)));
  const cpu = (name: string) => median(of(name).map((r) => r.cpuMicros));
  const cpuText = (name: string) =>
    Number.isNaN(cpu(name)) ? '' : `, CPU ${cpu(name).toFixed(0)} µs/request`;
  const p50 = (name: string) => median(of(name).map((r) => r.p50));
  const p99 = (name: string) => median(of(name).map((r) => r.p99));
  const bad = (name: string) => of(name).reduce((n, r) => n + r.non2xx + r.errors, 0);
  const rows: Row[] = targets.map((t) =>
    infoRow(
      BENCH,
      `${t.name} ${op.name}: ${fmt.rps(rps(t.name))} (${spread(
        of(t.name).map((r) => r.rps),
        0,
      )}), p50 ${fmt.ms(p50(t.name))}, p99 ${fmt.ms(p99(t.name))}${cpuText(t.name)}${bad(t.name) ? `, ${bad(t.name)} not 2xx/errors` : ''}`,
      t.name === 'proxy' ? '-' : `proxy ${fmt.rps(rps('proxy'))}`,
      t.name === 'proxy' ? '-' : fmt.x(ratio(t.name, 'proxy')),
    ),
  );
  if (!nginx) rows.push(skippedRow(BENCH, `nginx ${op.name}`, 'nginx not installed'));
  // What each part costs: log lines to a file (vs dropped), then telemetry (vs off).
  rows.push(
    infoRow(
      BENCH,
      `cost of log lines to a file, ${op.name}: gateway ${fmt.rps(rps('gateway'))} vs no logs ${fmt.rps(rps('gateway-nologs'))}`,
      `p50 ${fmt.ms(p50('gateway-nologs'))} → ${fmt.ms(p50('gateway'))}`,
      fmt.x(ratio('gateway', 'gateway-nologs')),
    ),
    infoRow(
      BENCH,
      `cost of telemetry (OTLP, default sampling), ${op.name}: gateway-otel ${fmt.rps(rps('gateway-otel'))} vs off ${fmt.rps(rps('gateway'))}`,
      `p50 ${fmt.ms(p50('gateway'))} → ${fmt.ms(p50('gateway-otel'))}`,
      fmt.x(ratio('gateway-otel', 'gateway')),
    ),
    infoRow(
      BENCH,
      `cost of telemetry (OTLP, every trace recorded), ${op.name}: gateway-otel-all ${fmt.rps(rps('gateway-otel-all'))} vs off ${fmt.rps(rps('gateway'))}`,
      `p50 ${fmt.ms(p50('gateway'))} → ${fmt.ms(p50('gateway-otel-all'))}`,
      fmt.x(ratio('gateway-otel-all', 'gateway')),
    ),
  );
  const throughputRatio = ratio('gateway-otel', 'proxy');
  const p50Delta = p50('gateway-otel') - p50('proxy');
  const clean = bad('gateway-otel') === 0 && bad('gateway') === 0;
  const throughputFigure = `gateway-otel ${op.name} throughput ${fmt.rps(rps('gateway-otel'))}`;
  const p50Figure = `gateway-otel ${op.name} p50 ${fmt.ms(p50('gateway-otel'))}`;
  // The same comparison in CPU: what each answer costs the serving process (steadier than
  // throughput on a machine whose cores the load generator and the upstream share).
  rows.push(
    infoRow(
      BENCH,
      `CPU per request, ${op.name}: gateway-otel ${cpu('gateway-otel').toFixed(0)} µs, gateway ${cpu('gateway').toFixed(0)} µs`,
      `proxy ${cpu('proxy').toFixed(0)} µs`,
      fmt.x(cpu('gateway-otel') / cpu('proxy')),
    ),
  );
  if (op.budgeted) {
    rows.push(
      budgetRow(
        BENCH,
        throughputFigure,
        `proxy ${fmt.rps(rps('proxy'))}`,
        fmt.x(throughputRatio),
        '≥ 0.80×, all 2xx',
        throughputRatio >= 0.8 && clean,
      ),
      budgetRow(
        BENCH,
        p50Figure,
        `proxy ${fmt.ms(p50('proxy'))}`,
        `+${fmt.ms(p50Delta)}`,
        '≤ +1 ms',
        p50Delta <= 1,
      ),
    );
  } else {
    rows.push(
      infoRow(BENCH, throughputFigure, `proxy ${fmt.rps(rps('proxy'))}`, fmt.x(throughputRatio)),
      infoRow(BENCH, p50Figure, `proxy ${fmt.ms(p50('proxy'))}`, `+${fmt.ms(p50Delta)}`),
    );
  }
  return rows;
}
