/**
 * The gateway's own credential for Flyte Admin, per FLYTE_AUTH mode, against the emulator
 * with bearer auth on: the upstream sees the gateway's token (never the caller's), the
 * client-credentials token is fetched once and cached, and no token or secret reaches a log
 * line or an answer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, type Gateway, startGateway } from '../helpers/gateway.js';

const LIST = '/v1/api/v1/executions/flytesnacks/development?limit=1';
const api = (gw: Gateway) => gw.emulator.requests.filter((r) => r.path.startsWith('/api/'));

describe('FLYTE_AUTH=api-key', () => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startGateway({
      env: { FLYTE_AUTH: 'api-key', FLYTE_API_KEY: 'static-key-7f3a' },
      emulator: { auth: { requireBearer: { token: 'static-key-7f3a' } } },
    });
  });
  afterAll(() => gw.close());

  it('sends the key as a bearer instead of the caller credential', async () => {
    const res = await call(gw, 'GET', LIST, undefined, { authorization: 'Bearer caller-token' });
    expect(res.status).toBe(200);
    expect(api(gw).at(-1)?.headers.authorization).toBe('Bearer static-key-7f3a');
    expect(gw.logs.lines.join('\n')).not.toContain('static-key-7f3a');
    expect(gw.logs.lines.join('\n')).not.toContain('caller-token');
  });
});

describe('FLYTE_AUTH=api-key with a key the upstream refuses', () => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startGateway({
      env: { FLYTE_AUTH: 'api-key', FLYTE_API_KEY: 'wrong-key-91b2' },
      emulator: { auth: { requireBearer: { token: 'right-key' } } },
    });
  });
  afterAll(() => gw.close());

  it('passes the upstream 401 on with its gRPC body, and no key in the answer', async () => {
    const res = await call(gw, 'GET', LIST);
    expect(res.status).toBe(401);
    expect(res.json()).toMatchObject({
      type: '/problems/upstream-error',
      upstream: { status: 401, body: { code: 16 } },
    });
    expect(res.text).not.toContain('wrong-key-91b2');
    expect(res.headers.get('www-authenticate')).toBeNull();
  });
});

describe('FLYTE_AUTH=client-credentials', () => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startGateway({
      env: {
        FLYTE_AUTH: 'client-credentials',
        FLYTE_CLIENT_ID: 'gateway',
        FLYTE_CLIENT_SECRET: 'client-secret-5c1d',
        FLYTE_SCOPE: 'all',
        FLYTE_TOKEN_URL: 'http://placeholder/oauth2/token',
      },
      emulator: { auth: { requireBearer: 'issued', clients: { gateway: 'client-secret-5c1d' } } },
      tokenUrlFromEmulator: true,
    });
  });
  afterAll(() => gw.close());

  it('fetches one token with HTTP Basic client auth and reuses it for later calls', async () => {
    // Act
    const results = await Promise.all([1, 2, 3].map(() => call(gw, 'GET', LIST)));
    const after = await call(gw, 'GET', LIST);
    // Assess
    expect([...results, after].map((r) => r.status)).toEqual([200, 200, 200, 200]);
    const tokenCalls = gw.emulator.requests.filter((r) => r.path === '/oauth2/token');
    expect(tokenCalls).toHaveLength(1);
    expect(tokenCalls[0]?.headers.authorization).toBe(
      `Basic ${Buffer.from('gateway:client-secret-5c1d').toString('base64')}`,
    );
    expect(new URLSearchParams(tokenCalls[0]?.body)).toEqual(
      new URLSearchParams({ grant_type: 'client_credentials', scope: 'all' }),
    );
    const bearers = new Set(api(gw).map((r) => r.headers.authorization));
    expect(bearers.size).toBe(1);
    expect([...bearers][0]).toMatch(/^Bearer \S+$/);
    const token = [...bearers][0]?.slice('Bearer '.length) ?? '';
    const logged = gw.logs.lines.join('\n');
    expect(logged).not.toContain(token);
    expect(logged).not.toContain('client-secret-5c1d');
  });
});

describe('FLYTE_AUTH=client-credentials with a refused client', () => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startGateway({
      env: {
        FLYTE_AUTH: 'client-credentials',
        FLYTE_CLIENT_ID: 'gateway',
        FLYTE_CLIENT_SECRET: 'not-the-secret',
        FLYTE_TOKEN_URL: 'http://placeholder/oauth2/token',
      },
      emulator: { auth: { requireBearer: 'issued', clients: { gateway: 'the-secret' } } },
      tokenUrlFromEmulator: true,
    });
  });
  afterAll(() => gw.close());

  it('answers 502 upstream-auth-failed and never calls the API', async () => {
    const res = await call(gw, 'GET', LIST);
    expect(res.status).toBe(502);
    expect(res.json()).toMatchObject({
      type: '/problems/upstream-auth-failed',
      detail: 'The gateway could not get a credential for Flyte Admin: the token endpoint answered 401',
    });
    expect(res.text).not.toContain('not-the-secret');
    expect(api(gw)).toEqual([]);
  });
});
