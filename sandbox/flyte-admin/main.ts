/**
 * Command-line entry of the Flyte Admin emulator: `HOST` (default 127.0.0.1), `PORT` (default 8089).
 * @module
 */
import { runEmulatorCli } from '../common/cli.js';
import { startFlyteAdminEmulator } from './index.js';

runEmulatorCli('Flyte Admin emulator', 8089, (host, port) => startFlyteAdminEmulator({ host, port }));
