/**
 * Command-line entry of the Flyte Admin emulator: listens on `HOST` (default 127.0.0.1) and `PORT`
 * (default 8089), prints its base URL, and shuts down cleanly on SIGINT/SIGTERM so `npm start` and
 * terminals can stop it without leaving the port bound.
 * @module
 */
import { startFlyteAdminEmulator } from './index.js';

async function main(): Promise<void> {
  const port = Number(process.env.PORT ?? 8089);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`PORT must be 0-65535, got ${process.env.PORT}`);
  const emulator = await startFlyteAdminEmulator({ host: process.env.HOST ?? '127.0.0.1', port });
  console.log(`Flyte Admin emulator listening on ${emulator.url}`);
  const stop = (signal: NodeJS.Signals) => {
    console.log(`${signal} received, closing the Flyte Admin emulator`);
    emulator.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
