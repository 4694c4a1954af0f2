/**
 * The telemetry suites' set-up: a gateway (`startGateway`: the local host in front of the Flyte
 * emulator) and this process's telemetry pipeline, both from the same settings, with `seed-1`
 * in the emulator in `phase`.
 * @example
 * const { gateway, telemetry, close } = await startTelemetryGateway({ OTEL_EXPORTER_OTLP_ENDPOINT: url });
 */
import type { SeedExecution } from '../../sandbox/flyte-admin/index.js';
import { loadSettings } from '../../src/config.js';
import { startTelemetry, type Telemetry } from '../../src/telemetry/index.js';
import { type Gateway, startGateway } from './gateway.js';

export interface TelemetryGateway {
  gateway: Gateway;
  telemetry: Telemetry;
  /** Stops telemetry (exporting what it holds), then the gateway. */
  close(): Promise<void>;
}

export async function startTelemetryGateway(
  env: Record<string, string>,
  phase: SeedExecution['phase'] = 'SUCCEEDED',
): Promise<TelemetryGateway> {
  const gateway = await startGateway({ env });
  gateway.emulator.seed({ project: 'flytesnacks', domain: 'development', name: 'seed-1', phase });
  const telemetry = startTelemetry(loadSettings({ FLYTE_PROJECTS: 'flytesnacks', ...env }));
  return {
    gateway,
    telemetry,
    close: async () => {
      await telemetry.stop();
      await gateway.close();
    },
  };
}
