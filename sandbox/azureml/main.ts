/**
 * Command-line entry of the Azure ML Execution Service emulator: listens on `HOST` (default 127.0.0.1)
 * and `PORT` (default 8090), prints its base URL, and shuts down cleanly on SIGINT/SIGTERM so terminals
 * and `npm start` can stop it without leaving the port bound. `AZUREML_EMULATOR_BEARER` turns bearer auth
 * on (a fixed token, or `issued`); `AZUREML_EMULATOR_IDENTITY_HEADER` enables `GET /msi/token`.
 * @module
 */
import { startAzureMlEmulator } from './index.js';

async function main(): Promise<void> {
  const port = Number(process.env.PORT ?? 8090);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`PORT must be 0-65535, got ${process.env.PORT}`);
  const emulator = await startAzureMlEmulator({
    host: process.env.HOST ?? '127.0.0.1',
    port,
    auth: {
      requireBearer: process.env.AZUREML_EMULATOR_BEARER || undefined,
      identityHeader: process.env.AZUREML_EMULATOR_IDENTITY_HEADER || undefined,
    },
  });
  console.log(`Azure ML Execution Service emulator listening on ${emulator.url}`);
  const stop = (signal: NodeJS.Signals) => {
    console.log(`${signal} received, closing the Azure ML emulator`);
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
