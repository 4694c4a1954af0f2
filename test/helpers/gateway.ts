/**
 * Starts the system under test on free loopback ports: the Flyte Admin emulator and the
 * gateway on one of two surfaces — the local host (`npm start`'s fallback) or the Functions
 * registrations (captured `app.http` calls served by `functions-host.ts`). Both read the
 * same catalog; running the same cases on each keeps them from drifting.
 */
import { app, InvocationContext, type StorageQueueFunctionOptions } from '@azure/functions';
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
import { routeTable } from '../../src/app.js';
import { cancellationQueueHandler, type QueueHandler } from '../../src/cancellations/queue-trigger.js';
import { loadSettings } from '../../src/config.js';
import { startCancellationPoller } from '../../src/local-host/cancellation-poller.js';
import { hostBodyLimit } from '../../src/local-host/host-body.js';
import type { QueuePoller } from '../../src/local-host/queue-poller.js';
import { startLocalHost } from '../../src/local-host/server.js';
import { createServices, type Services } from '../../src/services.js';
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
  /** Present when started with `cancellations`: the queue trigger, run by the local host's poller. */
  queueTrigger?: QueueTrigger;
  close(): Promise<void>;
}

export interface QueueTrigger {
  /** The services whose storage clients the trigger uses (queue, poison queue, table). */
  services: Services;
  /** Stops taking messages; running ones finish first (a host shutting down). */
  stop(): Promise<void>;
  /** Starts polling again (a host coming back). */
  start(): void;
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
  /** Run the cancellation queue trigger (needs `azureml`, which brings Azurite). */
  cancellations?: boolean;
  /** No AZUREML_ENDPOINT: workspaces' endpoints are discovered through the Azure ML emulator's ARM. */
  armFromEmulator?: boolean;
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
    ...(options.armFromEmulator && azureml
      ? { AZUREML_ENDPOINT: '', AZURE_RESOURCE_MANAGER_ENDPOINT: azureml.url }
      : {}),
    ...options.env,
    ...(options.tokenUrlFromEmulator ? { FLYTE_TOKEN_URL: `${emulator.url}/oauth2/token` } : {}),
  };
  const logs = captureLogs();
  const served =
    (options.surface ?? 'local-host') === 'functions'
      ? await startFunctionsSurface(env, logs)
      : await startLocalSurface(env, logs);
  const queueTrigger = options.cancellations
    ? queueTriggerOf(served.services, served.queueHandler, logs)
    : undefined;
  return {
    url: served.url,
    emulator,
    azureml,
    azurite,
    logs,
    queueTrigger,
    close: async () => {
      await queueTrigger?.stop();
      await served.close();
      await served.services.close();
      await Promise.all([emulator.close(), azureml?.close(), azurite?.stop()]);
    },
  };
}

/** The local host (`npm start`'s fallback) on the route table, and the local queue handler. */
async function startLocalSurface(env: Record<string, string>, logs: CapturedLogs) {
  const services = createServices(loadSettings(env));
  const host = await startLocalHost({
    port: 0,
    routes: routeTable(undefined, () => services),
    sink: logs,
    bodyLimit: hostBodyLimit(env),
  });
  return {
    url: host.url,
    services,
    queueHandler: cancellationQueueHandler(() => services),
    close: () => host.close(),
  };
}

/** The local host's queue poller around a handler, with stop/start for restart tests. */
function queueTriggerOf(services: Services, handler: QueueHandler, sink: CapturedLogs): QueueTrigger {
  let poller: QueuePoller | undefined;
  const trigger: QueueTrigger = {
    services,
    start() {
      poller ??= startCancellationPoller(services, { handler, sink });
    },
    async stop() {
      const running = poller;
      poller = undefined;
      await running?.stop();
    },
  };
  trigger.start();
  return trigger;
}

/** Loads src/functions/*.ts afresh with `app.http` captured and the settings in process.env. */
async function startFunctionsSurface(env: Record<string, string>, logs: CapturedLogs) {
  const registrations: Registration[] = [];
  const saved = { ...process.env };
  Object.assign(process.env, env);
  const http = vi.spyOn(app, 'http').mockImplementation((name, options) => {
    registrations.push({ name, ...options });
  });
  const queues: (StorageQueueFunctionOptions & { name: string })[] = [];
  const storageQueue = vi.spyOn(app, 'storageQueue').mockImplementation((name, options) => {
    queues.push({ name, ...options });
  });
  const setup = vi.spyOn(app, 'setup').mockImplementation(() => undefined);
  vi.resetModules();
  let services: Services;
  try {
    await import('../../src/index.js');
    await import('../../src/functions/rest.js');
    await import('../../src/functions/queue.js');
    services = (await import('../../src/services.js')).getServices(); // settings are read now, from the env above
  } finally {
    http.mockRestore();
    storageQueue.mockRestore();
    setup.mockRestore();
    process.env = saved;
  }
  const host = await serveRegistrations(registrations, logs, hostBodyLimit(env));
  const registered = queues.find((q) => q.name === 'cancellationqueue');
  if (!registered) throw new Error('src/functions/queue.ts registered no cancellationqueue trigger');
  // The captured registration, called as the host would: message text plus trigger metadata.
  const queueHandler: QueueHandler = async (meta, sink) => {
    const context = new InvocationContext({
      functionName: registered.name,
      triggerMetadata: { id: meta.id, dequeueCount: meta.dequeueCount, queueTrigger: meta.text },
      logHandler: (level, ...args) => (level === 'error' ? sink.error(...args) : sink.info(...args)),
    });
    await registered.handler(meta.text, context);
  };
  return {
    url: host.url,
    registrations,
    services,
    queueHandler,
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
