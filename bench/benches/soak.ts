/**
 * Soak bench (issue 8 item 5): mixed traffic at a steady, open-loop rate — Flyte get, list
 * and create, Azure ML startrun (small zip) — through a gateway process for 10 minutes
 * (`--soak-seconds N`; a few seconds with --smoke), while upstream faults (503, dropped
 * connection, 429, an answer that drips past UPSTREAM_DEADLINE_MS) are armed at intervals on
 * both emulators, and storage goes away for a few seconds once, mid-run (a proxy in front of
 * Azurite is cut). Checks: every request gets an answer (none lost, none stuck past the client's
 * timeout); non-2xx answers per upstream no more than the faults armed there, counting the
 * startruns sent during the outage as faults; the gateway's RSS flat (least-squares slope after
 * a 20 % warm-up) and its open sockets too — the slope of their floor (the fewest in each
 * twentieth of the run, as keep-alive pools swell and shrink with the traffic) — and back to
 * what they were before the traffic once it has stopped; no staged blob or uncommitted block left once
 * failed startruns are retried by `stagedZipId`, as the README tells clients to.
 */
import { type Azurite, startAzurite } from '../../sandbox/azurite.js';
import { type StorageSwitch, storageSwitch } from '../../sandbox/storage-switch.js';
import type { BenchOptions } from '../lib/args.js';
import { azureMlEnv, experimentPath, runDefinition, smallStartRunForm, stagedBlobs } from '../lib/azureml.js';
import { type Child, startChild } from '../lib/child.js';
import { rssOf, socketsOf } from '../lib/proc.js';
import { slope } from '../lib/stats.js';
import { budgetRow, infoRow, type Row } from '../lib/table.js';

const BENCH = 'soak';
const RATE_PER_SECOND = 40;
const REQUEST_TIMEOUT_MS = 30_000;
const EXECUTIONS = '/v1/api/v1/executions';
/** Budgets of "flat" (per minute, after warm-up). */
const RSS_SLOPE_BUDGET_MIB = 2;
const SOCKET_SLOPE_BUDGET = 1;
/** Idle keep-alive connections close within a few seconds (undici's and Node's defaults: 4–5 s). */
const SOCKET_DRAIN_MS = 20_000;

type Upstream = 'flyte' | 'azureml';

interface Op {
  name: string;
  upstream: Upstream;
  weight: number;
  send(base: string, n: number, signal: AbortSignal): Promise<Response>;
}

const json = { accept: 'application/json', 'content-type': 'application/json' };

const OPS: Op[] = [
  {
    name: 'flyte get',
    upstream: 'flyte',
    weight: 4,
    send: (base, n, signal) =>
      fetch(`${base}${EXECUTIONS}/flytesnacks/development/seed-${(n % 100) + 1}`, { headers: json, signal }),
  },
  {
    name: 'flyte list',
    upstream: 'flyte',
    weight: 3,
    send: (base, _n, signal) =>
      fetch(`${base}${EXECUTIONS}/flytesnacks/development?limit=20`, { headers: json, signal }),
  },
  {
    name: 'flyte create',
    upstream: 'flyte',
    weight: 2,
    send: (base, _n, signal) =>
      fetch(`${base}${EXECUTIONS}`, {
        method: 'POST',
        headers: json,
        signal,
        body: JSON.stringify({
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
        }),
      }),
  },
  {
    name: 'azureml startrun',
    upstream: 'azureml',
    weight: 1,
    send: (base, _n, signal) =>
      fetch(`${base}${experimentPath('startrun')}`, { method: 'POST', body: smallStartRunForm(), signal }),
  },
];

