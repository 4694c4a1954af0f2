/**
 * The emulator's ARM and discovery side: the workspace GET (ARM's resource shape and errors,
 * bearer auth as for the API), `GET /discovery` naming this host (or its overrides), the 403
 * of a public host for a workspace whose public access is disabled, and the control endpoint
 * that replaces the workspaces.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AzureMlEmulator, startAzureMlEmulator } from '../../sandbox/azureml/index.js';

const SUB = '00000000-0000-0000-0000-000000000000';
const ARM_PATH = `/subscriptions/${SUB}/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces`;
const WS = {
  subscriptionId: SUB,
  resourceGroupName: 'rg-ml',
  workspaceName: 'ws-a',
  location: 'westeurope',
  discoveryUrl: 'https://westeurope.api.azureml.ms/discovery',
  workspaceId: '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
};

let aml: AzureMlEmulator;
let locked: AzureMlEmulator;

beforeAll(async () => {
  aml = await startAzureMlEmulator({
    region: 'westeurope',
    workspaces: [WS],
    publicAccessDisabled: ['WS-Private'],
  });
  locked = await startAzureMlEmulator({ auth: { requireBearer: 'sesame' }, workspaces: [WS] });
});
afterAll(async () => {
  await Promise.all([aml.close(), locked.close()]);
});

// biome-ignore lint/suspicious/noExplicitAny: answers are checked by expect(), not by types
type Answer = { status: number; body: any };

const get = async (
  base: AzureMlEmulator,
  path: string,
  headers: Record<string, string> = {},
): Promise<Answer> => {
  const res = await fetch(`${base.url}${path}`, { headers });
  return { status: res.status, body: await res.json() };
};

describe('emulated ARM workspace GET', () => {
  it('answers the workspace resource with its discoveryUrl (ARM names in any case)', async () => {
    const res = await get(aml, `${ARM_PATH.toLowerCase()}/WS-A?api-version=2024-04-01`);
    expect(res).toEqual({
      status: 200,
      body: {
        id: `${ARM_PATH}/ws-a`,
        name: 'ws-a',
        type: 'Microsoft.MachineLearningServices/workspaces',
        location: 'westeurope',
        kind: 'Default',
        properties: {
          friendlyName: 'ws-a',
          workspaceId: WS.workspaceId,
          discoveryUrl: WS.discoveryUrl,
          publicNetworkAccess: 'Enabled',
          provisioningState: 'Succeeded',
        },
      },
    });
    expect(aml.requests.at(-1)).toMatchObject({
      method: 'GET',
      query: { 'api-version': '2024-04-01' },
      status: 200,
    });
  });

  it.each([
    [`${ARM_PATH}/ws-a`, 400, 'MissingApiVersionParameter'],
    [`${ARM_PATH}/nope?api-version=2024-04-01`, 404, 'ResourceNotFound'],
  ])('GET %s → %i %s', async (path, status, code) => {
    const res = await get(aml, path);
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
  });

  it('checks the bearer when auth is on', async () => {
    expect((await get(locked, `${ARM_PATH}/ws-a?api-version=2024-04-01`)).body.error.code).toBe(
      'AuthenticationFailed',
    );
    const ok = await get(locked, `${ARM_PATH}/ws-a?api-version=2024-04-01`, {
      authorization: 'Bearer sesame',
    });
    expect(ok.status).toBe(200);
  });

  it('replaces its workspaces through PUT /_emulator/workspaces', async () => {
    const put = await fetch(`${locked.url}/_emulator/workspaces`, {
      method: 'PUT',
      body: JSON.stringify([{ ...WS, workspaceName: 'ws-b' }]),
    });
    expect(put.status).toBe(200);
    const auth = { authorization: 'Bearer sesame' };
    expect((await get(locked, `${ARM_PATH}/ws-a?api-version=1`, auth)).status).toBe(404);
    expect((await get(locked, `${ARM_PATH}/ws-b?api-version=1`, auth)).status).toBe(200);
  });
});

describe('GET /discovery', () => {
  it('names this host for every service, without auth', async () => {
    const res = await get(locked, '/discovery');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ api: locked.url, history: locked.url, experimentation: locked.url });
  });

  it('answers the overrides set for other hosts', async () => {
    aml.workspaces.setDiscovery({ history: 'https://eastus.api.azureml.ms' });
    const res = await get(aml, '/discovery');
    aml.workspaces.setDiscovery({});
    expect(res.body).toMatchObject({ api: aml.url, history: 'https://eastus.api.azureml.ms' });
  });
});

describe('a workspace whose public access is disabled', () => {
  it('is refused by this (public) host with 403', async () => {
    const res = await fetch(
      `${aml.url}/execution/v1.0/subscriptions/${SUB}/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/ws-private/experiments/e/runId/r1/cancel`,
      { method: 'POST' },
    );
    const body = (await res.json()) as { error: unknown };
    expect(res.status).toBe(403);
    expect(body.error).toMatchObject({
      code: 'UserError',
      message: 'Access to workspace was denied based on workspace private link configuration.',
      innerError: { code: 'PrivateLinkAccessDenied' },
    });
  });
});
