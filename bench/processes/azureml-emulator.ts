/**
 * Bench process: the Azure ML Execution Service emulator on a free port, with its zip cap
 * from `MAX_ZIP_BYTES` (the CLI entry has no such setting). It buffers each upload whole,
 * which is why it runs here and not in the gateway's process. Announces `{ url }`.
 */
import { startAzureMlEmulator } from '../../sandbox/azureml/index.js';
import { announce } from '../lib/child.js';

async function main(): Promise<void> {
  const maxZipBytes = Number(process.env.MAX_ZIP_BYTES ?? String(300 * 1024 * 1024));
  const emulator = await startAzureMlEmulator({ maxZipBytes });
  const trim = setInterval(() => emulator.requests.splice(0), 1_000);
  trim.unref();
  announce({ url: emulator.url }, () => emulator.close());
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