/** The faults armed in turn, one per interval, alternating upstreams. */
const FAULTS: { upstream: Upstream; settings: Record<string, unknown> }[] = [
  // Every answer drips for a moment: calls past the deadline end in 504, none hangs.
  { upstream: 'flyte', settings: { drip: { intervalMs: 400 }, pathPrefix: '/api/' } },
  { upstream: 'flyte', settings: { status5xx: { count: 1, status: 503 } } },
  { upstream: 'azureml', settings: { status5xx: { count: 1, status: 503 } } },
  { upstream: 'flyte', settings: { drop: { count: 1 } } },
  { upstream: 'azureml', settings: { drop: { count: 1 } } },
  { upstream: 'flyte', settings: { status429: { count: 1, retryAfterSeconds: 1 } } },
];
/** UPSTREAM_DEADLINE_MS of the gateway under test, short so a dripping answer is cut quickly. */
const DEADLINE_MS = 2_000;
/** How long storage stays away, once, at mid-run. */
const OUTAGE_MS = 3_000;

interface Tally {
  sent: number;
  answered: number;
  unanswered: number;
  non2xx: Record<Upstream, number>;
  statuses: Record<string, number>;
  /** Failed startruns retried with their `stagedZipId` (which deletes the staged zip on success). */
  retried: number;
}

/** Retries a failed startrun by `stagedZipId` until it succeeds (at most 5 tries); returns tries. */
async function retryStaged(base: string, problemText: string): Promise<number> {
  let problem: { stagedZipId?: string; runId?: string };
  try {
    problem = JSON.parse(problemText) as typeof problem;
  } catch {
    return 0;
  }
  if (!problem.stagedZipId || !problem.runId) return 0;
  for (let attempt = 1; attempt <= 5; attempt++) {
    const res = await fetch(
      `${base}${experimentPath('startrun')}?runId=${encodeURIComponent(problem.runId)}`,
      {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ runDefinition: runDefinition(), stagedZipId: problem.stagedZipId }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      },
    );
    await res.arrayBuffer();
    if (res.ok) return attempt;
    // Storage may be away for a few seconds: back off as a client would.
    await new Promise((resolve) => setTimeout(resolve, attempt * 1_000));
  }
  return 5;
}

function pick(n: number): Op {
  const total = OPS.reduce((s, op) => s + op.weight, 0);
  let slot = n % total;
  for (const op of OPS) {
    if (slot < op.weight) return op;
    slot -= op.weight;
  }
  return OPS[0] as Op;
}

