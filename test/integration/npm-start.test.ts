/**
 * `npm start` as a new user runs it: the compiled start script brings up Azurite, the Flyte
 * emulator and the local host with no settings at all, serves the routes, and stops
 * everything on SIGTERM. A bad setting stops start-up with a message naming it.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { QueueClient, StorageSharedKeyCredential } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollUntil } from '../helpers/poll.js';

const root = join(__dirname, '../..');
const startScript = join(root, 'dist/scripts/start.js');

/** Settings a developer's shell might have; removed so the embedded defaults are used. */
const cleanEnv = () => {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (
      v !== undefined &&
      !/^(FLYTE_|AZUREML_|AzureWebJobs|UPSTREAM_|MAX_|STAGING_|CANCEL_|PORT$|HOST$)/.test(k)
    )
      env[k] = v;
  }
  return env;
};

function run(env: Record<string, string>): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [startScript], { cwd: root, env: { ...cleanEnv(), ...env } });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  return { child, output: () => out };
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });

const portOpen = (url: string) =>
  new Promise<boolean>((resolve) => {
    const { hostname, port } = new URL(url);
    const socket = connect(Number(port), hostname);
    socket.once('connect', () => resolve(!!socket.destroy()));
    socket.once('error', () => resolve(false));
  });

describe('npm start', () => {
  beforeAll(() => {
    execFileSync(
      process.execPath,
      [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
      {
        cwd: root,
      },
    );
  }, 120_000);

  describe('with no settings', () => {
    let proc: ReturnType<typeof run>;
    let app: string;
    afterAll(() => {
      proc.child.kill('SIGKILL');
    });

    beforeAll(async () => {
      proc = run({ PORT: '0', GATEWAY_LOCAL_HOST: 'node' });
      const printed = await pollUntil(
        async () => proc.output(),
        (out) => /app\s+http:\/\/\S+/.test(out) || proc.child.exitCode !== null,
        { timeoutMs: 30_000, intervalMs: 100 },
      );
      app = /app\s+(http:\/\/\S+)/.exec(printed)?.[1] ?? '';
      expect(app, printed).not.toBe('');
    }, 40_000);

    it('prints the URLs it serves and every route', () => {
      const out = proc.output();
      expect(out).toMatch(/health\s+http:\/\/127\.0\.0\.1:\d+\/v1\/health/);
      expect(out).toMatch(/Flyte Admin\s+http:\/\/127\.0\.0\.1:\d+ \(embedded emulator/);
      expect(out).toMatch(/Azure ML\s+http:\/\/127\.0\.0\.1:\d+ \(embedded emulator/);
      expect(out).toMatch(/storage\s+http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1 \(embedded Azurite/);
      for (const name of ['createexecution', 'listexecutions', 'getexecutionmetrics'])
        expect(out).toContain(name);
      expect(out).not.toMatch(/AccountKey=/);
    });

    it('answers health with the version and the configured upstreams', async () => {
      const res = await fetch(`${app}/v1/health`);
      expect(res.status).toBe(200);
      const body = await res.json();
      expect(body).toMatchObject({
        status: 'ok',
        version: expect.stringMatching(/^\d+\.\d+\.\d+/),
        upstreams: {
          flyte: { configured: true, auth: 'none' },
          azureml: { configured: true, auth: 'none' },
          storage: { configured: true },
        },
      });
    });

    it('serves a Flyte operation end to end against the embedded emulator', async () => {
      const created = await fetch(`${app}/v1/api/v1/executions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          project: 'flytesnacks',
          domain: 'development',
          name: 'from-npm-start',
          spec: {
            launch_plan: {
              resource_type: 'LAUNCH_PLAN',
              project: 'flytesnacks',
              domain: 'development',
              name: 'lp',
              version: 'v1',
            },
          },
        }),
      });
      expect(created.status).toBe(200);
      const got = await fetch(`${app}/v1/api/v1/executions/flytesnacks/development/from-npm-start`);
      expect(((await got.json()) as { id: { name: string } }).id.name).toBe('from-npm-start');
    });

    it('serves an Azure ML startrun end to end: multipart zip staged in Azurite, forwarded upstream', async () => {
      // Prepare: the README's example files.
      const form = new FormData();
      form.append(
        'runDefinitionFile',
        new Blob([readFileSync(join(root, 'examples/run-definition.json'))]),
        'definition.json',
      );
      form.append(
        'projectZipFile',
        new Blob([readFileSync(join(root, 'examples/project.zip'))]),
        'project.zip',
      );
      const experiment =
        '/v1/execution/v1-0/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/rg-ml' +
        '/providers/microsoft-machinelearningservices/workspaces/ws-demo/experiments/exp-a';
      // Act
      const started = await fetch(`${app}${experiment}/startrun?runId=exp-a_npm-start`, {
        method: 'POST',
        body: form,
      });
      const cancelled = await fetch(`${app}${experiment}/runid/exp-a_npm-start/cancel`, { method: 'POST' });
      // Assess
      expect(started.status).toBe(200);
      expect(await started.json()).toEqual({ runId: 'exp-a_npm-start' });
      expect(cancelled.status).toBe(200);
      expect(await cancelled.json()).toEqual({ runId: 'exp-a_npm-start' });
    });

    it('runs the cancellation queue trigger: a REST batch and a producer message both end with a complete report', async () => {
      // Prepare: one Flyte execution to cancel, and a producer's client on the embedded Azurite
      const out = proc.output();
      const queueUrl = /queue (http:\/\/\S+?\/devstoreaccount1)/.exec(out)?.[1] ?? '';
      const flyte = /Flyte Admin\s+(http:\/\/\S+)/.exec(out)?.[1] ?? '';
      const key = (
        require('azurite/dist/src/blob/utils/constants.js') as { EMULATOR_ACCOUNT_KEY_STR: string }
      ).EMULATOR_ACCOUNT_KEY_STR;
      const queue = new QueueClient(
        `${queueUrl}/cancellations`,
        new StorageSharedKeyCredential('devstoreaccount1', key),
      );
      const target = (name: string) => ({
        kind: 'flyte',
        project: 'flytesnacks',
        domain: 'development',
        name,
      });
      const report = (id: string) =>
        pollUntil(
          async () => {
            const res = await fetch(`${app}/v1/cancellations/${id}`);
            return res.status === 200
              ? ((await res.json()) as { done: boolean; total: number; counts: Record<string, number> })
              : undefined;
          },
          (r) => r?.done === true,
          { timeoutMs: 20_000, intervalMs: 100 },
        );

      // Act
      const posted = await fetch(`${app}/v1/cancellations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ targets: [target('from-npm-start'), target('not-there')] }),
      });
      const { batchId } = (await posted.json()) as { batchId: string };
      const text = Buffer.from(
        JSON.stringify({ cancellation: { targets: [target('also-not-there')] } }),
      ).toString('base64');
      const { messageId } = await queue.sendMessage(text);

      // Assess
      expect(posted.status).toBe(202);
      const rest = await report(batchId);
      const dropped = await report(messageId);
      expect(rest?.total).toBe(2);
      expect(rest?.counts.notFound).toBe(1);
      expect((rest?.counts.cancelled ?? 0) + (rest?.counts.alreadyFinished ?? 0)).toBe(1);
      expect(dropped?.counts).toStrictEqual({
        pending: 0,
        cancelled: 0,
        alreadyFinished: 0,
        notFound: 1,
        failed: 0,
      });
      const journal = (await (await fetch(`${flyte}/_emulator/requests`)).json()) as {
        requests: { method: string; path: string }[];
      };
      expect(
        journal.requests
          .filter((r) => r.method === 'DELETE')
          .map((r) => r.path)
          .sort(),
      ).toStrictEqual([
        '/api/v1/executions/flytesnacks/development/also-not-there',
        '/api/v1/executions/flytesnacks/development/from-npm-start',
        '/api/v1/executions/flytesnacks/development/not-there',
      ]);
    }, 30_000);

    it('stops Azurite, the emulator and the host on SIGTERM', async () => {
      const out = proc.output();
      const azurite = /storage\s+(http:\/\/\S+)\/devstoreaccount1/.exec(out)?.[1] ?? '';
      const emulator = /Flyte Admin\s+(http:\/\/\S+)/.exec(out)?.[1] ?? '';
      expect(await portOpen(azurite)).toBe(true);
      proc.child.kill('SIGTERM');
      expect(await exited(proc.child)).toBe(0);
      expect(await portOpen(app)).toBe(false);
      expect(await portOpen(emulator)).toBe(false);
      await pollUntil(
        () => portOpen(azurite),
        (open) => !open,
        { timeoutMs: 5_000 },
      );
    }, 15_000);
  });

  it('refuses to start on a bad setting, naming it', async () => {
    const proc = run({
      PORT: '0',
      GATEWAY_LOCAL_HOST: 'node',
      FLYTE_AUTH: 'api-key',
      UPSTREAM_TIMEOUT_MS: 'soon',
    });
    expect(await exited(proc.child)).toBe(1);
    expect(proc.output()).toMatch(/FLYTE_API_KEY: required when FLYTE_AUTH=api-key/);
    expect(proc.output()).toMatch(/UPSTREAM_TIMEOUT_MS/);
  }, 30_000);
});
