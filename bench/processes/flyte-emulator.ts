/**
 * Bench process: the Flyte Admin emulator on a free port, seeded with `SEED` executions
 * (`seed-1` … `seed-N` in flytesnacks/development, pinned SUCCEEDED) so get and list have
 * something to read. Announces `{ url }`.
 */
import { startFlyteAdminEmulator } from '../../sandbox/flyte-admin/index.js';
import { announce } from '../lib/child.js';

async function main(): Promise<void> {
  const emulator = await startFlyteAdminEmulator({ phaseDelaysMs: { queued: 50, running: 150 } });
  const count = Number(process.env.SEED ?? '100');
  const seeds = Array.from({ length: count }, (_, i) => ({
    project: 'flytesnacks',
    domain: 'development',
    name: `seed-${i + 1}`,
    phase: 'SUCCEEDED' as const,
  }));
  emulator.seed(seeds);
  // The journal is a live array that would grow for ever under load.
  const trim = setInterval(() => emulator.requests.splice(0), 1_000);
  trim.unref();
  announce({ url: emulator.url }, () => emulator.close());
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
