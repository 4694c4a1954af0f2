/**
 * A client this project did not write: types generated from the served `/v1/openapi.json` by
 * openapi-typescript, and openapi-fetch's `createClient<paths>()` calling every documented
 * operation. The program reads the answers' typed fields (`data.id.name`, `data.closure.phase`,
 * `data.executions[0].id`, `data.span`, the Azure ML run id) with no cast and no `any`; it must
 * type-check under the project's strict tsc, then run against the gateway and the emulators,
 * which must have received what it meant.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import openapiTS, { astToString } from 'openapi-typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, type Gateway, startGateway, WORKSPACE } from '../helpers/gateway.js';
import { operationsOf } from '../helpers/openapi-cases.js';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '../..');
const RUN_ID = 'typed-client-run_1';
const SNAPSHOT = '5d2c7f0e-3b1a-4c8e-9f6d-2a4b8c0e1f3a';

/** The program: every documented operation through the generated types, reading typed fields. */
const PROGRAM = `
import createClient from 'openapi-fetch';
import { readFileSync } from 'node:fs';
import type { paths } from './schema.ts';

const [, , baseUrl = '', zipPath = ''] = process.argv;
const client = createClient<paths>({ baseUrl });
const out: Record<string, unknown> = {};
const id = { 'id-project': 'flytesnacks', 'id-domain': 'development' };
const ws = {
  subscriptionid: '${WORKSPACE.subscription}',
  resourcegroupname: '${WORKSPACE.resourceGroup}',
  workspacename: '${WORKSPACE.workspace}',
  experimentname: 'exp-typed',
};

const health = await client.GET('/v1/health');
out.health = health.response.status;

const created = await client.POST('/v1/api/v1/executions', {
  body: {
    project: 'flytesnacks',
    domain: 'development',
    name: 'typed-one',
    spec: { launch_plan: { resource_type: 'LAUNCH_PLAN', project: 'flytesnacks', domain: 'development', name: 'lp', version: 'v1' } },
  },
});
const createdName: string | undefined = created.data?.id?.name;
out.created = createdName;

const got = await client.GET('/v1/api/v1/executions/{id-project}/{id-domain}/{id-name}', {
  params: { path: { ...id, 'id-name': 'typed-one' } },
});
const phase: string | undefined = got.data?.closure?.phase;
const createdAt: string | null | undefined = got.data?.closure?.created_at;
out.got = { name: got.data?.id?.name, phase, createdAt, launchPlan: got.data?.spec?.launch_plan?.name };

const listed = await client.GET('/v1/api/v1/executions/{id-project}/{id-domain}', {
  params: { path: id, query: { limit: 5, 'sort_by.key': 'created_at', 'sort_by.direction': 'DESCENDING', filters: 'eq(execution_name,typed-one)+value_in(phase,UNDEFINED;QUEUED;RUNNING;SUCCEEDED)' } },
});
const first: string | undefined = listed.data?.executions?.[0]?.id?.name;
out.listed = { first, count: listed.data?.executions?.length, token: listed.data?.token, error: listed.error };

const metrics = await client.GET('/v1/api/v1/metrics/executions/{id-project}/{id-domain}/{id-name}', {
  params: { path: { ...id, 'id-name': 'typed-one' }, query: { depth: 2 } },
});
const span = metrics.data?.span;
out.metrics = { workflow: span?.workflow_id?.name, spans: span?.spans?.length, start: span?.start_time };

const relaunched = await client.POST('/v1/api/v1/executions/relaunch', {
  body: { id: { project: 'flytesnacks', domain: 'development', name: 'typed-one' }, name: 'typed-relaunched' },
});
out.relaunched = relaunched.data?.id?.name;

const recovered = await client.POST('/v1/api/v1/executions/recover', {
  body: { id: { project: 'flytesnacks', domain: 'development', name: 'typed-one' }, name: 'typed-recovered' },
});
out.recovered = recovered.data?.id?.name;

const terminated = await client.DELETE('/v1/api/v1/executions/{id-project}/{id-domain}/{id-name}', {
  params: { path: { ...id, 'id-name': 'typed-relaunched' } },
  body: { cause: 'typed client' },
});
out.terminated = { status: terminated.response.status, data: terminated.data };

const refused = await client.GET('/v1/api/v1/executions/{id-project}/{id-domain}', {
  params: { path: id, query: { limit: 0 } },
});
out.refused = { status: refused.response.status, type: refused.error?.type, paths: refused.error?.errors?.map((e) => e.path) };

const experiment = '/v1/execution/v1-0/subscriptions/{subscriptionid}/resourcegroups/{resourcegroupname}/providers/microsoft-machinelearningservices/workspaces/{workspacename}/experiments/{experimentname}';

const snapshot = await client.POST(\`\${experiment}/snapshotrun\`, {
  params: { path: ws, query: { runId: '${RUN_ID}' } },
  body: { snapshotId: '${SNAPSHOT}', configuration: { script: 'train.py', target: 'cpu-cluster' } },
});
const snapshotRunId: string | undefined = snapshot.data?.runId;
out.snapshot = snapshotRunId;

const canceled = await client.POST(\`\${experiment}/runid/{runid}/cancel\`, {
  params: { path: { ...ws, runid: '${RUN_ID}' } },
});
out.canceled = canceled.data?.runId;

const local = await client.POST(\`\${experiment}/startlocalrun\`, {
  params: { path: ws },
  body: { configuration: { script: 'train.py', target: 'local' } },
  parseAs: 'arrayBuffer',
});
out.local = { status: local.response.status, bytes: local.data?.byteLength, type: local.response.headers.get('content-type') };

const slot = await client.POST('/v1/uploads');
const uploadUrl: string | undefined = slot.data?.uploadUrl;
const stagedZipId: string | undefined = slot.data?.uploadId;
if (uploadUrl === undefined || stagedZipId === undefined) throw new Error('no upload slot: ' + JSON.stringify(slot.error));
const put = await fetch(uploadUrl, { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob' }, body: readFileSync(zipPath) });
const remote = await client.POST(\`\${experiment}/startrun\`, {
  params: { path: ws },
  body: { runDefinition: { configuration: { script: 'train.py', target: 'cpu-cluster' } }, stagedZipId },
});
const remoteRunId: string | undefined = remote.data?.runId;
out.remote = { put: put.status, runId: remoteRunId };

const batch = await client.POST('/v1/cancellations', {
  body: { cause: 'typed client', targets: [{ kind: 'flyte', project: 'flytesnacks', domain: 'development', name: 'typed-recovered' }] },
});
const batchId: string | undefined = batch.data?.batchId;
out.batch = { status: batch.response.status, total: batch.data?.total };
if (batchId !== undefined) {
  const report = await client.GET('/v1/cancellations/{batchId}', { params: { path: { batchId } } });
  out.report = { total: report.data?.total, targets: report.data?.targets?.length };
}

const accept = 'application/json, text/event-stream';
const tools = await client.POST('/mcp', {
  body: { jsonrpc: '2.0', id: 1, method: 'tools/list' },
  headers: { accept },
});
out.mcp = { status: tools.response.status, jsonrpc: tools.response.ok ? 'answered' : tools.error };
const notAcceptable = await client.POST('/mcp', {
  body: { jsonrpc: '2.0', id: 2, method: 'tools/list' },
  headers: { accept: 'application/json' },
});
// A refusal of the MCP transport is a JSON-RPC error; the body cap's is a problem.
const refusal = notAcceptable.error;
out.mcp406 = { status: notAcceptable.response.status, message: refusal && 'jsonrpc' in refusal ? refusal.error.message : undefined };
const stream = await client.GET('/mcp');
out.mcpGet = { status: stream.response.status, allow: stream.response.headers.get('allow'), code: stream.error?.error.code };
const end = await client.DELETE('/mcp');
out.mcpDelete = end.response.status;

console.log(JSON.stringify(out));
`;