export async function runSoak(options: BenchOptions): Promise<Row[]> {
  const seconds = options.soakSeconds ?? (options.smoke ? 5 : 600);
  const faultEveryMs = options.smoke ? 1_000 : 10_000;
  let azurite: Azurite | undefined;
  let storage: StorageSwitch | undefined;
  const children: Child<unknown>[] = [];
  try {
    azurite = await startAzurite();
    storage = await storageSwitch(azurite.connectionString);
    const flyte = await startChild<{ url: string }>('flyte-emulator', { SEED: '100' });
    children.push(flyte);
    const azureml = await startChild<{ url: string }>('azureml-emulator');
    children.push(azureml);
    const gateway = await startChild<{ url: string }>('gateway', {
      FLYTE_ENDPOINT: flyte.info.url,
      FLYTE_PROJECTS: 'flytesnacks',
      ...azureMlEnv(azureml.info.url, storage.connectionString),
      UPSTREAM_TIMEOUT_MS: '5000',
      UPSTREAM_DEADLINE_MS: String(DEADLINE_MS),
    });
    children.push(gateway);
    const emulators: Record<Upstream, string> = { flyte: flyte.info.url, azureml: azureml.info.url };
    const armed: Record<Upstream, number> = { flyte: 0, azureml: 0 };
    const tally: Tally = {
      sent: 0,
      answered: 0,
      unanswered: 0,
      non2xx: { flyte: 0, azureml: 0 },
      statuses: {},
      retried: 0,
    };
    const samples: { t: number; rss: number; sockets: number }[] = [];
    const inFlight = new Set<Promise<void>>();
    const socketsAtStart = socketsOf(gateway.pid);
    const started = Date.now();
    // While a window fault is on (storage away, answers dripping), every request it can touch
    // counts as one armed fault: each may fail, none may go unanswered.
    const windows: Record<Upstream, boolean> = { flyte: false, azureml: false };
    const fire = (n: number) => {
      const op = pick(n);
      tally.sent += 1;
      if (windows[op.upstream]) armed[op.upstream] += 1;
      const p = op
        .send(gateway.info.url, n, AbortSignal.timeout(REQUEST_TIMEOUT_MS))
        .then(async (res) => {
          tally.answered += 1;
          let text: string;
          try {
            text = await res.text();
          } catch {
            // Headers came, then the body was cut (a dripping answer past the deadline).
            tally.non2xx[op.upstream] += 1;
            tally.statuses[`${op.name} ${res.status} cut`] =
              (tally.statuses[`${op.name} ${res.status} cut`] ?? 0) + 1;
            return;
          }
          tally.statuses[`${op.name} ${res.status}`] = (tally.statuses[`${op.name} ${res.status}`] ?? 0) + 1;
          if (res.status < 300) return;
          tally.non2xx[op.upstream] += 1;
          // As the README tells clients: a failed startrun keeps its staged zip; retry it by id.
          if (op.upstream === 'azureml') tally.retried += await retryStaged(gateway.info.url, text);
        })
        .catch(() => {
          tally.unanswered += 1;
        })
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    };
    let n = 0;
    let faultIndex = 0;
    const perTick = RATE_PER_SECOND / 10;
    const traffic = setInterval(() => {
      for (let i = 0; i < perTick; i++) fire(n++);
    }, 100);
    const setFaults = (upstream: Upstream, settings: Record<string, unknown>) =>
      fetch(`${emulators[upstream]}/_emulator/faults`, {
        method: 'PUT',
        body: JSON.stringify(settings),
      }).then((res) => res.arrayBuffer());
    const faults = setInterval(() => {
      const fault = FAULTS[faultIndex++ % FAULTS.length];
      if (!fault) return;
      armed[fault.upstream] += 1;
      void setFaults(fault.upstream, fault.settings);
      if (!('drip' in fault.settings)) return;
      // A drip stays until cleared: on for a second, then off.
      windows[fault.upstream] = true;
      setTimeout(() => {
        // Off once the emulator has it, and a deadline later: requests queued behind the dripping
        // ones on the gateway's connections still meet it.
        void setFaults(fault.upstream, {}).then(() =>
          setTimeout(() => {
            windows[fault.upstream] = false;
          }, DEADLINE_MS),
        );
      }, 1_000);
    }, faultEveryMs);
    // Storage away once, mid-run: startruns cannot stage, retries by id cannot read.
    const outage = setTimeout(
      () => {
        windows.azureml = true;
        storage?.stop();
        setTimeout(() => {
          storage?.start();
          windows.azureml = false;
        }, OUTAGE_MS);
      },
      (seconds * 1000) / 2,
    );
    const sampler = setInterval(
      () =>
        samples.push({ t: Date.now() - started, rss: rssOf(gateway.pid), sockets: socketsOf(gateway.pid) }),
      options.smoke ? 250 : 1_000,
    );
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    clearInterval(traffic);
    clearInterval(faults);
    clearInterval(sampler);
    clearTimeout(outage);
    storage.start();
    await Promise.all([...inFlight]);
    const sockets = {
      atStart: socketsAtStart,
      afterDrain: await drainedSockets(gateway.pid, socketsAtStart),
    };
    const leaked = await stagedBlobs(azurite.connectionString);
    return rows(seconds, tally, armed, samples, sockets, leaked.length, storage.refused);
  } finally {
    for (const child of children.reverse()) await child.close();
    await storage?.close();
    await azurite?.stop();
  }
}

/** The gateway's open sockets once idle: polled until back to `atStart`, or SOCKET_DRAIN_MS. */
async function drainedSockets(pid: number, atStart: number): Promise<number> {
  const deadline = Date.now() + SOCKET_DRAIN_MS;
  let open = socketsOf(pid);
  while (open > atStart && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    open = socketsOf(pid);
  }
  return open;
}

