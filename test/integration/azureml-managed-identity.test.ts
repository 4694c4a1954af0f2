/**
 * AZUREML_AUTH=managed-identity end to end: the gateway gets its token from the (emulated)
 * App Service managed-identity endpoint through @azure/identity, for AZUREML_SCOPE and the
 * user-assigned AZURE_CLIENT_ID, sends it to Azure ML instead of the caller's credential,
 * reuses it, and never logs it. Own file: MSAL caches the identity source per process.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AzureMlEmulator, startAzureMlEmulator } from '../../sandbox/azureml/index.js';
import { routeTable } from '../../src/app.js';
import { loadSettings } from '../../src/config.js';
import { type LocalHost, startLocalHost } from '../../src/local-host/server.js';
import { createServices, type Services } from '../../src/services.js';
import { call, WORKSPACE } from '../helpers/gateway.js';
import { type CapturedLogs, captureLogs } from '../helpers/log-capture.js';

const IDENTITY_SECRET = 'identity-header-secret';
const CLIENT_ID = '11111111-2222-3333-4444-555555555555';
const EXPERIMENT =
  `/v1/execution/v1-0/subscriptions/${WORKSPACE.subscription}/resourcegroups/${WORKSPACE.resourceGroup}` +
  `/providers/microsoft-machinelearningservices/workspaces/${WORKSPACE.workspace}/experiments/exp-mi`;
const saved = { endpoint: process.env.IDENTITY_ENDPOINT, header: process.env.IDENTITY_HEADER };

let aml: AzureMlEmulator;
let services: Services;
let host: LocalHost;
let logs: CapturedLogs;

beforeAll(async () => {
  aml = await startAzureMlEmulator({ auth: { requireBearer: 'issued', identityHeader: IDENTITY_SECRET } });
  process.env.IDENTITY_ENDPOINT = aml.identityEndpoint;
  process.env.IDENTITY_HEADER = IDENTITY_SECRET;
  services = createServices(
    loadSettings({
      AZUREML_ENDPOINT: aml.url,
      AZUREML_AUTH: 'managed-identity',
      AZUREML_WORKSPACES: `${WORKSPACE.subscription}/${WORKSPACE.resourceGroup}/${WORKSPACE.workspace}`,
      AZURE_CLIENT_ID: CLIENT_ID,
    }),
  );
  logs = captureLogs();
  host = await startLocalHost({ port: 0, routes: routeTable(undefined, () => services), sink: logs });
});

afterAll(async () => {
  await host.close();
  await services.close();
  await aml.close();
  for (const [name, value] of [
    ['IDENTITY_ENDPOINT', saved.endpoint],
    ['IDENTITY_HEADER', saved.header],
  ] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

describe('AZUREML_AUTH=managed-identity', () => {
  it('calls Azure ML with a managed-identity token for the ARM audience, fetched once', async () => {
    // Act: two calls, the caller sending a credential of its own.
    const first = await call(
      host,
      'POST',
      `${EXPERIMENT}/snapshotrun?runId=mi-run-1`,
      {
        snapshotId: '5d2c7f0e-3b1a-4c8e-9f6d-2a4b8c0e1f3a',
      },
      { authorization: 'Bearer caller-token' },
    );
    const second = await call(host, 'POST', `${EXPERIMENT}/runid/mi-run-1/cancel`);
    // Assess
    expect(first.status).toBe(200);
    expect(first.json()).toEqual({ runId: 'mi-run-1' });
    expect(second.status).toBe(200);
    expect(aml.tokenRequests).toHaveLength(1);
    expect(aml.tokenRequests[0]).toMatchObject({
      resource: 'https://management.azure.com',
      clientId: CLIENT_ID,
    });
    const token = aml.tokenRequests[0]?.token ?? '';
    const api = aml.requests.filter((r) => r.path.startsWith('/execution/'));
    expect(api.map((r) => r.headers.authorization)).toEqual([`Bearer ${token}`, `Bearer ${token}`]);
    expect(logs.lines.join('\n')).not.toContain(token);
    expect(logs.lines.join('\n')).not.toContain('caller-token');
  });
});
