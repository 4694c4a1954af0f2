/**
 * @module
 * Runs Azurite (the npm package) as a child process on free loopback ports, in memory, and
 * hands back a connection string for it. Used by `npm start` and by tests that need real
 * Blob, Queue and Table storage. The emulator's well-known account key is read from the
 * Azurite package at run time rather than written into this repository.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface Azurite {
  blobUrl: string;
  queueUrl: string;
  tableUrl: string;
  /** Connection string with explicit endpoints (ports are not the defaults). */
  connectionString: string;
  /** The Azurite process's id (e.g. to read its CPU time from `/proc`). */
  pid: number;
  stop(): Promise<void>;
}

export interface AzuriteOptions {
  /** @default 20000 */
  startTimeoutMs?: number;
  /** Extra arguments for azurite, e.g. `['--loose']`. */
  args?: string[];
  /** Ports to listen on; Azurite's own defaults are 10000/10001/10002. @default free ports */
  ports?: { blob: number; queue: number; table: number };
}

const ACCOUNT = 'devstoreaccount1';
const SERVICES = ['Blob', 'Queue', 'Table'] as const;

/**
 * @example
 * const azurite = await startAzurite();
 * process.env.AzureWebJobsStorage = azurite.connectionString;
 * await azurite.stop();
 */
export async function startAzurite(options: AzuriteOptions = {}): Promise<Azurite> {
  const entry = require.resolve('azurite/dist/src/azurite.js');
  const child = spawn(
    process.execPath,
    [
      entry,
      ...['--blobPort', String(options.ports?.blob ?? 0)],
      ...['--queuePort', String(options.ports?.queue ?? 0)],
      ...['--tablePort', String(options.ports?.table ?? 0)],
      ...['--inMemoryPersistence', '--disableTelemetry', '--skipApiVersionCheck', '--silent'],
      ...(options.args ?? []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const urls = await waitForListening(child, options.startTimeoutMs ?? 20_000);
  const key = accountKey();
  const [blobUrl, queueUrl, tableUrl] = SERVICES.map((s) => `${urls[s]}/${ACCOUNT}`) as [
    string,
    string,
    string,
  ];
  return {
    blobUrl,
    queueUrl,
    tableUrl,
    connectionString: [
      'DefaultEndpointsProtocol=http',
      `AccountName=${ACCOUNT}`,
      `AccountKey=${key}`,
      `BlobEndpoint=${blobUrl}`,
      `QueueEndpoint=${queueUrl}`,
      `TableEndpoint=${tableUrl}`,
    ].join(';'),
    pid: child.pid ?? -1,
    stop: () => stopChild(child),
  };
}

function waitForListening(child: ChildProcess, timeoutMs: number): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    const urls: Record<string, string> = {};
    const output: string[] = [];
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    const onExit = (code: number | null) => fail(new Error(`Azurite exited with code ${code}`));
    const timer = setTimeout(
      () => fail(new Error(`Azurite did not start within ${timeoutMs} ms`)),
      timeoutMs,
    );
    // Stop watching once settled: later lines ("... closed") must not touch the exit listeners.
    const settle = () => {
      clearTimeout(timer);
      child.off('exit', onExit);
      lines.close();
      child.stdout?.resume();
    };
    const fail = (error: Error) => {
      settle();
      child.kill('SIGKILL');
      reject(new Error(`${error.message}\n${output.slice(-10).join('\n')}`));
    };
    child.once('exit', onExit);
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    lines.on('line', (line) => {
      output.push(line);
      const match = /Azurite (Blob|Queue|Table) service is successfully listening at (\S+)/.exec(line);
      if (match?.[1] && match[2]) urls[match[1]] = match[2].replace(/\/+$/, '');
      if (SERVICES.every((s) => urls[s])) {
        settle();
        resolve(urls);
      }
    });
  });
}

function accountKey(): string {
  const constants = require('azurite/dist/src/blob/utils/constants.js') as {
    EMULATOR_ACCOUNT_KEY_STR: string;
  };
  return constants.EMULATOR_ACCOUNT_KEY_STR;
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
