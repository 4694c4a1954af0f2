/**
 * `@azure/identity`'s ManagedIdentityCredential against the emulator's App Service endpoint. Kept in its
 * own file because MSAL caches the detected identity source (endpoint and header) and issued tokens in
 * static fields for the life of the process: one emulator per file, env set before the first getToken.
 */
import { ManagedIdentityCredential } from '@azure/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AzureMlEmulator,
  SYSTEM_ASSIGNED_CLIENT_ID,
  startAzureMlEmulator,
} from '../../sandbox/azureml/index.js';
import { call, experimentPath, SNAPSHOT } from './helpers/azureml-client.js';

const SECRET = 'mi-secret-for-tests';
const saved = { endpoint: process.env.IDENTITY_ENDPOINT, header: process.env.IDENTITY_HEADER };
let aml: AzureMlEmulator;

beforeAll(async () => {
  aml = await startAzureMlEmulator({ auth: { requireBearer: 'issued', identityHeader: SECRET } });
  process.env.IDENTITY_ENDPOINT = aml.identityEndpoint;
  process.env.IDENTITY_HEADER = SECRET;
});
afterAll(async () => {
  for (const [name, value] of [
    ['IDENTITY_ENDPOINT', saved.endpoint],
    ['IDENTITY_HEADER', saved.header],
  ] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  await aml.close();
});

describe('ManagedIdentityCredential (App Service source) against the emulator', () => {
  it('gets an ARM-audience token over plain http, which the emulated API accepts', async () => {
    // Act
    const credential = new ManagedIdentityCredential();
    const token = await credential.getToken('https://management.azure.com/.default');
    const res = await call(aml.url, 'POST', `${experimentPath()}/snapshotrun?runId=mi_run_1`, {
      json: { snapshotId: SNAPSHOT },
      headers: { authorization: `Bearer ${token.token}` },
    });
    // Assess: MSAL strips "/.default" and sends resource + api-version as the query, secret as header.
    expect(aml.tokenRequests).toHaveLength(1);
    expect(aml.tokenRequests[0]).toMatchObject({
      resource: 'https://management.azure.com',
      apiVersion: '2019-08-01',
      status: 200,
      token: token.token,
    });
    expect(aml.tokenRequests[0]?.clientId).toBeUndefined();
    const journaled = aml.requests.find((r) => r.path === '/msi/token');
    expect(journaled?.method).toBe('GET');
    expect(journaled?.headers['x-identity-header']).toBe(SECRET);
    expect(journaled?.query).toEqual({
      'api-version': '2019-08-01',
      resource: 'https://management.azure.com',
    });
    expect(token.expiresOnTimestamp).toBeGreaterThan(Date.now() + 3_500_000);
    expect(token.tokenType).toBe('Bearer');
    expect(res.status).toBe(200);
  });

  it('sends client_id for a user-assigned identity', async () => {
    const credential = new ManagedIdentityCredential({ clientId: 'c0ffee00-0000-4000-8000-000000000001' });
    const token = await credential.getToken('https://ml.azure.com/.default');
    const last = aml.tokenRequests[aml.tokenRequests.length - 1];
    expect(last).toMatchObject({
      resource: 'https://ml.azure.com',
      clientId: 'c0ffee00-0000-4000-8000-000000000001',
      status: 200,
      token: token.token,
    });
    expect(token.token).not.toBe(aml.tokenRequests[0]?.token);
    expect(SYSTEM_ASSIGNED_CLIENT_ID).not.toBe(last?.clientId);
  });
});
