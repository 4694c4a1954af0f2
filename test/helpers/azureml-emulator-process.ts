/**
 * The Azure ML emulator in a child process, for measurements of the gateway's own memory.
 * The emulator is a test double: it streams startrun bodies, but buffers every other request
 * body whole, and its parser and hashing would still count in the very RSS and CPU a test
 * wants to bound. Here `sandbox/azureml/*.ts` and `sandbox/common/*.ts` are
 * transpiled with the TypeScript compiler API into a temp directory and `main.js` runs
 * under the same Node; the test reads the journal and the runs over the emulator's control
 * endpoints (`/_emulator/requests`, `/_emulator/runs`).
 * @example
 * const aml = await startAzureMlEmulatorProcess();
 * const { runs } = await aml.runs();
 * await aml.close();
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import ts from 'typescript';
import type { AzureMlRun, RecordedRequest } from '../../sandbox/azureml/index.js';

const SANDBOX = resolve(__dirname, '../../sandbox');
const FOLDERS = ['azureml', 'common'];

export interface AzureMlEmulatorProcess {
  url: string;
  pid: number;
  requests(): Promise<RecordedRequest[]>;
  runs(): Promise<AzureMlRun[]>;
  close(): Promise<void>;
}

/** Transpiles the emulator's sources (CommonJS, same relative layout) into `dir`. */
function transpile(dir: string): void {
  writeFileSync(join(dir, 'package.json'), '{"type": "commonjs"}\n');
  for (const folder of FOLDERS) {
    mkdirSync(join(dir, folder));
    for (const file of readdirSync(join(SANDBOX, folder)).filter((f) => f.endsWith('.ts'))) {
      const { outputText } = ts.transpileModule(readFileSync(join(SANDBOX, folder, file), 'utf8'), {
        compilerOptions: {
          module: ts.ModuleKind.CommonJS,
          target: ts.ScriptTarget.ES2022,
          esModuleInterop: true,
        },
        fileName: file,
      });
      writeFileSync(join(dir, folder, file.replace(/\.ts$/, '.js')), outputText);
    }
  }
}

function waitForUrl(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    const errors: string[] = [];
    child.stderr?.on('data', (chunk: Buffer) => errors.push(chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the emulator did not start within ${timeoutMs} ms\n${errors.join('')}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the emulator exited with code ${code}\n${errors.join('')}`));
    });
    lines.on('line', (line) => {
      const match = /listening on (http:\/\/\S+)/.exec(line);
      if (!match?.[1]) return;
      clearTimeout(timer);
      lines.close();
      child.stdout?.resume();
      resolvePromise(match[1]);
    });
  });
}

/** Starts the emulator (default options: 300 MiB zip cap, auth off) on a free loopback port. */
export async function startAzureMlEmulatorProcess(timeoutMs = 20_000): Promise<AzureMlEmulatorProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'azureml-emulator-'));
  transpile(dir);
  const child = spawn(process.execPath, [join(dir, 'azureml', 'main.js')], {
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = await waitForUrl(child, timeoutMs).catch((error: unknown) => {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  });
  const control = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${url}/_emulator/${path}`);
    if (!res.ok) throw new Error(`GET /_emulator/${path}: ${res.status}`);
    return (await res.json()) as T;
  };
  return {
    url,
    pid: child.pid ?? -1,
    requests: async () => (await control<{ requests: RecordedRequest[] }>('requests')).requests,
    runs: async () => (await control<{ runs: AzureMlRun[] }>('runs')).runs,
    close: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((done) => child.once('exit', () => done()));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
