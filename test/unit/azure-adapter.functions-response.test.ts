import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HttpRequest, HttpResponse, InvocationContext } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { routeTable } from '../../src/app.js';
import { operations } from '../../src/catalog/index.js';
import { toAzureHandler } from '../../src/http/azure-adapter.js';
import { FALLBACK_NAME } from '../../src/http/fallback.js';
import type { RouteDefinition } from '../../src/http/route.js';
import { createServices } from '../../src/services.js';
import { unitSettings } from '../helpers/unit-factories.js';

const services = createServices(unitSettings());
const table = routeTable(operations, () => services);
const version = (
  JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')) as { version: string }
).version;

/** Calls the named route's handler through `toAzureHandler`, as the Functions host would. */
async function invoke(name: string, request: HttpRequest, context: InvocationContext): Promise<HttpResponse> {
  const handler = toAzureHandler((table.find((r) => r.name === name) as RouteDefinition).handler);
  const response = await handler(request, context);
  if (!(response instanceof HttpResponse)) throw new Error('expected an HttpResponse');
  return response;
}

/** An invocation context whose log lines are kept, as the Functions host would receive them. */
const recordingContext = () => {
  const lines: { level: string; args: unknown[] }[] = [];
  const context = new InvocationContext({
    functionName: 'test',
    logHandler: (level, ...args) => lines.push({ level, args }),
  });
  return { context, lines };
};

beforeAll(() => {
  // health must report the services it was given, not the process settings: make them differ.
  vi.stubEnv('FLYTE_ENDPOINT', '');
  vi.stubEnv('FLYTE_AUTH', 'api-key');
  vi.stubEnv('AzureWebJobsStorage', '');
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await services.close();
});

describe('health through the Functions adapter', () => {
  it('answers 200 JSON with correlation headers', async () => {
    // Prepare
    const { context, lines } = recordingContext();
    const request = new HttpRequest({
      method: 'GET',
      url: 'http://localhost:7071/v1/health',
      headers: { 'x-request-id': 'probe-1' },
    });

    // Act
    const response = await invoke('health', request, context);

    // Assess
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('x-request-id')).toBe('probe-1');
    expect(response.headers.get('traceparent')).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(JSON.parse(await response.text())).toStrictEqual({
      status: 'ok',
      version,
      upstreams: {
        flyte: { configured: true, auth: 'none' },
        azureml: { configured: false, auth: 'managed-identity' },
        storage: { configured: false },
      },
    });
    expect(lines).toStrictEqual([]);
  });
});

describe.each([
  { method: 'POST', path: '/v1/health', status: 405, type: '/problems/method-not-allowed', allow: 'GET' },
  {
    method: 'GET',
    path: '/v1/api/v1/executions',
    status: 405,
    type: '/problems/method-not-allowed',
    allow: 'POST',
  },
  { method: 'GET', path: '/nope', status: 404, type: '/problems/not-found', allow: null },
])('the fallback through the Functions adapter: $method $path', ({ method, path, status, type, allow }) => {
  it(`answers ${status} problem+json`, async () => {
    // Prepare
    const { context } = recordingContext();
    const request = new HttpRequest({
      method,
      url: `http://localhost:7071${path}`,
      headers: { 'x-request-id': 'probe-2', 'content-type': 'application/json' },
      params: { path: path.slice(1) },
      ...(method === 'POST' ? { body: { string: '{"ignored":true}' } } : {}),
    });

    // Act
    const response = await invoke(FALLBACK_NAME, request, context);

    // Assess
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.headers.get('allow')).toBe(allow);
    expect(response.headers.get('x-request-id')).toBe('probe-2');
    expect(JSON.parse(await response.text())).toMatchObject({
      type,
      status,
      correlationId: 'probe-2',
      instance: path,
    });
  });
});

describe('an operation refused through the Functions adapter', () => {
  it('answers the problem and logs one JSON line to the invocation context', async () => {
    // Prepare
    const { context, lines } = recordingContext();
    const request = new HttpRequest({
      method: 'POST',
      url: 'http://localhost:7071/v1/api/v1/executions',
      headers: {
        'content-type': 'application/json',
        'x-request-id': 'probe-3',
        authorization: 'Bearer secret-abc',
      },
      body: { string: '{"project":' },
    });

    // Act
    const response = await invoke('createexecution', request, context);

    // Assess
    expect(response.status).toBe(400);
    expect(JSON.parse(await response.text())).toMatchObject({
      type: '/problems/malformed-json',
      correlationId: 'probe-3',
      instance: '/v1/api/v1/executions',
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]?.level).toBe('warning');
    expect(lines[0]?.args).toHaveLength(1);
    const entry = JSON.parse(String(lines[0]?.args[0]));
    expect(entry).toMatchObject({
      level: 'warn',
      event: 'request.refused',
      requestId: 'probe-3',
      operation: 'createexecution',
      status: 400,
      problem: 'malformed-json',
    });
    expect(typeof entry.durationMs).toBe('number');
    expect(String(lines[0]?.args[0])).not.toContain('secret-abc');
  });

  it('binds route values from the URL path, not from the params the host filled', async () => {
    // Prepare: with streaming the library's params also hold query and JSON body fields.
    const { context, lines } = recordingContext();
    const request = new HttpRequest({
      method: 'GET',
      url: 'http://localhost:7071/v1/api/v1/metrics/executions/other/development/run-1?depth=2',
      params: { 'id-project': 'flytesnacks', 'id-domain': 'development', 'id-name': 'run-1', depth: '2' },
    });

    // Act
    const response = await invoke('getexecutionmetrics', request, context);

    // Assess
    expect(response.status).toBe(403);
    expect(JSON.parse(await response.text())).toMatchObject({
      type: '/problems/forbidden',
      detail: 'Flyte project "other" is not on this gateway\'s allow-list (FLYTE_PROJECTS).',
    });
    expect(lines.map((l) => JSON.parse(String(l.args[0])).problem)).toStrictEqual(['forbidden']);
  });
});

describe('a handler that throws, through the Functions adapter', () => {
  it('answers a 500 problem at once (the host would wait 240 s, then answer a bare 500) and logs it', async () => {
    // Prepare
    const { context, lines } = recordingContext();
    const handler = toAzureHandler(async () => {
      throw new TypeError('secret-detail from a bug');
    });
    const request = new HttpRequest({
      method: 'GET',
      url: 'http://localhost:7071/v1/health',
      headers: { 'x-request-id': 'probe-9' },
    });

    // Act
    const response = (await handler(request, context)) as HttpResponse;

    // Assess
    expect(response.status).toBe(500);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.headers.get('x-request-id')).toBe('probe-9');
    const text = await response.text();
    expect(JSON.parse(text)).toMatchObject({
      type: '/problems/internal-error',
      status: 500,
      correlationId: 'probe-9',
      instance: '/v1/health',
    });
    expect(text).not.toContain('secret-detail');
    expect(lines.map((l) => JSON.parse(String(l.args[0])))).toMatchObject([
      { level: 'error', event: 'request.failed', requestId: 'probe-9', status: 500, error: 'TypeError' },
    ]);
  });
});
