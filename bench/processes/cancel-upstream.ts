/**
 * Bench process for the cancel bench: one emulator (`KIND=flyte` or `azureml`) on a free
 * port with `LATENCY_MS` before every answer. Driven over IPC by the parent:
 * `{ id, cmd: 'seed', count, prefix }` resets it (runs, faults, journal), pins `count` running
 * runs `<prefix>0` … and re-arms the latency; `{ id, cmd: 'cancels' }` answers the cancel
 * calls in the journal per path (calls, 2xx answers). Each answer is `{ id, ... }`.
 * Announces `{ url }`.
 */
import { startAzureMlEmulator } from '../../sandbox/azureml/index.js';
import { startFlyteAdminEmulator } from '../../sandbox/flyte-admin/index.js';
import { announce } from '../lib/child.js';

interface Emulator {
  url: string;
  faults: { latencyMs: number };
  requests: { method: string; path: string; status?: number }[];
  reset(): void;
  close(): Promise<void>;
}

type Command = { id: number; cmd: 'seed'; count: number; prefix: string } | { id: number; cmd: 'cancels' };

async function main(): Promise<void> {
  const kind = process.env.KIND;
  const latencyMs = Number(process.env.LATENCY_MS ?? '20');
  let emulator: Emulator;
  let seed: (names: string[]) => void;
  let isCancel: (r: { method: string; path: string }) => boolean;
  if (kind === 'flyte') {
    const flyte = await startFlyteAdminEmulator();
    emulator = flyte;
    seed = (names) =>
      flyte.seed(
        names.map((name) => ({ project: 'flytesnacks', domain: 'development', name, phase: 'RUNNING' })),
      );
    isCancel = (r) => r.method === 'DELETE';
  } else if (kind === 'azureml') {
    const azureml = await startAzureMlEmulator();
    emulator = azureml;
    seed = (names) =>
      azureml.seed(names.map((runId) => ({ experimentName: 'exp', runId, status: 'Running' })));
    isCancel = (r) => r.path.endsWith('/cancel');
  } else {
    throw new Error(`KIND must be flyte or azureml, got ${kind}`);
  }
  emulator.faults.latencyMs = latencyMs;
  process.on('message', (message: Command) => {
    if (message.cmd === 'seed') {
      emulator.reset();
      seed(Array.from({ length: message.count }, (_, i) => `${message.prefix}${i}`));
      emulator.faults.latencyMs = latencyMs;
      process.send?.({ id: message.id });
      return;
    }
    const paths = new Map<string, [number, number]>();
    for (const r of emulator.requests) {
      if (!isCancel(r)) continue;
      const entry = paths.get(r.path) ?? [0, 0];
      entry[0] += 1;
      if (r.status !== undefined && r.status >= 200 && r.status < 300) entry[1] += 1;
      paths.set(r.path, entry);
    }
    process.send?.({ id: message.id, paths: [...paths] });
  });
  announce({ url: emulator.url }, () => emulator.close());
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
