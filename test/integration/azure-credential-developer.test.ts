/**
 * One credential policy for every Azure client (src/upstream/credentials.ts), outside Azure: with
 * no managed-identity endpoint in the environment, AZUREML_AUTH=managed-identity takes the
 * developer's own sign-in — here the Azure CLI (`az login`), a stand-in `az` on PATH that
 * records what it was asked — and the Azure ML emulator accepts exactly that token. Storage gets
 * the very same credential object. Own file: it changes PATH and the identity variables.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AzureMlEmulator, startAzureMlEmulator } from '../../sandbox/azureml/index.js';
import { routeTable } from '../../src/app.js';
import { loadSettings } from '../../src/config.js';
import { type LocalHost, startLocalHost } from '../../src/local-host/server.js';
import { createServices, type Services } from '../../src/services.js';
import { blobServiceClient } from '../../src/storage/clients.js';
import { azureCredential, azureCredentialKind } from '../../src/upstream/credentials.js';
import { call, WORKSPACE } from '../helpers/gateway.js';
import { captureLogs } from '../helpers/log-capture.js';

const DEV_TOKEN = 'token-from-az-login';
const CLIENT_ID = '11111111-2222-3333-4444-555555555555';
const EXPERIMENT =
  `/v1/execution/v1-0/subscriptions/${WORKSPACE.subscription}/resourcegroups/${WORKSPACE.resourceGroup}` +
  `/providers/microsoft-machinelearningservices/workspaces/${WORKSPACE.workspace}/experiments/exp-dev`;
const saved = { ...process.env };
const bin = mkdtempSync(join(tmpdir(), 'fake-az-'));
const calls = join(bin, 'calls.txt');

let aml: AzureMlEmulator;
let services: Services;
let host: LocalHost;

beforeAll(async () => {
  // A stand-in Azure CLI: records its arguments, answers as `az account get-access-token` does.
  writeFileSync(
    join(bin, 'az'),
    `#!/bin/sh\necho "$@" >> "${calls}"\n` +
      `echo '{"accessToken":"${DEV_TOKEN}","expiresOn":"2099-01-01 00:00:00.000000","expires_on":4070908800,"tokenType":"Bearer"}'\n`,
  );
  chmodSync(join(bin, 'az'), 0o755);
  process.env.PATH = `${bin}${delimiter}${process.env.PATH ?? ''}`;
  for (const name of ['IDENTITY_ENDPOINT', 'IDENTITY_HEADER', 'MSI_ENDPOINT', 'AZURE_CLIENT_SECRET'])
    delete process.env[name];
  aml = await startAzureMlEmulator({ auth: { requireBearer: DEV_TOKEN } });
  services = createServices(
    loadSettings({
      AZUREML_ENDPOINT: aml.url,
      AZUREML_AUTH: 'managed-identity',
      AZUREML_WORKSPACES: `${WORKSPACE.subscription}/${WORKSPACE.resourceGroup}/${WORKSPACE.workspace}`,
      // Names a user-assigned identity in Azure; locally it must not turn into a credential.
      AZURE_CLIENT_ID: CLIENT_ID,
    }),
  );
  host = await startLocalHost({
    port: 0,
    routes: routeTable(undefined, () => services),
    sink: captureLogs(),
  });
});

afterAll(async () => {
  await host.close();
  await services.close();
  await aml.close();
  process.env = saved;
  rmSync(bin, { recursive: true, force: true });
});

describe('the Azure credential outside Azure: the developer sign-in', () => {
  it('is chosen from the environment: managed identity only where the platform provides one', () => {
    expect(azureCredentialKind({})).toBe('developer');
    expect(azureCredentialKind({ IDENTITY_ENDPOINT: 'http://127.0.0.1:1/msi/token' })).toBe(
      'managed-identity',
    );
    expect(azureCredentialKind({ MSI_ENDPOINT: 'http://127.0.0.1:1/msi/token' })).toBe('managed-identity');
  });

  it('calls Azure ML with the az login token for the ARM audience; the emulator accepts only that one', async () => {
    // Act
    const res = await call(host, 'POST', `${EXPERIMENT}/snapshotrun?runId=dev-run-1`, {
      snapshotId: '5d2c7f0e-3b1a-4c8e-9f6d-2a4b8c0e1f3a',
    });
    // Assess
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ runId: 'dev-run-1' });
    const asked = readFileSync(calls, 'utf8').trim().split('\n');
    expect(asked[0]).toBe('account get-access-token --output json --resource https://management.azure.com');
    expect(aml.requests.filter((r) => r.path.startsWith('/execution/')).map((r) => r.status)).toEqual([200]);
  });

  it('storage uses the very same credential (one token cache for every Azure client)', async () => {
    const settings = loadSettings({
      AzureWebJobsStorage__blobServiceUri: 'https://account.blob.core.windows.net',
      AZURE_CLIENT_ID: CLIENT_ID,
    });
    const blob = await blobServiceClient(settings);
    expect(blob.credential).toBe(azureCredential(CLIENT_ID));
  });
});
