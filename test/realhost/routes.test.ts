/**
 * Every route of the app under the REAL Azure Functions host (../shared/realhost), over HTTP,
 * with function keys as in Azure: each catalog operation with the query strings and bodies
 * that the host also binds into `request.params` (so a handler that read them from there would
 * refuse or misroute them), health, upload slots, batch cancellations and their report, /mcp,
 * OpenAPI, docs, the catch-all's 404/405 — asserting each answer and what the emulators
 * received. Every function-level route runs with the key in `x-functions-key` and in `?code=`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { QueueClient } from '@azure/storage-queue';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { invocationBundle } from '../../sandbox/azureml/run-operations.js';
import {
  buildZip,
  EXPERIMENT,
  example,
  experimentPath,
  readZip,
  sha256,
  startRunForm,
  upstreamExperimentPath,
} from '../helpers/azureml-requests.js';
import { WORKSPACE } from '../helpers/gateway.js';
import { contractTools, FLYTE_ID, jsonOf } from '../helpers/mcp-client.js';
import { pollUntil } from '../helpers/poll.js';
import { getRaw } from '../helpers/raw-get.js';
import {
  describeRealHost,
  type KeyMode,
  MASTER_KEY,
  REALHOST_HOOK_TIMEOUT_MS,
  REPO_ROOT,
  type RealHost,
  startRealHost,
} from '../helpers/realhost.js';

const EXECUTIONS = '/v1/api/v1/executions';
const ID = { project: 'flytesnacks', domain: 'development' };
const EXP = experimentPath();
const UPSTREAM_EXP = upstreamExperimentPath();
const FROZEN_AT = Date.UTC(2025, 0, 15, 10, 30, 0);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const VERSION = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).version;

/** Every function-level route, with a request that would otherwise be valid. */
const FUNCTION_ROUTES: { name: string; method: string; path: string; body?: unknown }[] = [
  { name: 'createexecution', method: 'POST', path: EXECUTIONS, body: example('create-execution.json') },
  {
    name: 'recoverexecution',
    method: 'POST',
    path: `${EXECUTIONS}/recover`,
    body: example('recover-execution.json'),
  },
  {
    name: 'relaunchexecution',
    method: 'POST',
    path: `${EXECUTIONS}/relaunch`,
    body: example('relaunch-execution.json'),
  },
  { name: 'listexecutions', method: 'GET', path: `${EXECUTIONS}/flytesnacks/development?limit=5` },
  { name: 'getexecution', method: 'GET', path: `${EXECUTIONS}/flytesnacks/development/some-run` },
  {
    name: 'terminateexecution',
    method: 'DELETE',
    path: `${EXECUTIONS}/flytesnacks/development/some-run`,
    body: { cause: 'no key' },
  },
  {
    name: 'getexecutionmetrics',
    method: 'GET',
    path: '/v1/api/v1/metrics/executions/flytesnacks/development/some-run?depth=3',
  },
  { name: 'microsoftazurerunsstartrun', method: 'POST', path: `${EXP}/startrun?runId=no-key` },
  {
    name: 'microsoftazurerunsstartsnapshotrun',
    method: 'POST',
    path: `${EXP}/snapshotrun?runId=no-key`,
    body: example('snapshot-run-definition.json'),
  },
  {
    name: 'microsoftazurerunsstartlocalrun',
    method: 'POST',
    path: `${EXP}/startlocalrun?runId=no-key`,
    body: example('local-run-definition.json'),
  },
  { name: 'microsoftazurerunscancelrunwithuri', method: 'POST', path: `${EXP}/runid/no-key/cancel` },
  { name: 'uploadslot', method: 'POST', path: '/v1/uploads' },
  { name: 'cancellations', method: 'POST', path: '/v1/cancellations', body: example('cancel-batch.json') },
  {
    name: 'cancellationreport',
    method: 'GET',
    path: '/v1/cancellations/00000000-0000-4000-8000-000000000000',
  },
  {
    name: 'mcp',
    method: 'POST',
    path: '/mcp',
    body: { jsonrpc: '2.0', id: 1, method: 'tools/list' },
  },
];