/** The fewest in each of `parts` equal spans of time: what stays open whatever the traffic. */
function floors(samples: readonly { t: number; y: number }[], parts: number): { x: number; y: number }[] {
  const first = samples[0]?.t ?? 0;
  const span = ((samples[samples.length - 1]?.t ?? first) - first) / parts || 1;
  const least = new Map<number, { x: number; y: number }>();
  for (const { t, y } of samples) {
    const part = Math.min(parts - 1, Math.floor((t - first) / span));
    const seen = least.get(part);
    if (!seen || y < seen.y) least.set(part, { x: (first + (part + 0.5) * span) / 60_000, y });
  }
  return [...least.values()];
}

function rows(
  seconds: number,
  tally: Tally,
  armed: Record<Upstream, number>,
  samples: { t: number; rss: number; sockets: number }[],
  sockets: { atStart: number; afterDrain: number },
  leaked: number,
  storageRefused: number,
): Row[] {
  const steady = samples.filter((s) => s.t >= seconds * 1000 * 0.2);
  const perMinute = (pick: (s: (typeof samples)[number]) => number) =>
    slope(steady.map((s) => ({ x: s.t / 60_000, y: pick(s) })));
  const rssSlope = perMinute((s) => s.rss / 1024 / 1024);
  const socketSlope = slope(
    floors(
      steady.map((s) => ({ t: s.t, y: s.sockets })),
      20,
    ),
  );
  const last = samples[samples.length - 1];
  const statuses = Object.entries(tally.statuses)
    .filter(([key]) => !/ 2\d\d$/.test(key))
    .map(([key, count]) => `${key}×${count}`)
    .join(', ');
  return [
    infoRow(
      BENCH,
      `${seconds} s at ${RATE_PER_SECOND} req/s: ${tally.sent} sent; not 2xx: ${statuses || 'none'}; ` +
        `${tally.retried} startrun retries by stagedZipId; storage away ${OUTAGE_MS} ms once ` +
        `(${storageRefused} connections cut or refused)`,
    ),
    budgetRow(
      BENCH,
      `requests without an answer: ${tally.unanswered}`,
      `${tally.sent} sent`,
      '-',
      '0',
      tally.unanswered === 0,
    ),
    ...(['flyte', 'azureml'] as const).map((upstream) =>
      budgetRow(
        BENCH,
        `${upstream} answers not 2xx: ${tally.non2xx[upstream]}`,
        `${armed[upstream]} faults armed`,
        '-',
        '≤ faults armed',
        tally.non2xx[upstream] <= armed[upstream],
      ),
    ),
    budgetRow(
      BENCH,
      `gateway RSS slope: ${rssSlope.toFixed(2)} MiB/min (last ${((last?.rss ?? 0) / 1024 / 1024).toFixed(0)} MiB)`,
      `${steady.length} samples`,
      '-',
      `≤ ${RSS_SLOPE_BUDGET_MIB} MiB/min`,
      rssSlope <= RSS_SLOPE_BUDGET_MIB,
    ),
    budgetRow(
      BENCH,
      `gateway open sockets, slope of the floor: ${socketSlope.toFixed(2)}/min (last ${last?.sockets ?? '-'})`,
      `${steady.length} samples`,
      '-',
      `≤ ${SOCKET_SLOPE_BUDGET}/min`,
      socketSlope <= SOCKET_SLOPE_BUDGET,
    ),
    budgetRow(
      BENCH,
      `gateway open sockets once idle: ${sockets.afterDrain}`,
      `${sockets.atStart} before the traffic`,
      '-',
      `≤ before, within ${SOCKET_DRAIN_MS / 1000} s`,
      sockets.afterDrain <= sockets.atStart,
    ),
    budgetRow(BENCH, `staged blobs or uncommitted blocks left: ${leaked}`, '-', '-', '0', leaked === 0),
  ];
}
