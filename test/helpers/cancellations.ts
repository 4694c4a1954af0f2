/**
 * Fixtures for the batch-cancellation suites: targets of both kinds, the upstream paths their
 * cancels reach on each emulator, a producer's queue client, and report reading.
 */
import { QueueClient } from '@azure/storage-queue';
import { expect } from 'vitest';
import type { Gateway } from './gateway.js';
import { call, WORKSPACE } from './gateway.js';
import { pollUntil } from './poll.js';

export const FLYTE = { project: 'flytesnacks', domain: 'development' };
export const EXPERIMENT = 'exp';

export const flyteTarget = (name: string) => ({ kind: 'flyte' as const, ...FLYTE, name });
export const azuremlTarget = (runId: string) => ({
  kind: 'azureml' as const,
  subscriptionId: WORKSPACE.subscription,
  resourceGroupName: WORKSPACE.resourceGroup,
  workspaceName: WORKSPACE.workspace,
  experimentName: EXPERIMENT,
  runId,
});
export type TestTarget = ReturnType<typeof flyteTarget> | ReturnType<typeof azuremlTarget>;

export { upstreamPath } from './cancel-paths.js';

/** Cancel requests per upstream path, and how many of them succeeded, over both emulators. */
export function cancelCalls(gateway: Gateway): Map<string, { calls: number; succeeded: number }> {
  const counts = new Map<string, { calls: number; succeeded: number }>();
  const requests = [
    ...gateway.emulator.requests.filter((r) => r.method === 'DELETE'),
    ...(gateway.azureml?.requests ?? []).filter((r) => r.path.endsWith('/cancel')),
  ];
  for (const r of requests) {
    const entry = counts.get(r.path) ?? { calls: 0, succeeded: 0 };
    entry.calls += 1;
    if (r.status !== undefined && r.status >= 200 && r.status < 300) entry.succeeded += 1;
    counts.set(r.path, entry);
  }
  return counts;
}

/** The producer's view of the queue: a plain SDK client on the same Azurite. */
export function producerQueue(gateway: Gateway, name = 'cancellations'): QueueClient {
  const connection = gateway.azurite?.connectionString;
  if (!connection) throw new Error('the gateway was started without Azurite');
  return new QueueClient(connection, name);
}

/** What a producer enqueues: base64 of the UTF-8 JSON envelope. */
export const producerText = (cancellation: unknown) =>
  Buffer.from(JSON.stringify({ cancellation }), 'utf8').toString('base64');

// biome-ignore lint/suspicious/noExplicitAny: reports are checked by expect()
export type Report = any;

export async function getReport(gateway: Gateway, batchId: string, query = ''): Promise<Report> {
  const res = await call(gateway, 'GET', `/v1/cancellations/${batchId}${query}`);
  expect(res.status, res.text).toBe(200);
  return res.json();
}

/** Polls the report until every target has a final outcome. */
export function waitUntilDone(gateway: Gateway, batchId: string, timeoutMs = 60_000): Promise<Report> {
  return pollUntil(
    async () => {
      const res = await call(gateway, 'GET', `/v1/cancellations/${batchId}?limit=1`);
      return res.status === 200 ? res.json() : { done: false, status: res.status };
    },
    (report) => report.done === true,
    { timeoutMs, intervalMs: 100 },
  );
}

/** Every target of a report, page by page. */
export async function allTargets(gateway: Gateway, batchId: string, query = 'limit=1000'): Promise<Report[]> {
  const targets: Report[] = [];
  let token: string | undefined;
  do {
    const report = await getReport(gateway, batchId, `?${query}${token ? `&token=${token}` : ''}`);
    targets.push(...report.targets);
    token = report.nextToken;
  } while (token);
  return targets;
}

/** Messages left on a queue (peeked, not taken). */
export async function queued(queue: QueueClient): Promise<string[]> {
  if (!(await queue.exists())) return [];
  const { peekedMessageItems } = await queue.peekMessages({ numberOfMessages: 32 });
  return peekedMessageItems.map((m) => m.messageText);
}