const TSCONFIG = {
  compilerOptions: {
    strict: true,
    noEmit: true,
    noUncheckedIndexedAccess: true,
    module: 'nodenext',
    moduleResolution: 'nodenext',
    target: 'es2022',
    lib: ['es2023', 'dom'],
    types: ['node'],
    allowImportingTsExtensions: true,
    skipLibCheck: true,
  },
  include: ['*.mts', '*.ts'],
};

describe('a client generated from /v1/openapi.json (openapi-typescript + openapi-fetch)', () => {
  let gw: Gateway;
  let dir: string;

  beforeAll(async () => {
    gw = await startGateway({ azureml: true });
    dir = mkdtempSync(join(tmpdir(), 'typed-client-'));
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(TSCONFIG));
    writeFileSync(join(dir, 'client.mts'), PROGRAM);
  }, 60_000);
  afterAll(async () => {
    await gw?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('type-checks without casts, calls every operation and reads typed answers', async () => {
    // Prepare
    const doc = (await call(gw, 'GET', '/v1/openapi.json')).json();
    const types = astToString(await openapiTS(doc));
    writeFileSync(join(dir, 'schema.ts'), types);
    const documented = operationsOf(doc).map((o) => `${o.method} ${o.path}`);

    // Act
    const tsc = await run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', dir]).catch(
      (error: { stdout: string; stderr: string }) => ({ ...error, failed: true }),
    );
    const ran = await run(process.execPath, [
      '--experimental-strip-types',
      '--no-warnings',
      join(dir, 'client.mts'),
      gw.url,
      join(ROOT, 'examples/project.zip'),
    ]);
    const out = JSON.parse(ran.stdout);

    // Assess: the program is honest and complete
    expect('failed' in tsc ? `${tsc.stdout}${tsc.stderr}` : '').toBe('');
    // No `x as T`, no `<T>x`, no `any`, no non-null assertion `x!.`.
    expect(PROGRAM).not.toMatch(/\bas\s+(?!const\b)[A-Za-z{[]|\bany\b|[=(,:]\s*<[A-Za-z]+>|[\w)\]]!\./);
    for (const operation of documented) {
      const [method, path] = operation.split(' ') as [string, string];
      const template = path.replace(
        /^\/v1\/execution\/v1-0\/.*\/experiments\/\{experimentname\}/,
        `\${experiment}`,
      );
      expect(PROGRAM, `${operation} is not called`).toContain(
        path.startsWith('/v1/execution/') ? `${template}\`` : `client.${method}('${path}'`,
      );
    }

    // Assess: Flyte answers, typed as flyteidl's messages
    expect(out.health).toBe(200);
    expect(out.created).toBe('typed-one');
    expect(out.got).toMatchObject({ name: 'typed-one', launchPlan: 'lp' });
    expect(out.got.phase).toMatch(/^(UNDEFINED|QUEUED|RUNNING|SUCCEEDING|SUCCEEDED)$/);
    expect(out.got.createdAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(out.listed).toMatchObject({ first: 'typed-one', count: 1 });
    expect(out.metrics.workflow).toBe('typed-one');
    expect(out.relaunched).toBe('typed-relaunched');
    expect(out.recovered).toBe('typed-recovered');
    expect(out.terminated).toStrictEqual({ status: 200, data: {} });
    expect(out.refused).toStrictEqual({
      status: 400,
      type: '/problems/validation-failed',
      paths: ['query.limit'],
    });

    // Assess: Azure ML answers carry the run id
    expect(out.snapshot).toBe(RUN_ID);
    expect(out.canceled).toBe(RUN_ID);
    expect(out.local).toMatchObject({ status: 200 });
    expect(out.local.bytes).toBeGreaterThan(0);
    expect(out.remote.put).toBe(201);
    expect(out.remote.runId).toMatch(/^exp-typed_\d+_[0-9a-f]{8}$/);

    // Assess: the gateway's own routes
    expect(out.batch).toStrictEqual({ status: 202, total: 1 });
    expect(out.report).toMatchObject({ total: 1 });
    expect(out.mcp).toStrictEqual({ status: 200, jsonrpc: 'answered' });
    expect(out.mcp406).toStrictEqual({
      status: 406,
      message: 'Not Acceptable: Client must accept both application/json and text/event-stream',
    });
    expect(out.mcpGet).toStrictEqual({ status: 405, allow: 'POST', code: -32000 });
    expect(out.mcpDelete).toBe(405);

    // Assess: what the upstreams received is what the program meant
    const flyte = gw.emulator.requests.map((r) => `${r.method} ${r.path}`);
    expect(flyte).toEqual(
      expect.arrayContaining([
        'POST /api/v1/executions',
        'GET /api/v1/executions/flytesnacks/development/typed-one',
        'GET /api/v1/executions/flytesnacks/development',
        'GET /api/v1/metrics/executions/flytesnacks/development/typed-one',
        'POST /api/v1/executions/relaunch',
        'POST /api/v1/executions/recover',
        'DELETE /api/v1/executions/flytesnacks/development/typed-relaunched',
      ]),
    );
    const list = gw.emulator.requests.find((r) => r.path === '/api/v1/executions/flytesnacks/development');
    expect(list?.query).toMatchObject({
      limit: '5',
      filters: 'eq(execution_name,typed-one)+value_in(phase,UNDEFINED;QUEUED;RUNNING;SUCCEEDED)',
      'sort_by.key': 'created_at',
      'sort_by.direction': 'DESCENDING',
    });
    const azureml = (gw.azureml?.requests ?? []).map(
      (r) => `${r.method} ${r.path.split('/experiments/')[1]}`,
    );
    expect(azureml).toEqual(
      expect.arrayContaining([
        'POST exp-typed/snapshotrun',
        `POST exp-typed/runId/${RUN_ID}/cancel`,
        'POST exp-typed/startlocalrun',
        'POST exp-typed/startrun',
      ]),
    );
  }, 120_000);
});
