import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AzureMlEmulator,
  SYSTEM_ASSIGNED_CLIENT_ID,
  startAzureMlEmulator,
} from '../../sandbox/azureml/index.js';
import { call, experimentPath, historyPath, manualClock, SNAPSHOT } from './helpers/azureml-client.js';

const SECRET = 'identity-header-secret';
const MSI = '/msi/token?api-version=2019-08-01';
const SNAPSHOT_RUN = `${experimentPath()}/snapshotrun`;
const clock = manualClock(Date.UTC(2026, 0, 15, 2, 0, 0, 0));

describe('bearer auth with a fixed token', () => {
  let aml: AzureMlEmulator;
  beforeAll(async () => {
    aml = await startAzureMlEmulator({ auth: { requireBearer: 'sesame' } });
  });
  afterAll(() => aml.close());

  it.each([
    ['no Authorization header', {}, 'Bearer', 'Authorization header with a Bearer token is required.'],
    [
      'another scheme',
      { authorization: 'Basic c2VzYW1l' },
      'Bearer',
      'Authorization header with a Bearer token is required.',
    ],
    [
      'a wrong token',
      { authorization: 'Bearer open' },
      'Bearer error="invalid_token"',
      'The bearer token is invalid or expired.',
    ],
  ])('answers 401 for %s, in the ErrorResponse shape', async (_case, headers, challenge, message) => {
    const res = await call(aml.url, 'POST', `${SNAPSHOT_RUN}?runId=a_1`, {
      json: { snapshotId: SNAPSHOT },
      headers,
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(challenge);
    expect(res.headers.get('x-ms-response-type')).toBe('error');
    expect(res.json.error).toMatchObject({
      code: 'UserError',
      message,
      innerError: { code: 'AuthenticationError' },
    });
    expect(res.json.componentName).toBe('execution');
    expect(aml.runs.listRuns()).toEqual([]);
  });

  it('accepts the exact token (scheme in any case) on the execution and history APIs', async () => {
    const headers = { authorization: 'bearer sesame' };
    const start = await call(aml.url, 'POST', `${SNAPSHOT_RUN}?runId=a_2`, {
      json: { snapshotId: SNAPSHOT },
      headers,
    });
    const read = await call(aml.url, 'GET', historyPath('a_2'), { headers });
    const unauthenticatedRead = await call(aml.url, 'GET', historyPath('a_2'));
    expect(start.status).toBe(200);
    expect(read.json.runId).toBe('a_2');
    expect(unauthenticatedRead.status).toBe(401);
  });

  it('routes before it authenticates: an unknown path is a 404 even without a token', async () => {
    expect((await call(aml.url, 'POST', '/execution/v1.0/nowhere')).status).toBe(404);
  });

  it('keeps the managed-identity endpoint off without auth.identityHeader', async () => {
    const res = await call(aml.url, 'GET', `${MSI}&resource=https://management.azure.com`, {
      headers: { 'x-identity-header': SECRET },
    });
    expect(res.status).toBe(404);
    expect(res.json.message).toBe('The managed identity endpoint is off (auth.identityHeader).');
  });
});

describe("managed-identity endpoint and requireBearer: 'issued'", () => {
  let aml: AzureMlEmulator;
  beforeAll(async () => {
    aml = await startAzureMlEmulator({
      now: clock.now,
      auth: { requireBearer: 'issued', identityHeader: SECRET, tokenTtlSeconds: 600 },
    });
  });
  afterAll(() => aml.close());

  it('issues App Service 2019-08-01 tokens that the API then accepts, until they expire', async () => {
    // Act
    const issued = await call(
      aml.url,
      'GET',
      `${MSI}&resource=${encodeURIComponent('https://management.azure.com')}`,
      {
        headers: { 'X-IDENTITY-HEADER': SECRET },
      },
    );
    const token = issued.json.access_token as string;
    const auth = { authorization: `Bearer ${token}` };
    const accepted = await call(aml.url, 'POST', `${SNAPSHOT_RUN}?runId=mi_1`, {
      json: { snapshotId: SNAPSHOT },
      headers: auth,
    });
    clock.advance(600_000);
    const expired = await call(aml.url, 'GET', historyPath('mi_1'), { headers: auth });
    // Assess
    expect(issued.status).toBe(200);
    expect(issued.json).toEqual({
      access_token: token,
      expires_on: String(Date.UTC(2026, 0, 15, 2, 0, 0) / 1000 + 600),
      resource: 'https://management.azure.com',
      token_type: 'Bearer',
      client_id: SYSTEM_ASSIGNED_CLIENT_ID,
    });
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString());
    expect(payload).toMatchObject({ aud: 'https://management.azure.com', appid: SYSTEM_ASSIGNED_CLIENT_ID });
    expect(accepted.status).toBe(200);
    expect(expired.status).toBe(401);
    expect(aml.tokenRequests).toEqual([
      {
        resource: 'https://management.azure.com',
        apiVersion: '2019-08-01',
        at: Date.UTC(2026, 0, 15, 2, 0, 0),
        status: 200,
        token,
      },
    ]);
  });

  it('records the client_id of a user-assigned identity and reports it back', async () => {
    aml.reset();
    const res = await call(aml.url, 'GET', `${MSI}&resource=https://ml.azure.com&client_id=1111-2222`, {
      headers: { 'x-identity-header': SECRET },
    });
    expect(res.json.client_id).toBe('1111-2222');
    expect(aml.tokenRequests.map((r) => [r.resource, r.clientId, r.status])).toEqual([
      ['https://ml.azure.com', '1111-2222', 200],
    ]);
  });

  it.each([
    [
      'a missing X-IDENTITY-HEADER',
      `${MSI}&resource=r`,
      {},
      401,
      'X-IDENTITY-HEADER is missing or does not match.',
    ],
    [
      'a wrong X-IDENTITY-HEADER',
      `${MSI}&resource=r`,
      { 'x-identity-header': 'nope' },
      401,
      'X-IDENTITY-HEADER is missing or does not match.',
    ],
    [
      'another api-version',
      '/msi/token?api-version=2017-09-01&resource=r',
      { 'x-identity-header': SECRET },
      400,
      'api-version must be 2019-08-01, got 2017-09-01.',
    ],
    ['no resource', MSI, { 'x-identity-header': SECRET }, 400, 'The resource query parameter is required.'],
  ])('answers %s with %i and records the attempt', async (_case, path, headers, status, message) => {
    aml.reset();
    const res = await call(aml.url, 'GET', path, { headers });
    expect(res.status).toBe(status);
    expect(res.json).toMatchObject({ statusCode: status, message });
    expect(aml.tokenRequests).toHaveLength(1);
    expect(aml.tokenRequests[0]?.status).toBe(status);
    expect(aml.tokenRequests[0]?.token).toBeUndefined();
  });

  it('rejects a token minted by another emulator', async () => {
    const other = await startAzureMlEmulator({ auth: { identityHeader: SECRET } });
    try {
      const foreign = await call(other.url, 'GET', `${MSI}&resource=r`, {
        headers: { 'x-identity-header': SECRET },
      });
      const res = await call(aml.url, 'GET', historyPath('x_1'), {
        headers: { authorization: `Bearer ${foreign.json.access_token}` },
      });
      expect(res.status).toBe(401);
    } finally {
      await other.close();
    }
  });
});
