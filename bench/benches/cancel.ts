/**
 * Cancel bench (DESIGN.md "Performance budgets"): one `POST /v1/cancellations` of 10,000
 * running runs (400 with --smoke), half Flyte executions and half Azure ML runs, each
 * emulator in its own process answering after 20 ms, through a gateway process that runs the
 * local host and the queue poller as `npm start` does, on Azurite. Timed from sending the
 * POST until `GET /v1/cancellations/{batchId}?limit=1` says `done`; repeated (`--repeats`,
 * emulators reset and reseeded each time) and compared with the ideal time for the
 * configured concurrency: N × 20 ms ÷ (CANCEL_CONCURRENCY × (host.json batchSize +
 * newBatchThreshold)), the values read from the gateway's settings and host.json. Checks
 * from the report and both emulators' journals: no target lost (final outcome not
 * `cancelled`, or no 2xx cancel on its path) and none cancelled twice (more than one 2xx
 * cancel on a path). To profile, run the
 * harness under `node --cpu-prof`: forked bench processes inherit it and write their own.
 */
import { Pool } from 'undici';
import { type Azurite, startAzurite } from '../../sandbox/azurite.js';
import { type CancelTarget as Target, upstreamPath } from '../../test/helpers/cancel-paths.js';
import type { BenchOptions } from '../lib/args.js';
import { type Child, startChild } from '../lib/child.js';
import { median, spread } from '../lib/stats.js';
import { budgetRow, fmt, infoRow, type Row } from '../lib/table.js';
import type { MessageDone } from '../processes/cancel-gateway.js';

const BENCH = 'cancel';
const LATENCY_MS = 20;
const RATIO_BUDGET = 1.25;
const SUBSCRIPTION = '00000000-0000-0000-0000-000000000000';
const RESOURCE_GROUP = 'rg-ml';
const WORKSPACE = 'ws-demo';
const EXPERIMENT = 'exp';
const REPORT_PAGE = 1000;

interface GatewayInfo {
  url: string;
  cancelConcurrency: number;
  upstreamConnections: number;
  batchSize: number;
  newBatchThreshold: number;
}

/** Half Flyte, half Azure ML, interleaved; names as the emulators were seeded. */
function targetsOf(count: number, prefix: string): Target[] {
  return Array.from({ length: count }, (_, i): Target => {
    const n = Math.floor(i / 2);
    return i % 2 === 0
      ? { kind: 'flyte', project: 'flytesnacks', domain: 'development', name: `${prefix}f${n}` }
      : {
          kind: 'azureml',
          subscriptionId: SUBSCRIPTION,
          resourceGroupName: RESOURCE_GROUP,
          workspaceName: WORKSPACE,
          experimentName: EXPERIMENT,
          runId: `${prefix}a${n}`,
        };
  });
}

/** `count` targets, each seeded as a running run on its emulator. */
async function seeded(
  upstreams: Record<'flyte' | 'azureml', Child<unknown>>,
  count: number,
  prefix: string,
): Promise<Target[]> {
  const targets = targetsOf(count, prefix);
  const byKind = (kind: Target['kind']) => targets.filter((t) => t.kind === kind).length;
  await Promise.all([
    ask(upstreams.flyte, { cmd: 'seed', count: byKind('flyte'), prefix: `${prefix}f` }),
    ask(upstreams.azureml, { cmd: 'seed', count: byKind('azureml'), prefix: `${prefix}a` }),
  ]);
  return targets;
}

