/**
 * Starts the system under test on free loopback ports: the Flyte Admin emulator and the
 * gateway on one of two surfaces — the local host (`npm start`'s fallback) or the Functions
 * registrations (captured `app.http` calls served by `functions-host.ts`). Both read the
 * same catalog; running the same cases on each keeps them from drifting.
 */
import { app } from '@azure/functions';
import { vi } from 'vitest';
import {
  type AzureMlEmulator,
  type AzureMlEmulatorOptions,
  startAzureMlEmulator,
} from '../../sandbox/azureml/index.js';
import { type Azurite, startAzurite } from '../../sandbox/azurite.js';
import {
  type FlyteAdminEmulator,
  type FlyteAdminEmulatorOptions,
  startFlyteAdminEmulator,
} from '../../sandbox/flyte-admin/index.js';
import { loadSettings } from '../../src/config.js';
import { routeTable } from '../../src/http/routes.js';
import { startLocalHost } from '../../src/local-host/server.js';
import { createRuntime } from '../../src/runtime.js';
import { type Registration, serveRegistrations } from './functions-host.js';
import { type CapturedLogs, captureLogs } from './log-capture.js';

export type Surface = 'local-host' | 'functions';
export const SURFACES: Surface[] = ['local-host', 'functions'];

export interface Gateway {
  url: string;
  emulator: FlyteAdminEmulator;
  /** Present when started with `azureml`. */
  azureml?: AzureMlEmulator;
  /** Present when started with `azureml`: staging storage. */
  azurite?: Azurite;
  logs: CapturedLogs;
  close(): Promise<void>;
}

/** The workspace the Azure ML suites use; on the allow-list by default. */
export const WORKSPACE = {
  subscription: '00000000-0000-0000-0000-000000000000',
  resourceGroup: 'rg-ml',
  workspace: 'ws-demo',
};

export interface GatewayOptions {
  surface?: Surface;
  /** Settings on top of the test defaults (emulator endpoint, project allow-list, short timeouts). */
  env?: Record<string, string>;
  emulator?: FlyteAdminEmulatorOptions;
  /** Point FLYTE_TOKEN_URL at the emulator's own token endpoint (its port is known only once it runs). */
  tokenUrlFromEmulator?: boolean;
  /** Also start Azurite and the Azure ML emulator, and point the Azure ML settings at them. */
  azureml?: AzureMlEmulatorOptions | true;
}

export async function startGateway(options: GatewayOptions = {}): Promise<Gateway> {
  const emulator = await startFlyteAdminEmulator({
    phaseDelaysMs: { queued: 50, running: 150 },
    ...options.emulator,
  });
  const azurite = options.azureml ? await startAzurite() : undefined;
  const azureml = options.azureml
    ? await startAzureMlEmulator(options.azureml === true ? {} : options.azureml)
    : undefined;
  const env: Record<string, string> = {
    FLYTE_ENDPOINT: emulator.url,
    FLYTE_PROJECTS: 'flytesnacks',
    UPSTREAM_TIMEOUT_MS: '1500',
    ...(azureml && azurite
      ? {
          AZUREML_ENDPOINT: azureml.url,
          AZUREML_AUTH: 'none',
          AZUREML_WORKSPACES: `${WORKSPACE.subscription}/${WORKSPACE.resourceGroup}/${WORKSPACE.workspace}`,
          AzureWebJobsStorage: azurite.connectionString,
        }
      : {}),
    ...options.env,
    ...(options.tokenUrlFromEmulator ? { FLYTE_TOKEN_URL: `${emulator.url}/oauth2/token` } : {}),
  };
  const logs = captureLogs();
  if ((options.surface ?? 'local-host') === 'functions') {
    const host = await startFunctionsSurface(env, logs);
    return {
      url: host.url,
      emulator,
      azureml,
      azurite,
      logs,
      close: async () => {
        await host.close();
        await Promise.all([emulator.close(), azureml?.close(), azurite?.stop()]);
      },
    };
  }
  const runtime = createRuntime(loadSettings(env));
  const host = await startLocalHost({ port: 0, routes: routeTable(undefined, () => runtime), sink: logs });
  return {
    url: host.url,
    emulator,
    azureml,
    azurite,
    logs,
    close: async () => {
      await host.close();
      await runtime.close();
      await Promise.all([emulator.close(), azureml?.close(), azurite?.stop()]);
    },
  };
}

/** Loads src/functions/*.ts afresh with `app.http` captured and the settings in process.env. */
async function startFunctionsSurface(env: Record<string, string>, logs: CapturedLogs) {
  const registrations: Registration[] = [];
  const saved = { ...process.env };
  Object.assign(process.env, env);
  const http = vi.spyOn(app, 'http').mockImplementation((name, options) => {
    registrations.push({ name, ...options });
  });
  const setup = vi.spyOn(app, 'setup').mockImplementation(() => undefined);
  vi.resetModules();
  try {
    await import('../../src/index.js');
    await import('../../src/functions/rest.js');
    const runtime = await import('../../src/runtime.js');
    runtime.getRuntime(); // settings are read now, from the env above
  } finally {
    http.mockRestore();
    setup.mockRestore();
    process.env = saved;
  }
  const host = await serveRegistrations(registrations, logs);
  return {
    url: host.url,
    registrations,
    close: async () => {
      await host.close();
    },
  };
}

/** JSON helpers for the tests: every call goes over real HTTP. */
export async function call(
  gateway: { url: string },
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  // biome-ignore lint/suspicious/noExplicitAny: answers are checked by expect(), not by types
): Promise<{ status: number; headers: Headers; text: string; json: () => any }> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
  }
  const response = await fetch(`${gateway.url}${path}`, init);
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) };
}
