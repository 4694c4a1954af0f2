/**
 * Bench process: the Azure ML Execution Service emulator on a free port, with its zip cap
 * from `MAX_ZIP_BYTES` (the CLI entry has no such setting). It parses each startrun as it
 * streams in, hashing the zip part, and runs here so that work stays off the gateway's event
 * loop. Its journal does not hash whole bodies (`journalBodyHash: false`): on a machine whose
 * cores it shares with the gateway and Azurite, a second SHA-256 of every upload would take
 * CPU from what is measured. Announces `{ url }`.
 */
import { startAzureMlEmulator } from '../../sandbox/azureml/index.js';
import { announce } from '../lib/child.js';

async function main(): Promise<void> {
  const maxZipBytes = Number(process.env.MAX_ZIP_BYTES ?? String(300 * 1024 * 1024));
  const emulator = await startAzureMlEmulator({ maxZipBytes, journalBodyHash: false });
  const trim = setInterval(() => emulator.requests.splice(0), 1_000);
  trim.unref();
  announce({ url: emulator.url }, () => emulator.close());
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
