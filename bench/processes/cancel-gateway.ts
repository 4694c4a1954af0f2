/**
 * Bench process for the cancel bench: the gateway's local host with the cancellation queue
 * trigger run by the local host's queue poller, wired as `npm start` does it (the poller runs
 * `cancellationQueueHandler()` against the runtime's cancellation queue, host.json's queue
 * settings), configured from this process's environment. Logs are dropped, except that
 * `cancellation.message_done` entries are kept as per-message figures and warnings and
 * errors are counted; `{ id, cmd: 'stats' }` over IPC answers and clears them.
 * Announces `{ url, cancelConcurrency, batchSize, newBatchThreshold }`.
 */

import { routeTable } from '../../src/app.js';
import { loadSettings } from '../../src/config.js';
import { startCancellationPoller } from '../../src/local-host/cancellation-poller.js';
import { startLocalHost } from '../../src/local-host/server.js';
import { createServices } from '../../src/services.js';
import { queueHostOptions } from '../../src/shared/host-json.js';
import { announce } from '../lib/child.js';

/** What one `cancellation.message_done` says, with when it was logged (epoch ms). */
export interface MessageDone {
  targets: number;
  calls: number;
  retried: number;
  skipped: number;
  durationMs: number;
  readMs: number;
  callsMs: number;
  recordMs: number;
  at: number;
}

async function main(): Promise<void> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined),
  );
  const settings = loadSettings(env);
  const services = createServices(settings);
  const done: MessageDone[] = [];
  const problems: string[] = [];
  const keep = (line: unknown) => {
    if (typeof line !== 'string' || !line.includes('cancellation.message_done')) return;
    const entry = JSON.parse(line) as Omit<MessageDone, 'at'>;
    done.push({
      targets: entry.targets,
      calls: entry.calls,
      retried: entry.retried,
      skipped: entry.skipped,
      durationMs: entry.durationMs,
      readMs: entry.readMs,
      callsMs: entry.callsMs,
      recordMs: entry.recordMs,
      at: Date.now(),
    });
  };
  const note = (line: unknown) => {
    if (problems.length < 20) problems.push(String(line).slice(0, 300));
  };
  // Handler logs are dropped, as in the gateway process: one line per request would measure the terminal.
  const sink = { log: () => undefined, info: keep, warn: note, error: note };
  const host = await startLocalHost({ port: 0, routes: routeTable(undefined, () => services), sink });
  const poller = startCancellationPoller(services, { sink });
  process.on('message', (message: { id: number; cmd: 'stats' }) => {
    if (message.cmd !== 'stats') return;
    process.send?.({ id: message.id, done: done.splice(0), problems: problems.splice(0) });
  });
  const queues = queueHostOptions();
  announce(
    {
      url: host.url,
      cancelConcurrency: settings.CANCEL_CONCURRENCY,
      upstreamConnections: settings.UPSTREAM_CONNECTIONS,
      batchSize: queues.batchSize,
      newBatchThreshold: queues.newBatchThreshold,
    },
    async () => {
      await poller.stop();
      await host.close();
      await services.close();
    },
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
