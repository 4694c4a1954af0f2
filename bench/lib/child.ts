/**
 * Runs one bench process (`bench/processes/*.ts`, compiled) as a forked child, so that the
 * upstream, the proxy and the gateway each get their own event loop apart from the load
 * generator. A child announces itself with one IPC message `{ ready: true, ...info }`.
 * @example
 * const flyte = await startChild<{ url: string }>('flyte-emulator', { SEED: '1000' });
 * await flyte.close();
 */
import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';

export interface Child<T> {
  info: T;
  pid: number;
  process: ChildProcess;
  close(): Promise<void>;
}

const PROCESSES = join(__dirname, '..', 'processes');

export interface ChildOptions {
  /** Where the child's stdout goes: a file descriptor (a log file, as a user redirects it). @default dropped */
  stdout?: number;
  /** Node options, e.g. `['--cpu-prof', '--cpu-prof-dir=/tmp/prof']`. */
  execArgv?: string[];
}

export async function startChild<T>(
  name: string,
  env: Record<string, string> = {},
  timeoutMs = 30_000,
  options: ChildOptions = {},
): Promise<Child<T>> {
  const child = fork(join(PROCESSES, `${name}.js`), [], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', options.stdout ?? 'ignore', 'pipe', 'ipc'],
    ...(options.execArgv ? { execArgv: options.execArgv } : {}),
  });
  const errors: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => {
    errors.push(chunk.toString());
    if (errors.length > 50) errors.shift();
  });
  const info = await new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not start within ${timeoutMs} ms\n${errors.join('')}`));
    }, timeoutMs);
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with code ${code}\n${errors.join('')}`));
    };
    child.once('exit', onExit);
    child.once('message', (message) => {
      clearTimeout(timer);
      child.off('exit', onExit);
      resolve(message as T);
    });
  });
  return { info, pid: child.pid ?? -1, process: child, close: () => stopChild(child) };
}

export function stopChild(child: ChildProcess): Promise<void> {
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

/** In a bench process: announce readiness, and exit on SIGTERM after `close`. */
export function announce(info: Record<string, unknown>, close: () => Promise<unknown>): void {
  process.send?.({ ready: true, ...info });
  const stop = () => {
    close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.once('disconnect', stop);
}
