/**
 * Command-line entry of the Azure ML Execution Service emulator: `HOST` (default 127.0.0.1), `PORT`
 * (default 8090). `AZUREML_EMULATOR_BEARER` turns bearer auth on (a fixed token, or `issued`);
 * `AZUREML_EMULATOR_IDENTITY_HEADER` enables `GET /msi/token`.
 * @module
 */
import { runEmulatorCli } from '../common/cli.js';
import { startAzureMlEmulator } from './index.js';

runEmulatorCli('Azure ML Execution Service emulator', 8090, (host, port) =>
  startAzureMlEmulator({
    host,
    port,
    auth: {
      requireBearer: process.env.AZUREML_EMULATOR_BEARER || undefined,
      identityHeader: process.env.AZUREML_EMULATOR_IDENTITY_HEADER || undefined,
    },
  }),
);