let nextId = 0;
/** One request/answer over a bench process's IPC channel (answers carry the request's `id`). */
function ask<T>(child: Child<unknown>, message: Record<string, unknown>, timeoutMs = 30_000): Promise<T> {
  const id = ++nextId;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.process.off('message', onMessage);
      reject(new Error(`no answer to ${JSON.stringify(message)} within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (answer: unknown) => {
      if ((answer as { id?: number }).id !== id) return;
      clearTimeout(timer);
      child.process.off('message', onMessage);
      resolve(answer as T);
    };
    child.process.on('message', onMessage);
    child.process.send({ id, ...message });
  });
}

interface Report {
  total: number;
  done: boolean;
  counts: Record<string, number>;
  targets: { index: number; outcome: string }[];
  nextToken?: string;
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, {
    headers: { accept: 'application/json' },
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

interface Round {
  seconds: number;
  acceptedSeconds: number;
  /** When the gateway logged the last message done, seconds after the POST was sent. */
  lastMessageSeconds: number;
  lost: number;
  doubles: number;
  counts: Record<string, number>;
  messages: MessageDone[];
  problems: string[];
  polls: number;
}

async function oneBatch(
  gateway: Child<GatewayInfo>,
  upstreams: Record<'flyte' | 'azureml', Child<unknown>>,
  count: number,
  prefix: string,
  deadlineMs: number,
  pollMs: number,
): Promise<Round> {
  const targets = await seeded(upstreams, count, prefix);
  await ask(gateway, { cmd: 'stats' }); // clears what earlier rounds left
  const body = JSON.stringify({ cause: `bench ${prefix}`, targets });
  const sentAt = Date.now();
  const started = performance.now();
  const res = await fetch(`${gateway.info.url}/v1/cancellations`, {
    method: 'POST',
    headers: { accept: 'application/json', 'content-type': 'application/json' },
    body,
    signal: AbortSignal.timeout(deadlineMs),
  });
  const acceptedSeconds = (performance.now() - started) / 1000;
  const accepted = await res.text();
  if (res.status !== 202) throw new Error(`POST /v1/cancellations: ${res.status} ${accepted.slice(0, 500)}`);
  const { statusUrl } = JSON.parse(accepted) as { statusUrl: string };
  let report: Report;
  let polls = 0;
  for (;;) {
    report = await getJson<Report>(`${statusUrl}?limit=1`);
    polls += 1;
    if (report.done) break;
    if (performance.now() - started > deadlineMs) {
      throw new Error(
        `batch of ${count} not done after the ${(deadlineMs / 1000).toFixed(0)} s deadline: ` +
          `counts ${JSON.stringify(report.counts)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  const seconds = (performance.now() - started) / 1000;
  const stats = await ask<{ done: MessageDone[]; problems: string[] }>(gateway, { cmd: 'stats' });
  const lastAt = Math.max(...stats.done.map((m) => m.at));
  const outcomes = await allOutcomes(statusUrl);
  const journal = new Map<string, [number, number]>();
  for (const child of [upstreams.flyte, upstreams.azureml]) {
    const { paths } = await ask<{ paths: [string, [number, number]][] }>(child, { cmd: 'cancels' });
    for (const [path, entry] of paths) journal.set(path, entry);
  }
  let lost = 0;
  targets.forEach((target, index) => {
    const succeeded = journal.get(upstreamPath(target))?.[1] ?? 0;
    if (outcomes.get(index) !== 'cancelled' || succeeded === 0) lost += 1;
  });
  const doubles = [...journal.values()].filter(([, succeeded]) => succeeded > 1).length;
  return {
    seconds,
    acceptedSeconds,
    lastMessageSeconds: (lastAt - sentAt) / 1000,
    lost,
    doubles,
    counts: report.counts,
    messages: stats.done,
    problems: stats.problems,
    polls,
  };
}

/**
 * The same cancels sent straight to the emulators by a bare undici client at the same
 * concurrency: what the machine allows without a gateway, queue or table in between.
 */
async function directBaseline(
  upstreams: Record<'flyte' | 'azureml', Child<{ url: string }>>,
  count: number,
  concurrency: number,
  prefix: string,
): Promise<number> {
  const targets = await seeded(upstreams, count, prefix);
  const pools = {
    flyte: new Pool(upstreams.flyte.info.url, { connections: concurrency }),
    azureml: new Pool(upstreams.azureml.info.url, { connections: concurrency }),
  };
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < targets.length) {
      const target = targets[next++] as Target;
      const flyte = target.kind === 'flyte';
      const res = await pools[target.kind].request({
        method: flyte ? 'DELETE' : 'POST',
        path: upstreamPath(target),
        headers: { accept: 'application/json', ...(flyte ? { 'content-type': 'application/json' } : {}) },
        ...(flyte ? { body: '{"cause":"bench"}', reset: false } : {}),
      });
      await res.body.text();
      if (res.statusCode !== 200)
        throw new Error(`direct cancel of ${upstreamPath(target)}: ${res.statusCode}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  await Promise.all([pools.flyte.close(), pools.azureml.close()]);
  return seconds;
}

/** Every target's outcome, paged through the report (after timing). */
async function allOutcomes(statusUrl: string): Promise<Map<number, string>> {
  const outcomes = new Map<number, string>();
  let token: string | undefined;
  do {
    const page = await getJson<Report>(
      `${statusUrl}?limit=${REPORT_PAGE}${token ? `&token=${encodeURIComponent(token)}` : ''}`,
    );
    for (const t of page.targets) outcomes.set(t.index, t.outcome);
    token = page.nextToken;
  } while (token);
  return outcomes;
}

export async function runCancel(options: BenchOptions): Promise<Row[]> {
  const count = options.smoke ? 400 : 10_000;
  const repeats = options.repeats ?? (options.smoke ? 1 : 3);
  let azurite: Azurite | undefined;
  const children: Child<unknown>[] = [];
  try {
    azurite = await startAzurite();
    const flyte = await startChild<{ url: string }>('cancel-upstream', {
      KIND: 'flyte',
      LATENCY_MS: String(LATENCY_MS),
    });
    children.push(flyte);
    const azureml = await startChild<{ url: string }>('cancel-upstream', {
      KIND: 'azureml',
      LATENCY_MS: String(LATENCY_MS),
    });
    children.push(azureml);
    const gateway = await startChild<GatewayInfo>('cancel-gateway', {
      FLYTE_ENDPOINT: flyte.info.url,
      FLYTE_PROJECTS: 'flytesnacks',
      AZUREML_ENDPOINT: azureml.info.url,
      AZUREML_AUTH: 'none',
      AZUREML_WORKSPACES: `${SUBSCRIPTION}/${RESOURCE_GROUP}/${WORKSPACE}`,
      AzureWebJobsStorage: azurite.connectionString,
    });
    children.push(gateway);
    const upstreams = { flyte, azureml };
    const { cancelConcurrency, batchSize, newBatchThreshold, upstreamConnections } = gateway.info;
    const concurrency = cancelConcurrency * (batchSize + newBatchThreshold);
    const idealSeconds = (count * LATENCY_MS) / concurrency / 1000;
    const deadlineMs = Math.ceil(idealSeconds * 10_000 + 60_000);
    // Poll the report for ~2.5 % resolution of the ideal time, at most 10 times a second.
    const pollMs = Math.max(100, (idealSeconds * 1000) / 40);

    // Warm-up: modules, pools, table and queues exist before timing.
    const warm = await oneBatch(gateway, upstreams, 40, 'w-', 60_000, 100);
    if (warm.lost > 0)
      throw new Error(`warm-up batch lost ${warm.lost} targets: ${warm.problems.join('\n')}`);

    const rounds: Round[] = [];
    const direct: number[] = [];
    for (let round = 0; round < repeats; round++) {
      direct.push(await directBaseline(upstreams, count, concurrency, `d${round}-`));
      rounds.push(await oneBatch(gateway, upstreams, count, `r${round}-`, deadlineMs, pollMs));
    }
    return rows(rounds, direct, count, idealSeconds, {
      cancelConcurrency,
      batchSize,
      newBatchThreshold,
      concurrency,
      upstreamConnections,
    });
  } finally {
    for (const child of children.reverse()) await child.close();
    await azurite?.stop();
  }
}

function rows(
  rounds: Round[],
  direct: number[],
  count: number,
  idealSeconds: number,
  c: {
    cancelConcurrency: number;
    batchSize: number;
    newBatchThreshold: number;
    concurrency: number;
    upstreamConnections: number;
  },
): Row[] {
  const elapsed = rounds.map((r) => r.seconds);
  const ratio = median(elapsed) / idealSeconds;
  const accepted = rounds.map((r) => r.acceptedSeconds);
  const lastMessage = rounds.map((r) => r.lastMessageSeconds);
  const messages = rounds.flatMap((r) => r.messages);
  const perMessage = messages.map((m) => m.durationMs);
  const perTarget = messages.map((m) => m.durationMs / Math.max(1, m.calls));
  const perMessageTargets = median(messages.map((m) => m.calls));
  const idealPerMessage = (LATENCY_MS * perMessageTargets) / c.cancelConcurrency;
  const lost = Math.max(...rounds.map((r) => r.lost));
  const doubles = Math.max(...rounds.map((r) => r.doubles));
  const problems = rounds.flatMap((r) => r.problems);
  const counts = rounds.at(-1)?.counts ?? {};
  const nonZero = Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([outcome, n]) => `${outcome} ${n}`)
    .join(', ');
  const config =
    `CANCEL_CONCURRENCY ${c.cancelConcurrency} × (batchSize ${c.batchSize} + newBatchThreshold ` +
    `${c.newBatchThreshold}) = ${c.concurrency}; UPSTREAM_CONNECTIONS ${c.upstreamConnections}`;
  return [
    infoRow(BENCH, `${count} runs (½ Flyte, ½ Azure ML), ${LATENCY_MS} ms upstream latency; ${config}`),
    budgetRow(
      BENCH,
      `${count} cancelled in ${fmt.s(median(elapsed))} (${spread(elapsed, 2)}), ${rounds.length} run(s)`,
      `ideal ${fmt.s(idealSeconds)}`,
      fmt.x(ratio),
      `≤ ${RATIO_BUDGET.toFixed(2)}×`,
      ratio <= RATIO_BUDGET,
    ),
    infoRow(
      BENCH,
      `same cancels straight to the emulators (bare undici, concurrency ${c.concurrency}): ` +
        `${fmt.s(median(direct))} (${spread(direct, 2)}), ${fmt.x(median(direct) / idealSeconds)} the ideal`,
      `direct ${fmt.s(median(direct))}`,
      fmt.x(median(elapsed) / median(direct)),
    ),
    infoRow(BENCH, `time to 202: ${fmt.s(median(accepted))} (${spread(accepted, 2)})`),
    infoRow(
      BENCH,
      `last message done after ${fmt.s(median(lastMessage))} (${spread(lastMessage, 2)}); ` +
        `${messages.length / rounds.length} messages/batch, ${fmt.ms(median(perMessage))} each ` +
        `(${spread(perMessage, 0)}): read ${fmt.ms(median(messages.map((m) => m.readMs)))}, calls ` +
        `${fmt.ms(median(messages.map((m) => m.callsMs)))}, record ${fmt.ms(median(messages.map((m) => m.recordMs)))}; ` +
        `${fmt.ms(median(perTarget))} per call`,
      `ideal ${fmt.ms(idealPerMessage)} per ${perMessageTargets}`,
      fmt.x(median(perMessage) / idealPerMessage),
    ),
    budgetRow(
      BENCH,
      `targets lost: ${lost} (outcomes: ${nonZero || 'none'})`,
      `${count} targets`,
      '-',
      '0',
      lost === 0,
    ),
    budgetRow(BENCH, `double cancels: ${doubles}`, `${count} targets`, '-', '0', doubles === 0),
    ...(problems.length > 0
      ? [infoRow(BENCH, `gateway warnings/errors: ${problems.length} (first: ${problems[0]?.slice(0, 120)})`)]
      : []),
  ];
}
