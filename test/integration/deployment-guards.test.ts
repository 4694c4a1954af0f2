/**
 * What a deployment's settings guard, over real HTTP: with `UPLOAD_SLOTS=off` (a private storage
 * account, VNET_ENABLED) `POST /v1/uploads` answers 503 naming the inline limit and mints no
 * SAS, while startrun with the zip inline still reaches Azure ML; a Key Vault reference the
 * platform did not resolve stops the settings, and `/v1/health` names the setting (never its
 * value) instead of calling upstreams with the literal reference as a secret.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routeTable } from '../../src/app.js';
import { loadSettings } from '../../src/config.js';
import { type LocalHost, startLocalHost } from '../../src/local-host/server.js';
import { createServices } from '../../src/services.js';
import {
  buildZip,
  EXPERIMENT,
  example,
  experimentPath,
  postForm,
  sha256,
  stagedBlobs,
  startRunForm,
  upstreamExperimentPath,
} from '../helpers/azureml-requests.js';
import { call, type Gateway, startGateway, WORKSPACE } from '../helpers/gateway.js';
import { captureLogs } from '../helpers/log-capture.js';

describe('UPLOAD_SLOTS=off: a storage account callers cannot reach', () => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startGateway({ azureml: true, env: { UPLOAD_SLOTS: 'off' } });
  });
  afterAll(() => gw.close());

  it('POST /v1/uploads answers 503 naming the inline path and its limit, and stages nothing', async () => {
    // Act
    const res = await call(gw, 'POST', '/v1/uploads');
    // Assess
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.json()).toMatchObject({
      type: '/problems/upstream-not-configured',
      status: 503,
      detail: expect.stringMatching(/UPLOAD_SLOTS=off.*inline to startrun.*up to 4194304 bytes/),
    });
    expect(res.text).not.toMatch(/sig=|blob\.core|127\.0\.0\.1:\d+\/devstoreaccount1/);
    expect(await stagedBlobs(gw)).toEqual([]);
  });

  it('startrun with the zip inline still runs: the upstream receives the same bytes', async () => {
    // Prepare
    const zip = buildZip([{ name: 'train.py', data: 'print("private network")\n' }]);
    // Act
    const res = await postForm(
      gw,
      `${experimentPath()}/startrun?runId=vnet-inline-1`,
      startRunForm(example('run-definition.json'), zip),
    );
    // Assess
    expect(res.status).toBe(200);
    const upstream =
      gw.azureml?.requests.filter((r) => r.path === `${upstreamExperimentPath()}/startrun`) ?? [];
    expect(upstream.map((r) => r.status)).toEqual([200]);
    const run = gw.azureml?.runs.getRun(WORKSPACE.workspace, EXPERIMENT, 'vnet-inline-1');
    expect(run?.zip).toMatchObject({ bytes: zip.length, sha256: sha256(zip) });
  });
});

describe('an unresolved Key Vault reference', () => {
  const reference = '@Microsoft.KeyVault(SecretUri=https://vault-x.vault.azure.net/secrets/flyte-api-key)';
  const env = {
    FLYTE_ENDPOINT: 'http://127.0.0.1:9',
    FLYTE_PROJECTS: 'flytesnacks',
    FLYTE_AUTH: 'api-key',
    FLYTE_API_KEY: reference,
  };
  let host: LocalHost;
  beforeAll(async () => {
    host = await startLocalHost({
      port: 0,
      routes: routeTable(undefined, () => createServices(loadSettings(env))),
      sink: captureLogs(),
    });
  });
  afterAll(() => host.close());

  it('stops the settings, naming the setting and not its value', () => {
    expect(() => loadSettings(env)).toThrow(
      /FLYTE_API_KEY: is a Key Vault reference the platform did not resolve/,
    );
    try {
      loadSettings(env);
    } catch (error) {
      expect(String((error as Error).message)).not.toContain('vault-x');
    }
    // Any setting, secret or not.
    expect(() => loadSettings({ AZUREML_SCOPE: '@Microsoft.KeyVault(VaultName=v;SecretName=s)' })).toThrow(
      /AZUREML_SCOPE: is a Key Vault reference/,
    );
  });

  it('/v1/health says so, and no upstream is called with the reference', async () => {
    // Act
    const health = await call(host, 'GET', '/v1/health');
    const run = await call(host, 'GET', '/v1/api/v1/executions/flytesnacks/development/x');
    // Assess
    expect(health.status).toBe(500);
    expect(health.json()).toMatchObject({
      type: '/problems/invalid-configuration',
      detail: expect.stringContaining('FLYTE_API_KEY: is a Key Vault reference the platform did not resolve'),
    });
    expect(health.text).not.toContain('vault-x');
    expect(run.status).toBe(500);
    expect(run.json().type).toBe('/problems/invalid-configuration');
  });
});
