/**
 * @module
 * Settings that only `npm start` reads (the deployed app never does): where the local host
 * listens and which host runs the app. Validated like the app's own settings.
 */
import { z } from 'zod';
import { ConfigError } from '../src/problems/errors.js';

const port = z.coerce.number().int().min(0).max(65_535);

export const localSettingsSchema = z.object({
  PORT: port.default(7071).describe('Port of the app (0 picks a free one).'),
  HOST: z.string().min(1).default('127.0.0.1').describe('Address the local host binds to.'),
  GATEWAY_LOCAL_HOST: z
    .enum(['auto', 'func', 'node'])
    .default('auto')
    .describe('auto: func start when Core Tools runs, else the local host; func or node force one.'),
  FLYTE_EMULATOR_PORT: port
    .default(0)
    .describe('Port of the embedded Flyte Admin emulator (0 picks a free one).'),
  AZUREML_EMULATOR_PORT: port
    .default(0)
    .describe('Port of the embedded Azure ML emulator (0 picks a free one).'),
});

export type LocalSettings = z.infer<typeof localSettingsSchema>;

export function loadLocalSettings(env: Record<string, string | undefined>): LocalSettings {
  const picked = Object.fromEntries(
    Object.keys(localSettingsSchema.shape).flatMap((k) => (env[k] ? [[k, env[k]]] : [])),
  );
  const parsed = localSettingsSchema.safeParse(picked);
  if (parsed.success) return parsed.data;
  throw new ConfigError(parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })));
}
