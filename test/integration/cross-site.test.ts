/**
 * Cross-site safety over real HTTP, on both surfaces (issue 15): a page on another origin
 * cannot POST a batch cancellation, a create, a multipart startrun or an MCP tools/call (403
 * cross-site-request, and no upstream sees a thing); an origin on ALLOWED_ORIGINS, the
 * gateway's own origin and callers without an Origin pass; a JSON body without a Content-Type
 * is 415; and the local host refuses a DNS-rebound Host.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { example, experimentPath, projectZip, startRunForm } from '../helpers/azureml-requests.js';
import { flyteTarget } from '../helpers/cancellations.js';
import { call, type Gateway, SURFACES, startGateway } from '../helpers/gateway.js';
import { MCP_ACCEPT } from '../helpers/mcp-client.js';
import { getRaw } from '../helpers/raw-get.js';

const ALLOWED = 'https://app.example.com';
const FOREIGN = 'https://evil.example';
const EXECUTIONS = '/v1/api/v1/executions';

describe.each(SURFACES)('cross-site requests (%s)', (surface) => {
  let gw: Gateway;

  beforeAll(async () => {
    gw = await startGateway({ surface, azureml: true, env: { ALLOWED_ORIGINS: ALLOWED } });
  }, 60_000);
  afterAll(() => gw.close());
  beforeEach(() => {
    gw.emulator.reset();
    gw.azureml?.reset();
  });

  const upstreamCalls = () => gw.emulator.requests.length + (gw.azureml?.requests.length ?? 0);

  /** The three browser-sendable state changes of the issue, each with `headers` added. */
  const requests: { name: string; send: (headers: Record<string, string>) => Promise<Response> }[] = [
    {
      name: 'a batch cancellation',
      send: (headers) =>
        fetch(`${gw.url}/v1/cancellations`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ targets: [flyteTarget('nightly-1')] }),
        }),
    },
    {
      name: 'a create',
      send: (headers) =>
        fetch(`${gw.url}${EXECUTIONS}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ ...example('create-execution.json'), name: `cs-${Date.now()}` }),
        }),
    },
    {
      name: 'a multipart startrun (FormData: no preflight)',
      send: (headers) =>
        fetch(`${gw.url}${experimentPath()}/startrun`, {
          method: 'POST',
          headers,
          body: startRunForm(example('run-definition.json'), projectZip()),
        }),
    },
  ];

  describe.each(requests)('$name', ({ send }) => {
    it.each<{ case: string; headers: Record<string, string> }>([
      { case: 'a foreign Origin', headers: { origin: FOREIGN } },
      { case: 'Sec-Fetch-Site: cross-site', headers: { 'sec-fetch-site': 'cross-site' } },
    ])('with $case: 403 cross-site-request, no upstream call', async ({ headers }) => {
      // Act
      const res = await send(headers);

      // Assess
      expect(res.status).toBe(403);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await res.json()).toMatchObject({ type: '/problems/cross-site-request', status: 403 });
      expect(gw.emulator.requests).toEqual([]);
      expect(gw.azureml?.requests).toEqual([]);
    });

    it.each<{ case: string; headers: () => Record<string, string> }>([
      {
        case: 'an Origin on ALLOWED_ORIGINS',
        headers: () => ({ origin: ALLOWED, 'sec-fetch-site': 'cross-site' }),
      },
      {
        case: "the gateway's own Origin",
        headers: () => ({ origin: gw.url, 'sec-fetch-site': 'same-origin' }),
      },
      { case: 'no Origin (curl, servers)', headers: () => ({}) },
    ])('with $case: answered', async ({ headers }) => {
      // Act
      const res = await send(headers());

      // Assess
      const text = await res.text();
      expect(res.status, text).toBeLessThan(300);
    });
  });

  it('the create with an allowed Origin reaches Flyte once', async () => {
    // Act
    const res = await requests[1]?.send({ origin: ALLOWED });

    // Assess
    expect(res?.status).toBe(200);
    expect(gw.emulator.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  it('the multipart startrun with the own Origin reaches Azure ML', async () => {
    // Act
    const res = await requests[2]?.send({ origin: gw.url });

    // Assess
    expect(res?.status).toBe(200);
    expect(gw.azureml?.requests.some((r) => r.path.endsWith('/startrun'))).toBe(true);
  });

  describe('/mcp tools/call', () => {
    const toolsCall = (headers: Record<string, string>) =>
      fetch(`${gw.url}/mcp`, {
        method: 'POST',
        headers: { accept: MCP_ACCEPT, 'content-type': 'application/json', ...headers },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'tools/call',
          params: {
            name: 'retrieve-workflow-execution',
            arguments: { project: 'flytesnacks', domain: 'development', name: 'nightly-1' },
          },
        }),
      });

    it('with a foreign Origin (and a rebound Host name in it): 403 problem, no upstream call', async () => {
      // Act
      const res = await toolsCall({ origin: 'http://rebind.evil.example:7071' });

      // Assess
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({ type: '/problems/cross-site-request' });
      expect(upstreamCalls()).toBe(0);
    });

    it('with an allowed Origin: answered', async () => {
      // Act
      const res = await toolsCall({ origin: ALLOWED });

      // Assess
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ jsonrpc: '2.0', id: 1 });
    });
  });

  it('a JSON body without a Content-Type (a type-less Blob): 415, no upstream call', async () => {
    // Act
    const res = await fetch(`${gw.url}/v1/cancellations`, {
      method: 'POST',
      body: new Blob([JSON.stringify({ targets: [flyteTarget('nightly-1')] })]),
    });

    // Assess
    expect(res.status).toBe(415);
    expect(await res.json()).toMatchObject({
      type: '/problems/unsupported-media-type',
      detail: 'A body without a Content-Type is not accepted; send application/json.',
    });
    expect(upstreamCalls()).toBe(0);
  });

  it('a GET with a foreign Origin is answered (it changes nothing; no CORS headers let the page read it)', async () => {
    // Act
    const res = await call(gw, 'GET', '/v1/health', undefined, { origin: FOREIGN });

    // Assess
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it.runIf(surface === 'local-host')(
    'the local host refuses Host: rebind.evil.example (DNS rebinding) on any route, 403 problem',
    async () => {
      // Prepare
      const port = new URL(gw.url).port;

      // Act
      const rebound = await getRaw(gw.url, '/v1/health', { host: `rebind.evil.example:${port}` });
      const loopback = await getRaw(gw.url, '/v1/health', { host: `localhost:${port}` });

      // Assess
      expect(rebound.status).toBe(403);
      expect(rebound.type).toMatch(/^application\/problem\+json/);
      expect(JSON.parse(rebound.text)).toMatchObject({ type: '/problems/cross-site-request' });
      expect(loopback.status).toBe(200);
    },
  );
});