describeRealHost('the app under the real Functions host: every route', () => {
  let host: RealHost;
  /** The Azure ML emulator clock: real time unless a test freezes it (startlocalrun's zip has timestamps). */
  let frozen: number | undefined;

  beforeAll(async () => {
    host = await startRealHost({ azureml: { now: () => frozen ?? Date.now() } });
    console.info(
      `[realhost] routes: host serving after ${host.startMs} ms (pid ${host.pid}, log ${host.logFile})`,
    );
  }, REALHOST_HOOK_TIMEOUT_MS);
  afterAll(async () => {
    await host?.stop();
  }, REALHOST_HOOK_TIMEOUT_MS);
  beforeEach(({ onTestFailed }) => {
    frozen = undefined;
    host.flyte.reset();
    host.azureml.reset();
    const mark = host.logMark();
    onTestFailed(() => {
      console.error(`[realhost] host log during the failed test:\n${host.logSince(mark).slice(-12_000)}`);
    });
  });

  const flyteLast = () => host.flyte.requests.at(-1);

  describe('the host', () => {
    it('maps every HTTP function to its own route, the catch-all last; only the queue trigger is in error', () => {
      // Assess: the host's route table as it printed it (tried in this order, first match wins)
      const log = host.logSince(0);
      const mapped = [...log.matchAll(/Mapped function route '([^']+)' \[([^\]]+)\] to '([^']+)'/g)].map(
        (m) => ({ route: m[1] ?? '', methods: m[2] ?? '', name: m[3] ?? '' }),
      );
      const names = mapped.map((m) => m.name);
      for (const route of FUNCTION_ROUTES) expect(names).toContain(route.name);
      for (const name of ['health', 'openapi', 'oauthprotectedresource', 'docs', 'docsasset'])
        expect(names).toContain(name);
      expect(mapped).toHaveLength(FUNCTION_ROUTES.length + 6);
      expect(mapped.at(-1)?.route).toBe('/{*path}');
      expect(mapped.filter((m) => m.route.includes('{*path}'))).toHaveLength(1);
      const inError = [...log.matchAll(/The '([^']+)' function is in error/g)].map((m) => m[1]);
      // TODO(queue trigger): needs the Storage Queues extension in bin/ (installStorageQueuesExtension).
      expect(inError.filter((name) => name !== 'cancellationqueue')).toEqual([]);
      if (!host.queueTriggerLoaded) expect(inError).toContain('cancellationqueue');
    });

    it('each request reaches its own function: the host log names the function it ran', async () => {
      const routes = [
        ...FUNCTION_ROUTES,
        { name: 'health', method: 'GET', path: '/v1/health' },
        { name: 'openapi', method: 'GET', path: '/v1/openapi.json' },
        { name: 'oauthprotectedresource', method: 'GET', path: '/.well-known/oauth-protected-resource' },
        { name: 'docs', method: 'GET', path: '/v1/docs' },
        { name: 'docsasset', method: 'GET', path: '/v1/docs/swagger-ui.css' },
        { name: 'fallback', method: 'GET', path: '/v1/no-such-route' },
      ];
      const ran: [string, string][] = [];
      for (const route of routes) {
        // Act
        const mark = host.logMark();
        const res = await host.call(route.method, route.path, {
          body: route.body,
          headers: route.name === 'mcp' ? { accept: 'application/json, text/event-stream' } : {},
        });
        // Assess: the host's own record of the invocation, found by the id it answered with
        const id = res.headers.get('x-ms-invocation-id');
        const invocation = new RegExp(`Executing 'Functions\\.([^']+)' \\([^)]*Id=${id}`);
        const log = id
          ? await pollUntil(
              async () => host.logSince(mark),
              (text) => invocation.test(text),
              { timeoutMs: 5_000, intervalMs: 25 },
            )
          : '';
        const name = invocation.exec(log)?.[1] ?? `no invocation (${res.status})`;
        ran.push([route.name, route.name === 'fallback' && /fallback$/.test(name) ? 'fallback' : name]);
        // The batch is cancelled by the queue trigger meanwhile: let it finish before the next
        // test counts upstream calls.
        if (route.name === 'cancellations' && host.queueTriggerLoaded) {
          await pollUntil(
            () => host.call('GET', `/v1/cancellations/${res.json().batchId}`),
            (r) => r.status === 200 && r.json().done === true,
            { timeoutMs: 30_000, intervalMs: 200 },
          );
        }
      }
      expect(ran).toEqual(routes.map((r) => [r.name, r.name]));
    });
  });

  describe('keys', () => {
    it('function-level routes refuse a request with no key or a wrong key; nothing reaches an upstream', async () => {
      host.flyte.requests.length = 0;
      host.azureml.requests.length = 0;
      const answers: string[] = [];
      for (const route of FUNCTION_ROUTES) {
        // Act
        const none = await host.call(route.method, route.path, { key: 'none', body: route.body });
        const wrongHeader = await host.call(route.method, route.path, {
          key: 'none',
          body: route.body,
          headers: { 'x-functions-key': 'not-the-key' },
        });
        const sep = route.path.includes('?') ? '&' : '?';
        const wrongCode = await host.call(route.method, `${route.path}${sep}code=not-the-key`, {
          key: 'none',
          body: route.body,
        });
        answers.push(
          `${route.name}: ${none.status} ${JSON.stringify(Object.fromEntries(none.headers))} body=${JSON.stringify(none.text)}`,
        );
        // Assess: the host's own refusal, as in Azure
        expect([route.name, none.status, none.text]).toEqual([route.name, 401, '']);
        expect([route.name, wrongHeader.status]).toEqual([route.name, 401]);
        expect([route.name, wrongCode.status]).toEqual([route.name, 401]);
      }
      console.info(`[realhost] answers without a key:\n  ${answers.join('\n  ')}`);
      expect(host.flyte.requests).toEqual([]);
      expect(host.azureml.requests).toEqual([]);
    });

    it('the master key is accepted too', async () => {
      const res = await host.call('GET', `${EXECUTIONS}/flytesnacks/development?limit=1`, {
        key: 'none',
        headers: { 'x-functions-key': MASTER_KEY },
      });
      expect(res.status, res.text).toBe(200);
    });

    it.each([
      ['GET', '/v1/health'],
      ['GET', '/v1/openapi.json'],
      ['GET', '/v1/docs'],
      ['GET', '/v1/docs/swagger-ui.css'],
      ['GET', '/v1/no-such-route'],
      ['PUT', EXECUTIONS],
    ])('anonymous: %s %s needs no key', async (method, path) => {
      const res = await host.call(method, path, { key: 'none' });
      expect(res.status).not.toBe(401);
      expect(res.status).toBeLessThan(500);
    });

    it('finds the files it reads beside the bundle: the swaggers, and swagger-ui in node_modules', async () => {
      // The host loads dist/app/main.js; the OpenAPI answer schemas come from dist/specs and the
      // reference page's assets from swagger-ui-dist's folder, both found from there.
      const openapi = await host.call('GET', '/v1/openapi.json', { key: 'none' });
      const css = await host.call('GET', '/v1/docs/swagger-ui.css', { key: 'none' });
      expect(openapi.status, openapi.text).toBe(200);
      expect((JSON.parse(openapi.text) as { openapi?: string }).openapi).toMatch(/^3\./);
      expect(openapi.text).toContain('adminExecution');
      expect(css.status).toBe(200);
      expect(css.headers.get('content-type')).toMatch(/^text\/css/);
      expect(css.text).toContain('.swagger-ui');
    });
  });

  describe.each(['header', 'code'] as KeyMode[])('operations with the key in %s', (key) => {
    const tag = key === 'code' ? 'c' : 'h';
    const create = async (name: string) => {
      const res = await host.call('POST', EXECUTIONS, {
        key,
        body: { ...example('create-execution.json'), name },
      });
      expect(res.status, res.text).toBe(200);
    };
    const noCredentialUpstream = (sent: {
      query: Record<string, string>;
      headers: Record<string, string>;
    }) => {
      expect(sent.query.code).toBeUndefined();
      expect(sent.headers['x-functions-key']).toBeUndefined();
    };

    it('createexecution: body fields project/domain/name, which the host also binds into its params', async () => {
      // Prepare: the host binds the body's top-level strings into request.params: the body must
      // still be what is created. (A query of the same name, ?name=…, is refused: query-params tests.)
      const body = { ...example('create-execution.json'), name: `create-${tag}` };
      // Act
      const res = await host.call('POST', EXECUTIONS, {
        key,
        body,
        headers: { 'x-request-id': `req-create-${tag}` },
      });
      // Assess
      expect(res.status, res.text).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.headers.get('x-request-id')).toBe(`req-create-${tag}`);
      expect(res.json()).toEqual({ id: { ...ID, name: `create-${tag}`, org: '' } });
      expect(host.flyte.requests).toHaveLength(1);
      const sent = host.flyte.requests[0];
      expect(sent).toMatchObject({ method: 'POST', path: '/api/v1/executions', query: {} });
      expect(sent?.headers['x-request-id']).toBe(`req-create-${tag}`);
      expect(JSON.parse(sent?.body ?? '')).toEqual(body);
      if (sent) noCredentialUpstream(sent);
    });

    it('getexecution: route values from the path; a query field of the same name is not one', async () => {
      // Prepare
      await create(`get-${tag}`);
      // Act: the host would put id-name=other into request.params if the route did not win; the
      // gateway refuses the unknown query parameter, and reads the route value from the path.
      const refused = await host.call(
        'GET',
        `${EXECUTIONS}/flytesnacks/development/get-${tag}?id-name=other`,
        {
          key,
        },
      );
      const res = await host.call('GET', `${EXECUTIONS}/flytesnacks/development/get-${tag}`, { key });
      // Assess
      expect(refused.status, refused.text).toBe(400);
      expect(refused.json().errors).toEqual([{ path: 'query.id-name', message: 'is not a known field' }]);
      expect(res.status, res.text).toBe(200);
      expect(res.json().id).toEqual({ ...ID, name: `get-${tag}`, org: '' });
      expect(flyteLast()).toMatchObject({
        method: 'GET',
        path: `/api/v1/executions/flytesnacks/development/get-${tag}`,
        query: {},
      });
    });

    it('listexecutions: ?limit=5&sort_by.key=created_at&sort_by.direction=DESCENDING&filters=… reach the upstream', async () => {
      // Prepare
      for (const name of ['list-a', 'list-b', 'list-c']) await create(`${name}-${tag}`);
      const query = new URLSearchParams({
        limit: '5',
        'sort_by.key': 'created_at',
        'sort_by.direction': 'DESCENDING',
        filters: 'value_in(phase,UNDEFINED;QUEUED;RUNNING;SUCCEEDED)',
      });
      // Act
      const res = await host.call('GET', `${EXECUTIONS}/flytesnacks/development?${query}`, { key });
      // Assess
      expect(res.status, res.text).toBe(200);
      expect(res.json().executions.map((e: { id: { name: string } }) => e.id.name)).toEqual([
        `list-c-${tag}`,
        `list-b-${tag}`,
        `list-a-${tag}`,
      ]);
      const sent = flyteLast();
      expect(sent?.path).toBe('/api/v1/executions/flytesnacks/development');
      expect(sent?.query).toEqual({
        limit: '5',
        'sort_by.key': 'created_at',
        'sort_by.direction': 'DESCENDING',
        filters: 'value_in(phase,UNDEFINED;QUEUED;RUNNING;SUCCEEDED)',
      });
      if (sent) noCredentialUpstream(sent);
    });

    it('terminateexecution: DELETE with a JSON body {"cause": …}', async () => {
      // Prepare
      await create(`stop-${tag}`);
      // Act
      const res = await host.call('DELETE', `${EXECUTIONS}/flytesnacks/development/stop-${tag}`, {
        key,
        body: { cause: 'stopped by the realhost suite' },
      });
      // Assess
      expect(res.status, res.text).toBe(200);
      expect(res.json()).toEqual({});
      expect(flyteLast()).toMatchObject({
        method: 'DELETE',
        path: `/api/v1/executions/flytesnacks/development/stop-${tag}`,
      });
      expect(JSON.parse(flyteLast()?.body ?? '')).toEqual({ cause: 'stopped by the realhost suite' });
      const aborted = await pollUntil(
        () => host.call('GET', `${EXECUTIONS}/flytesnacks/development/stop-${tag}`, { key }),
        (r) => r.status === 200 && r.json().closure.phase === 'ABORTED',
      );
      expect(aborted.json().closure.abort_metadata.cause).toBe('stopped by the realhost suite');
    });

    it('getexecutionmetrics: ?depth=3', async () => {
      // Prepare
      await create(`measure-${tag}`);
      // Act
      const res = await host.call(
        'GET',
        `/v1/api/v1/metrics/executions/flytesnacks/development/measure-${tag}?depth=3`,
        {
          key,
        },
      );
      // Assess
      expect(res.status, res.text).toBe(200);
      expect(res.json().span.workflow_id).toEqual({ ...ID, name: `measure-${tag}`, org: '' });
      expect(flyteLast()).toMatchObject({
        path: `/api/v1/metrics/executions/flytesnacks/development/measure-${tag}`,
        query: { depth: '3' },
      });
    });

    it.each([
      ['recoverexecution', 'recover', 'recover-execution.json', 'RECOVERED'],
      ['relaunchexecution', 'relaunch', 'relaunch-execution.json', 'RELAUNCH'],
    ])(
      '%s: a body with top-level id (object), name and flags, bound into the host params too',
      async (_name, path, file, mode) => {
        // Prepare
        await create('nightly-etl-0001');
        const body = { ...example(file), name: `${example(file).name}-${tag}` };
        // Act: the host's params get the body's name (a ?name= query is refused, not read)
        const res = await host.call('POST', `${EXECUTIONS}/${path}`, { key, body });
        // Assess
        expect(res.status, res.text).toBe(200);
        expect(res.json()).toEqual({ id: { ...ID, name: body.name, org: '' } });
        expect(flyteLast()?.path).toBe(`/api/v1/executions/${path}`);
        expect(JSON.parse(flyteLast()?.body ?? '')).toEqual(body);
        const created = await host.call('GET', `${EXECUTIONS}/flytesnacks/development/${body.name}`, { key });
        expect(created.json().spec.metadata.mode).toBe(mode);
      },
    );

    it('snapshotrun: ?runId=… is the run id sent upstream; body fields named like route params change nothing', async () => {
      // Prepare: a RunDefinition passes unknown fields through; these are named like the route's
      // params, which the host puts into request.params under the route values.
      const definition = {
        ...example('snapshot-run-definition.json'),
        experimentname: 'exp-elsewhere',
        runid: 'run-from-body',
      };
      // Act
      const res = await host.call('POST', `${EXP}/snapshotrun?runId=snap-${tag}`, { key, body: definition });
      // Assess
      expect(res.status, res.text).toBe(200);
      expect(res.json()).toEqual({ runId: `snap-${tag}` });
      expect(host.azureml.requests).toHaveLength(1);
      const sent = host.azureml.requests[0];
      expect(sent).toMatchObject({
        method: 'POST',
        path: `${UPSTREAM_EXP}/snapshotrun`,
        query: { runId: `snap-${tag}` },
      });
      expect(JSON.parse(sent?.body ?? '')).toEqual(definition);
      if (sent) noCredentialUpstream(sent);
      expect(host.azureml.runs.getRun(WORKSPACE.workspace, EXPERIMENT, `snap-${tag}`)).toMatchObject({
        operation: 'snapshotrun',
        snapshotId: definition.snapshotId,
      });
    });

    it('startlocalrun: ?runId=…; the binary zip answer streams back with its type, length and disposition', async () => {
      // Prepare
      frozen = FROZEN_AT;
      const definition = example('local-run-definition.json');
      const expected = invocationBundle({ runId: `local-${tag}`, script: 'train.py' }, EXPERIMENT, FROZEN_AT);
      // Act
      const res = await host.call('POST', `${EXP}/startlocalrun?runId=local-${tag}`, {
        key,
        body: definition,
      });
      // Assess
      expect(res.status, res.text).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/octet-stream');
      expect(res.headers.get('content-disposition')).toBe('attachment; filename="invocation.zip"');
      expect(res.headers.get('content-length')).toBe(String(expected.length));
      expect(sha256(res.bytes)).toBe(sha256(expected));
      expect(Object.keys(readZip(res.bytes))).toEqual([
        'azureml-setup/Invocation.sh',
        'azureml-setup/Invocation.bat',
      ]);
      expect(host.azureml.requests[0]).toMatchObject({
        path: `${UPSTREAM_EXP}/startlocalrun`,
        query: { runId: `local-${tag}` },
      });
      expect(JSON.parse(host.azureml.requests[0]?.body ?? '')).toEqual(definition);
    });

    it('startrun (multipart): ?runId=…; the upstream got the same zip bytes', async () => {
      // Prepare
      const zip = buildZip([
        { name: 'train.py', data: `print("realhost ${tag}")\n` },
        { name: 'conda.yml', data: 'dependencies:\n  - python=3.10\n' },
      ]);
      const definition = example('run-definition.json');
      // Act
      const res = await host.call('POST', `${EXP}/startrun?runId=start-${tag}`, {
        key,
        body: startRunForm(definition, zip),
      });
      // Assess
      expect(res.status, res.text).toBe(200);
      expect(res.json()).toEqual({ runId: `start-${tag}` });
      expect(host.azureml.requests.map((r) => [r.path, r.query])).toEqual([
        [`${UPSTREAM_EXP}/startrun`, { runId: `start-${tag}` }],
      ]);
      const run = host.azureml.runs.getRun(WORKSPACE.workspace, EXPERIMENT, `start-${tag}`);
      expect(run?.zip).toEqual({ bytes: zip.length, sha256: sha256(zip), filename: 'project.zip' });
      expect(run?.definition).toEqual(definition);
    });

    it('cancel: …/runid/{runid}/cancel reaches …/runId/{runId}/cancel', async () => {
      // Prepare
      const started = await host.call('POST', `${EXP}/snapshotrun?runId=cancel-${tag}`, {
        key,
        body: example('snapshot-run-definition.json'),
      });
      expect(started.status, started.text).toBe(200);
      host.azureml.requests.length = 0;
      // Act
      const res = await host.call('POST', `${EXP}/runid/cancel-${tag}/cancel`, { key });
      // Assess
      expect(res.status, res.text).toBe(200);
      expect(res.json()).toEqual({ runId: `cancel-${tag}` });
      expect(host.azureml.requests).toHaveLength(1);
      expect(host.azureml.requests[0]).toMatchObject({
        method: 'POST',
        path: `${UPSTREAM_EXP}/runId/cancel-${tag}/cancel`,
        query: {},
        status: 200,
      });
    });

    it('upload slot: POST /v1/uploads, PUT the zip to the SAS URL on Azurite, startrun {runDefinition, stagedZipId} with the same key only', async () => {
      // Prepare
      const zip = buildZip([{ name: 'train.py', data: `print("from a slot ${tag}")\n` }]);
      const definition = example('run-definition.json');
      // Act: the slot
      const slotted = await host.call('POST', '/v1/uploads', { key });
      expect(slotted.status, slotted.text).toBe(201);
      const slot = slotted.json() as { uploadId: string; uploadUrl: string; expiresOn: string };
      expect(slot.uploadId).toMatch(UUID);
      // Stored under the digest of the key the worker saw (the host passes x-functions-key on).
      expect(slot.uploadUrl).toMatch(
        new RegExp(`^${host.azurite.blobUrl}/staging/k-[0-9a-f]{32}/${slot.uploadId}\\.zip\\?`),
      );
      expect(slotted.headers.get('cache-control')).toBe('no-store');
      // Act: the upload, straight to storage
      const put = await fetch(slot.uploadUrl, {
        method: 'PUT',
        body: zip,
        headers: { 'x-ms-blob-type': 'BlockBlob', 'content-type': 'application/zip' },
      });
      expect(put.status, await put.text()).toBe(201);
      // Act: the run, by id: with the master key (another caller) it is unknown; with the
      // function key in ?code= (the host's other place for it) it runs.
      const body = { runDefinition: definition, stagedZipId: slot.uploadId };
      const other = await host.call('POST', `${EXP}/startrun?runId=slot-${tag}`, {
        key: 'none',
        headers: { 'x-functions-key': MASTER_KEY },
        body,
      });
      const res = await host.call('POST', `${EXP}/startrun?runId=slot-${tag}`, { key: 'code', body });
      // Assess
      expect([other.status, other.json().errors?.[0]?.path]).toEqual([400, 'body.stagedZipId']);
      expect(res.status, res.text).toBe(200);
      expect(res.json()).toEqual({ runId: `slot-${tag}` });
      expect(host.azureml.requests.map((r) => [r.path, r.query.runId])).toEqual([
        [`${UPSTREAM_EXP}/startrun`, `slot-${tag}`],
      ]);
      expect(host.azureml.runs.getRun(WORKSPACE.workspace, EXPERIMENT, `slot-${tag}`)?.zip).toEqual({
        bytes: zip.length,
        sha256: sha256(zip),
        filename: 'project.zip',
      });
    });

    it('cancellations: POST answers 202 with a statusUrl on this host; the queue trigger cancels every target', async () => {
      // Prepare: a running and a finished execution, a running Azure ML run, and two targets
      // that do not exist.
      host.flyte.seed([
        { ...ID, name: `batch-a-${tag}`, phase: 'RUNNING' },
        { ...ID, name: `batch-done-${tag}`, phase: 'SUCCEEDED' },
      ]);
      host.azureml.seed({ experimentName: EXPERIMENT, runId: `batch-run-${tag}`, status: 'Running' });
      host.flyte.requests.length = 0;
      host.azureml.requests.length = 0;
      const run = (runId: string) => ({
        kind: 'azureml',
        subscriptionId: WORKSPACE.subscription,
        resourceGroupName: WORKSPACE.resourceGroup,
        workspaceName: WORKSPACE.workspace,
        experimentName: EXPERIMENT,
        runId,
      });
      const batch = {
        cause: `realhost ${tag}`,
        targets: [
          { kind: 'flyte', ...ID, name: `batch-a-${tag}` },
          { kind: 'flyte', ...ID, name: `batch-done-${tag}` },
          { kind: 'flyte', ...ID, name: `batch-b-${tag}` },
          run(`batch-run-${tag}`),
          run(`batch-gone-${tag}`),
        ],
      };
      const queue = new QueueClient(host.azurite.connectionString, 'cancellations');
      const queuedBefore = (await queue.exists())
        ? ((await queue.getProperties()).approximateMessagesCount ?? 0)
        : 0;

      // Act
      const res = await host.call('POST', '/v1/cancellations', { key, body: batch });

      // Assess: accepted
      expect(res.status, res.text).toBe(202);
      const { batchId, total, statusUrl } = res.json();
      expect(batchId).toMatch(UUID);
      expect(total).toBe(5);
      expect(statusUrl).toBe(`${host.url}/v1/cancellations/${batchId}`);
      expect(res.headers.get('location')).toBe(statusUrl);
      // The report, at the status URL (with a strict query: limit, plus the key)
      const report = await host.call('GET', `${new URL(statusUrl).pathname}?limit=10`, { key });
      expect(report.status, report.text).toBe(200);
      expect(report.json()).toMatchObject({ batchId, total: 5, cause: `realhost ${tag}` });
      expect(report.json().targets.map((t: { index: number }) => t.index)).toEqual([0, 1, 2, 3, 4]);
      if (!host.queueTriggerLoaded) {
        // Without dotnet (never in CI: the harness fails there) the extension is not built and
        // the host does not load the queue trigger: the batch stays queued, every target pending.
        expect(report.json().counts).toMatchObject({ pending: 5 });
        const queued = (await queue.getProperties()).approximateMessagesCount ?? 0;
        expect(queued - queuedBefore).toBeGreaterThanOrEqual(1);
        return;
      }
      // The real host's queue listener runs the trigger.
      const done = await pollUntil(
        () => host.call('GET', `/v1/cancellations/${batchId}?outcome=cancelled`, { key }),
        (r) => r.status === 200 && r.json().done === true,
        { timeoutMs: 20_000, intervalMs: 200 },
      );
      expect(done.json().counts).toEqual({
        pending: 0,
        cancelled: 2,
        alreadyFinished: 1,
        notFound: 2,
        failed: 0,
      });
      const all = await host.call('GET', `/v1/cancellations/${batchId}`, { key });
      expect(
        all.json().targets.map((t: { outcome: string; attempts: number }) => [t.outcome, t.attempts]),
      ).toEqual([
        ['cancelled', 1],
        ['alreadyFinished', 1],
        ['notFound', 1],
        ['cancelled', 1],
        ['notFound', 1],
      ]);
      const cause = JSON.stringify({ cause: `realhost ${tag}` });
      expect(host.flyte.requests.map((r) => [r.method, r.path.split('/').at(-1), r.body]).sort()).toEqual([
        ['DELETE', `batch-a-${tag}`, cause],
        ['DELETE', `batch-b-${tag}`, cause],
        ['DELETE', `batch-done-${tag}`, cause],
      ]);
      expect(host.azureml.requests.map((r) => [r.method, r.path]).sort()).toEqual([
        ['POST', `${UPSTREAM_EXP}/runId/batch-gone-${tag}/cancel`],
        ['POST', `${UPSTREAM_EXP}/runId/batch-run-${tag}/cancel`],
      ]);
    });

    it('/mcp: initialize, tools/list and tools/call through the official SDK client', async () => {
      // Prepare
      await create(`mcp-${tag}`);
      host.flyte.requests.length = 0;
      const client = new Client({ name: 'realhost-tests', version: '0.0.0' });
      const transport = new StreamableHTTPClientTransport(new URL(`${host.url}${host.path('/mcp', key)}`), {
        requestInit: { headers: host.keyHeaders(key) },
      });
      try {
        // Act
        await client.connect(transport); // initialize + notifications/initialized
        const { tools } = await client.listTools();
        const result = await client.callTool({
          name: 'retrieve-workflow-execution',
          arguments: { ...FLYTE_ID, name: `mcp-${tag}` },
        });
        // Assess
        expect(client.getServerVersion()?.name).toBeTruthy();
        expect(tools.map((t) => t.name).sort()).toEqual(
          contractTools()
            .map((t) => t.name)
            .sort(),
        );
        expect(jsonOf(result).id).toEqual({ ...ID, name: `mcp-${tag}`, org: '' });
        expect(host.flyte.requests.map((r) => [r.method, r.path])).toEqual([
          ['GET', `/api/v1/executions/flytesnacks/development/mcp-${tag}`],
        ]);
      } finally {
        await client.close();
      }
    });
    it('/mcp: a tool call runs under the MCP request id: answer header, problem, upstream call and log lines', async () => {
      // Prepare
      await create(`mcp-id-${tag}`);
      host.flyte.requests.length = 0;
      const mark = host.logMark();
      const toolCall = (name: string, project: string) =>
        host.call('POST', '/mcp', {
          headers: { accept: 'application/json, text/event-stream', 'x-request-id': `${name}-${tag}` },
          body: {
            jsonrpc: '2.0',
            id: 1,
            method: 'tools/call',
            params: {
              name: 'retrieve-workflow-execution',
              arguments: { project, domain: 'development', name: `mcp-id-${tag}` },
            },
          },
        });

      // Act
      const done = await toolCall('rh-done', FLYTE_ID.project);
      const refused = await toolCall('rh-refused', 'forbidden-project');

      // Assess
      expect([done.status, done.headers.get('x-request-id')]).toEqual([200, `rh-done-${tag}`]);
      expect([refused.status, refused.headers.get('x-request-id')]).toEqual([200, `rh-refused-${tag}`]);
      expect(refused.json().result.structuredContent).toMatchObject({
        status: 403,
        correlationId: `rh-refused-${tag}`,
      });
      expect(host.flyte.requests.map((r) => r.headers['x-request-id'])).toEqual([`rh-done-${tag}`]);
      const lines = (log: string, id: string) =>
        log
          .split('\n')
          .filter((l) => l.includes(`"requestId":"${id}"`))
          .map((l) => /"event":"([^"]+)"/.exec(l)?.[1]);
      // The host forwards worker log lines asynchronously: wait for each request's closing line.
      const log = await pollUntil(
        async () => host.logSince(mark),
        (text) =>
          lines(text, `rh-done-${tag}`).includes('request.done') &&
          lines(text, `rh-refused-${tag}`).includes('request.done'),
        { timeoutMs: 5_000, intervalMs: 25 },
      );
      expect(lines(log, `rh-done-${tag}`)).toEqual(['tool.done', 'request.done']);
      expect(lines(log, `rh-refused-${tag}`)).toEqual(['tool.refused', 'request.done']);
    });
  });

  describe('anonymous routes and the catch-all', () => {
    it('health: 200 with the version and the configured upstreams', async () => {
      const res = await host.call('GET', '/v1/health', { key: 'none' });
      expect(res.status, res.text).toBe(200);
      expect(res.json()).toEqual({
        status: 'ok',
        version: VERSION,
        upstreams: {
          flyte: { configured: true, auth: 'none' },
          azureml: { configured: true, auth: 'none' },
          storage: { configured: true },
        },
      });
      expect(res.text).not.toContain(host.flyte.url);
    });

    it('GET /v1/openapi.json: the document, with this host as its server and every operation path', async () => {
      const res = await host.call('GET', '/v1/openapi.json', { key: 'none' });
      expect(res.status, res.text).toBe(200);
      const doc = res.json();
      expect(doc.openapi).toMatch(/^3\./);
      expect(doc.servers).toStrictEqual([{ url: host.url }]);
      for (const path of [
        '/v1/api/v1/executions',
        '/v1/api/v1/executions/recover',
        '/v1/api/v1/executions/relaunch',
        '/v1/api/v1/executions/{id-project}/{id-domain}',
        '/v1/api/v1/executions/{id-project}/{id-domain}/{id-name}',
        '/v1/api/v1/metrics/executions/{id-project}/{id-domain}/{id-name}',
      ]) {
        expect(Object.keys(doc.paths)).toContain(path);
      }
      expect(Object.keys(doc.paths).filter((p) => p.startsWith('/v1/execution/v1-0/'))).toHaveLength(4);
    });

    it('GET /v1/docs and an asset under /v1/docs/', async () => {
      const page = await host.call('GET', '/v1/docs', { key: 'none' });
      const css = await host.call('GET', '/v1/docs/swagger-ui.css', { key: 'none' });
      const init = await host.call('GET', '/v1/docs/docs-initializer.js', { key: 'none' });
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(css.status).toBe(200);
      expect(css.headers.get('content-type')).toMatch(/^text\/css/);
      expect(css.text.length).toBeGreaterThan(1000);
      expect(init.text).toContain('"url":"/v1/openapi.json"');
    });

    it.each([
      ['POST', `${EXECUTIONS}?headers=1`, { name: 'reserved-q' }, 'query.headers'],
      [
        'GET',
        `/v1/health?Headers=${encodeURIComponent('{"x-request-id":"spoofed"}')}`,
        undefined,
        'query.Headers',
      ],
      ['POST', EXECUTIONS, { name: 'reserved-b', headers: 'x' }, 'body.headers'],
      ['POST', EXECUTIONS, { name: 'reserved-h', Headers: { 'x-request-id': 'spoofed' } }, 'body.Headers'],
    ] as const)(
      '%s %s with a name the host reserves: 400 naming it, nothing upstream',
      async (method, path, extra, field) => {
        host.flyte.requests.length = 0;
        const body = extra ? { ...example('create-execution.json'), ...extra } : undefined;
        const res = await host.call(method, path, { body, key: 'header' });
        expect(res.status, res.text).toBe(400);
        expect(res.json().errors).toEqual([
          { path: field, message: "is reserved: the Functions host would take it for the request's headers" },
        ]);
        expect(host.flyte.requests).toEqual([]);
      },
    );

    it.each(['/v1//health', '/v1/health//'])(
      'GET %s: an empty segment matches no route: 404 problem+json from the catch-all',
      async (path) => {
        const res = await getRaw(host.url, path);
        expect(res.status, res.text).toBe(404);
        expect(res.type).toBe('application/problem+json');
        expect(JSON.parse(res.text)).toMatchObject({ type: '/problems/not-found', instance: path });
      },
    );

    it('request headers up to 32 KiB reach the function (the worker runs with --max-http-header-size)', async () => {
      const big = await getRaw(host.url, '/v1/health', { 'x-big': 'a'.repeat(20_000) });
      expect(big.status, big.text).toBe(200);
      const tooBig = await getRaw(host.url, '/v1/health', { 'x-big': 'a'.repeat(40_000) });
      expect(tooBig.status).toBe(431);
    });

    it("GET //v1/health matches no function: the host's bare 404", async () => {
      const res = await getRaw(host.url, '//v1/health');
      expect({ status: res.status, text: res.text }).toStrictEqual({ status: 404, text: '' });
    });

    it('GET /v1/x/../health: dot segments are resolved before routing', async () => {
      const res = await getRaw(host.url, '/v1/x/../health');
      expect(res.status, res.text).toBe(200);
    });

    it('an unknown path: 404 problem+json from the catch-all', async () => {
      const res = await host.call('GET', '/v1/no-such-route?x=1', { key: 'none' });
      expect(res.status, res.text).toBe(404);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(res.json()).toMatchObject({
        type: '/problems/not-found',
        status: 404,
        instance: '/v1/no-such-route',
      });
    });

    it.each([
      ['PUT', EXECUTIONS, 'POST'],
      ['DELETE', '/v1/health', 'GET'],
      ['PATCH', `${EXECUTIONS}/flytesnacks/development/some-run`, 'GET, DELETE'],
    ])('a wrong method (%s %s): 405 problem+json with Allow', async (method, path, allow) => {
      const res = await host.call(method, path, { key: 'none', body: method === 'DELETE' ? undefined : {} });
      expect(res.status, res.text).toBe(405);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(res.headers.get('allow')?.split(/,\s*/).sort()).toEqual(allow.split(', ').sort());
      expect(res.json()).toMatchObject({ type: '/problems/method-not-allowed', status: 405 });
      expect(host.flyte.requests).toEqual([]);
    });
  });
});
