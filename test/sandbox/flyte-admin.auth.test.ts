import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FlyteAdminEmulator, startFlyteAdminEmulator } from '../../sandbox/flyte-admin/index.js';
import { call, createBody, EXECUTIONS, executionPath, manualClock } from './helpers/admin-client.js';

const LIST = '/api/v1/executions/flytesnacks/development?limit=1';

function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
}

async function requestToken(
  url: string,
  authorization: string,
  form = 'grant_type=client_credentials&scope=all',
) {
  return call(url, 'POST', '/oauth2/token', {
    rawBody: form,
    contentType: 'application/x-www-form-urlencoded',
    headers: { authorization },
  });
}

describe('static bearer token', () => {
  let admin: FlyteAdminEmulator;
  beforeAll(async () => {
    admin = await startFlyteAdminEmulator({
      auth: { requireBearer: { token: 'static-key-7f3a', principal: 'svc-func' } },
    });
  });
  afterAll(() => admin.close());

  it('without a token answers 401 code 16 and sets WWW-Authenticate to the message', async () => {
    const res = await call(admin.url, 'GET', LIST);
    expect(res.status).toBe(401);
    expect(res.json).toEqual({
      code: 16,
      message:
        'token parse error access token err: no bearer token in the authorization or flyte-authorization header',
      details: [],
    });
    expect(res.headers.get('www-authenticate')).toBe(res.json.message);
  });

  it('a wrong token is 401; the right one passes under Authorization or flyte-authorization', async () => {
    const wrong = await call(admin.url, 'GET', LIST, { headers: { authorization: 'Bearer nope' } });
    const right = await call(admin.url, 'GET', LIST, {
      headers: { authorization: 'Bearer static-key-7f3a' },
    });
    const flyteHeader = await call(admin.url, 'GET', LIST, {
      headers: { 'flyte-authorization': 'Bearer static-key-7f3a' },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.json.message).toBe('token parse error access token err: token is not valid');
    expect(right.status).toBe(200);
    expect(flyteHeader.status).toBe(200);
  });

  it('the authenticated principal is written into spec.metadata.principal and abort metadata', async () => {
    const headers = { authorization: 'Bearer static-key-7f3a' };
    await call(admin.url, 'POST', EXECUTIONS, { body: createBody('who-1'), headers });
    await call(admin.url, 'DELETE', executionPath('who-1'), { body: { cause: 'stop' }, headers });
    const { json } = await call(admin.url, 'GET', executionPath('who-1'), { headers });
    expect(json.spec.metadata.principal).toBe('svc-func');
    expect(json.closure.state_change_details.principal).toBe('svc-func');
    expect(json.closure.abort_metadata).toEqual({ cause: 'stop', principal: 'svc-func' });
  });

  it('routing and body errors come before authentication, as in the gateway', async () => {
    const unknown = await call(admin.url, 'GET', '/api/v1/nothing');
    const badJson = await call(admin.url, 'POST', EXECUTIONS, { rawBody: '{' });
    expect(unknown.status).toBe(404);
    expect(badJson.status).toBe(400);
  });

  it('discovery documents are anonymous and point at the token endpoint', async () => {
    const metadata = await call(admin.url, 'GET', '/.well-known/oauth-authorization-server');
    const client = await call(admin.url, 'GET', '/config/v1/flyte_client');
    expect(metadata.status).toBe(200);
    expect(metadata.json.token_endpoint).toBe(`${admin.url}/oauth2/token`);
    expect(metadata.json.grant_types_supported).toContain('client_credentials');
    expect(client.json).toEqual({
      client_id: 'flytectl',
      redirect_uri: 'http://localhost:53593/callback',
      scopes: ['all', 'offline'],
      authorization_metadata_key: 'flyte-authorization',
      service_http_endpoint: '',
      audience: '',
    });
  });
});

describe('issued tokens (client credentials)', () => {
  const clock = manualClock();
  let admin: FlyteAdminEmulator;
  beforeAll(async () => {
    admin = await startFlyteAdminEmulator({
      now: clock.now,
      auth: { requireBearer: 'issued', clients: { gateway: 'client-secret-5c1d' }, tokenTtlSeconds: 600 },
    });
  });
  afterAll(() => admin.close());

  it('issues a bearer token for HTTP Basic client auth and accepts it; the caller is the client id', async () => {
    // Act
    const token = await requestToken(admin.url, basic('gateway', 'client-secret-5c1d'));
    const headers = { authorization: `Bearer ${token.json.access_token}` };
    const created = await call(admin.url, 'POST', EXECUTIONS, { body: createBody('issued-1'), headers });
    const got = await call(admin.url, 'GET', executionPath('issued-1'), { headers });
    // Assess
    expect(token.status).toBe(200);
    expect(token.headers.get('cache-control')).toBe('no-store');
    expect(token.json).toMatchObject({ token_type: 'Bearer', expires_in: 600, scope: 'all' });
    expect(token.json.access_token).toMatch(/^emu\.[A-Za-z0-9_-]{32}$/);
    expect(created.status).toBe(200);
    expect(got.json.spec.metadata.principal).toBe('gateway');
  });

  it('counts token requests so callers can prove they cache tokens', async () => {
    admin.reset();
    await requestToken(admin.url, basic('gateway', 'client-secret-5c1d'));
    await requestToken(admin.url, basic('gateway', 'wrong'));
    expect(admin.tokenRequests).toBe(2);
    expect(admin.requests.filter((r) => r.path === '/oauth2/token').map((r) => r.status)).toEqual([200, 401]);
  });

  it('issued tokens survive reset() (a test reset is not a server restart)', async () => {
    const token = (await requestToken(admin.url, basic('gateway', 'client-secret-5c1d'))).json.access_token;
    admin.reset();
    const res = await call(admin.url, 'GET', LIST, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(admin.tokenRequests).toBe(0);
  });

  it.each([
    [basic('gateway', 'wrong'), 'grant_type=client_credentials', 401, 'invalid_client'],
    [basic('stranger', 'client-secret-5c1d'), 'grant_type=client_credentials', 401, 'invalid_client'],
    [basic('gateway', 'client-secret-5c1d'), 'grant_type=password', 400, 'unsupported_grant_type'],
  ])('%s with %s is %i %s', async (authorization, form, status, error) => {
    const res = await requestToken(admin.url, authorization, form);
    expect(res.status).toBe(status);
    expect(res.json.error).toBe(error);
    if (status === 401)
      expect(res.headers.get('www-authenticate')).toBe('Basic realm="flyte-admin-emulator"');
  });

  it('form-encoded client credentials work too; GET is 405', async () => {
    const res = await call(admin.url, 'POST', '/oauth2/token', {
      rawBody: 'grant_type=client_credentials&client_id=gateway&client_secret=client-secret-5c1d',
      contentType: 'application/x-www-form-urlencoded',
    });
    const get = await call(admin.url, 'GET', '/oauth2/token');
    expect(res.status).toBe(200);
    expect(get.status).toBe(405);
  });

  it('tokens not issued here, and expired ones, are 401', async () => {
    const token = (await requestToken(admin.url, basic('gateway', 'client-secret-5c1d'))).json.access_token;
    const forged = await call(admin.url, 'GET', LIST, { headers: { authorization: 'Bearer emu.forged' } });
    clock.advance(600_000);
    const expired = await call(admin.url, 'GET', LIST, { headers: { authorization: `Bearer ${token}` } });
    expect(forged.json.message).toBe(
      'token parse error access token err: token was not issued by this server',
    );
    expect(expired.status).toBe(401);
    expect(expired.json.message).toBe('token parse error access token err: token is expired');
  });
});

describe('auth off', () => {
  it('accepts anonymous calls and answers 501 on the discovery endpoints', async () => {
    const admin = await startFlyteAdminEmulator();
    try {
      const list = await call(admin.url, 'GET', LIST);
      const metadata = await call(admin.url, 'GET', '/.well-known/oauth-authorization-server');
      expect(list.status).toBe(200);
      expect(metadata.status).toBe(501);
      expect(metadata.json).toEqual({
        code: 12,
        message: 'unknown service flyteidl.service.AuthMetadataService',
        details: [],
      });
    } finally {
      await admin.close();
    }
  });
});
