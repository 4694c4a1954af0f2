/**
 * Azure ML endpoint per workspace, end to end over loopback HTTP: without AZUREML_ENDPOINT the
 * gateway GETs each workspace from (emulated) ARM, GETs its discovery URL and calls the
 * Execution Service the answer names. Several emulator instances play several hosts: the
 * gateway's own (ARM and the westeurope host), an eastus host, the private-link host of a
 * workspace whose public access is disabled (the westeurope host refuses it), and a host
 * whose discovery answer names a host outside Azure ML. Each test asserts which instance
 * received which call.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AzureMlEmulator,
  type EmulatedWorkspace,
  startAzureMlEmulator,
} from '../../sandbox/azureml/index.js';
import type { RecordedRequest } from '../../sandbox/common/journal.js';
import { routeTable } from '../../src/app.js';
import { loadSettings } from '../../src/config.js';
import { startLocalHost } from '../../src/local-host/server.js';
import { createServices } from '../../src/services.js';
import { getReport, waitUntilDone } from '../helpers/cancellations.js';
import { call, type Gateway, startGateway, WORKSPACE } from '../helpers/gateway.js';
import { captureLogs } from '../helpers/log-capture.js';
import { connectMcp, problemOf } from '../helpers/mcp-client.js';
import { pollUntil } from '../helpers/poll.js';

const SUB = WORKSPACE.subscription;
const RG = WORKSPACE.resourceGroup;
const EXP = 'exp-disc';
const WORKSPACES = ['ws-west', 'ws-east', 'ws-burst', 'ws-private', 'ws-rogue', 'ws-rogue-arm', 'ws-missing'];
const ALLOW = WORKSPACES.map((ws) => `${SUB}/${RG}/${ws}`).join(',');

const rest = (ws: string) =>
  `/v1/execution/v1-0/subscriptions/${SUB}/resourcegroups/${RG}` +
  `/providers/microsoft-machinelearningservices/workspaces/${ws}/experiments/${EXP}`;
const upstream = (ws: string) =>
  `/execution/v1.0/subscriptions/${SUB}/resourceGroups/${RG}` +
  `/providers/Microsoft.MachineLearningServices/workspaces/${ws}/experiments/${EXP}`;
const armPath = (ws: string) =>
  `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.MachineLearningServices/workspaces/${ws}`;

const workspace = (name: string, location: string, host: AzureMlEmulator | string): EmulatedWorkspace => ({
  subscriptionId: SUB,
  resourceGroupName: RG,
  workspaceName: name,
  location,
  discoveryUrl: typeof host === 'string' ? host : `${host.url}/discovery`,
});

/** Execution Service calls an instance received for one workspace. */
const executionCalls = (aml: AzureMlEmulator, ws: string) =>
  aml.requests.filter((r) => r.path.startsWith(`${upstream(ws)}/`));
const armGets = (arm: AzureMlEmulator, ws: string) => arm.requests.filter((r) => r.path === armPath(ws));
const discoveryGets = (aml: AzureMlEmulator) => aml.requests.filter((r) => r.path === '/discovery');
const seedRun = (aml: AzureMlEmulator, ws: string, runId: string) =>
  aml.seed({ workspaceName: ws, experimentName: EXP, runId, status: 'Running' });
const cancel = (gw: { url: string }, ws: string, runId: string) =>
  call(gw, 'POST', `${rest(ws)}/runid/${runId}/cancel`);

/** A gateway without Azurite or Flyte (Azure ML only), on its own settings. */
async function lightGateway(env: Record<string, string>) {
  const services = createServices(loadSettings({ AZUREML_AUTH: 'none', AZUREML_WORKSPACES: ALLOW, ...env }));
  const host = await startLocalHost({
    port: 0,
    routes: routeTable(undefined, () => services),
    sink: captureLogs(),
  });
  return {
    url: host.url,
    close: async () => {
      await host.close();
      await services.close();
    },
  };
}

let gw: Gateway;
let arm: AzureMlEmulator; // ARM, and the westeurope host
let east: AzureMlEmulator;
let privateHost: AzureMlEmulator;
let rogue: AzureMlEmulator;

beforeAll(async () => {
  gw = await startGateway({
    azureml: { region: 'westeurope', publicAccessDisabled: ['ws-private'] },
    armFromEmulator: true,
    cancellations: true,
    env: { AZUREML_WORKSPACES: ALLOW },
  });
  arm = gw.azureml as AzureMlEmulator;
  [east, privateHost, rogue] = await Promise.all([
    startAzureMlEmulator({ region: 'eastus' }),
    startAzureMlEmulator({ region: 'westeurope' }),
    startAzureMlEmulator({
      discovery: { history: 'https://attacker.example.net', api: 'https://attacker.example.net' },
    }),
  ]);
  for (const ws of [
    workspace('ws-west', 'westeurope', arm),
    workspace('ws-east', 'eastus', east),
    workspace('ws-burst', 'eastus', east),
    workspace('ws-private', 'westeurope', privateHost),
    workspace('ws-rogue', 'westeurope', rogue),
    workspace('ws-rogue-arm', 'westeurope', 'https://attacker.example.net/discovery'),
  ])
    arm.workspaces.put(ws);
}, 60_000);

afterAll(async () => {
  await gw?.close();
  await Promise.all([east?.close(), privateHost?.close(), rogue?.close()]);
});

describe('Azure ML endpoint discovery', () => {
  it('sends each workspace on the allow-list to the endpoint of its own region', async () => {
    // Prepare
    seedRun(arm, 'ws-west', 'w-1');
    seedRun(east, 'ws-east', 'e-1');
    // Act
    const [west, eastAnswer] = await Promise.all([
      cancel(gw, 'ws-west', 'w-1'),
      cancel(gw, 'ws-east', 'e-1'),
    ]);
    // Assess: each answer from its own host, each host saw only its own workspace
    expect(west.status, west.text).toBe(200);
    expect(west.json()).toEqual({ runId: 'w-1' });
    expect(eastAnswer.status, eastAnswer.text).toBe(200);
    expect(eastAnswer.json()).toEqual({ runId: 'e-1' });
    expect(executionCalls(arm, 'ws-west').map((r) => r.path)).toEqual([
      `${upstream('ws-west')}/runId/w-1/cancel`,
    ]);
    expect(executionCalls(east, 'ws-east').map((r) => r.path)).toEqual([
      `${upstream('ws-east')}/runId/e-1/cancel`,
    ]);
    expect(executionCalls(arm, 'ws-east')).toEqual([]);
    expect(executionCalls(east, 'ws-west')).toEqual([]);
    // The lookups: ARM GET with an api-version, then the region's discovery URL
    expect(armGets(arm, 'ws-east')).toHaveLength(1);
    expect(armGets(arm, 'ws-east')[0]?.query['api-version']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(discoveryGets(east).length).toBeGreaterThanOrEqual(1);
  });

  it('reaches a private-link workspace on the host its discovery names, not its region’s public host', async () => {
    // Prepare: the westeurope public host refuses the workspace, as the service does
    seedRun(privateHost, 'ws-private', 'p-1');
    const direct = await fetch(`${arm.url}${upstream('ws-private')}/runId/p-1/cancel`, { method: 'POST' });
    expect(direct.status).toBe(403);
    arm.requests.length = 0;
    // Act
    const res = await cancel(gw, 'ws-private', 'p-1');
    // Assess
    expect(res.status, res.text).toBe(200);
    expect(res.json()).toEqual({ runId: 'p-1' });
    expect(executionCalls(privateHost, 'ws-private')).toHaveLength(1);
    expect(executionCalls(arm, 'ws-private')).toEqual([]);
  });

  it('looks a workspace up once for a burst of calls and for the calls after it', async () => {
    // Prepare
    const runs = Array.from({ length: 12 }, (_, i) => `b-${i}`);
    for (const runId of runs) seedRun(east, 'ws-burst', runId);
    const discoveriesBefore = discoveryGets(east).length;
    // Act: a burst before any lookup finished, then more one by one
    const burst = await Promise.all(runs.slice(0, 8).map((runId) => cancel(gw, 'ws-burst', runId)));
    const later: Awaited<ReturnType<typeof cancel>>[] = [];
    for (const runId of runs.slice(8)) later.push(await cancel(gw, 'ws-burst', runId));
    // Assess
    expect([...burst, ...later].map((r) => r.status)).toEqual(runs.map(() => 200));
    expect(armGets(arm, 'ws-burst')).toHaveLength(1);
    expect(discoveryGets(east).length - discoveriesBefore).toBe(1);
    expect(executionCalls(east, 'ws-burst')).toHaveLength(runs.length);
  });

  it('answers a failed lookup with a 502 problem naming the workspace, reaching no Execution Service', async () => {
    // Act: not a workspace ARM knows
    const res = await cancel(gw, 'ws-missing', 'm-1');
    // Assess
    expect(res.status).toBe(502);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem = res.json();
    expect(problem).toMatchObject({ status: 502, workspace: `${SUB}/${RG}/ws-missing` });
    expect(problem.type).toMatch(/upstream-unreachable$/);
    expect(problem.detail).toContain(`workspace ${SUB}/${RG}/ws-missing`);
    expect(problem.detail).toContain('Azure Resource Manager answered 404 (ResourceNotFound)');
    for (const aml of [arm, east, privateHost, rogue]) expect(executionCalls(aml, 'ws-missing')).toEqual([]);
  });

  it('answers an ARM failure (500) with the same problem', async () => {
    // Prepare
    arm.faults.script(armPath('ws-west-down'), [{ kind: 'status5xx', status: 500 }]);
    arm.workspaces.put(workspace('ws-west-down', 'westeurope', arm));
    const gateway = await lightGateway({
      AZURE_RESOURCE_MANAGER_ENDPOINT: arm.url,
      AZUREML_WORKSPACES: `${SUB}/${RG}/ws-west-down`,
    });
    try {
      // Act
      const res = await cancel(gateway, 'ws-west-down', 'x-1');
      // Assess
      expect(res.status).toBe(502);
      expect(res.json().detail).toContain('Azure Resource Manager answered 500');
      expect(executionCalls(arm, 'ws-west-down')).toEqual([]);
    } finally {
      await gateway.close();
    }
  });

  it('refuses a discovery answer naming a host outside Azure ML, and an ARM discoveryUrl outside it', async () => {
    // Act
    const answer = await cancel(gw, 'ws-rogue', 'r-1');
    const armAnswer = await cancel(gw, 'ws-rogue-arm', 'r-2');
    // Assess
    expect(answer.status).toBe(502);
    expect(answer.json().detail).toContain(
      'the discovered endpoint was refused: attacker.example.net is not an Azure ML host of AzureCloud',
    );
    expect(discoveryGets(rogue)).toHaveLength(1);
    expect(executionCalls(rogue, 'ws-rogue')).toEqual([]);
    expect(armAnswer.status).toBe(502);
    expect(armAnswer.json().detail).toContain('its discoveryUrl was refused: attacker.example.net');
  });

  it('serves MCP tools and batch cancellation through the same per-workspace endpoints', async () => {
    // Prepare
    seedRun(arm, 'ws-west', 'w-mcp');
    seedRun(east, 'ws-east', 'e-mcp');
    seedRun(arm, 'ws-west', 'w-batch');
    seedRun(east, 'ws-east', 'e-batch');
    const client = await connectMcp(gw);
    const target = (ws: string, runId: string) => ({
      subscriptionId: SUB,
      resourceGroupName: RG,
      workspaceName: ws,
      experimentName: EXP,
      runId,
    });
    try {
      // Act: MCP
      const viaMcp = await client.callTool({
        name: 'microsoft-azure-cancel-run',
        arguments: target('ws-east', 'e-mcp'),
      });
      const missing = await client.callTool({
        name: 'microsoft-azure-cancel-run',
        arguments: target('ws-missing', 'm-2'),
      });
      // Act: batch
      const batch = await call(gw, 'POST', '/v1/cancellations', {
        targets: [
          { kind: 'azureml', ...target('ws-west', 'w-batch') },
          { kind: 'azureml', ...target('ws-east', 'e-batch') },
        ],
      });
      expect(batch.status, batch.text).toBe(202);
      const report = await waitUntilDone(gw, batch.json().batchId);
      // Assess
      expect(viaMcp.isError).toBeUndefined();
      expect(viaMcp.structuredContent).toEqual({ runId: 'e-mcp' });
      expect(executionCalls(east, 'ws-east').some((r) => r.path.endsWith('/runId/e-mcp/cancel'))).toBe(true);
      expect(problemOf(missing)).toMatchObject({ status: 502, workspace: `${SUB}/${RG}/ws-missing` });
      expect(report.counts).toMatchObject({ cancelled: 2, pending: 0 });
      const hit = (aml: AzureMlEmulator, runId: string) =>
        aml.requests.filter((r: RecordedRequest) => r.path.endsWith(`/runId/${runId}/cancel`)).length;
      expect([hit(arm, 'w-batch'), hit(east, 'w-batch')]).toEqual([1, 0]);
      expect([hit(east, 'e-batch'), hit(arm, 'e-batch')]).toEqual([1, 0]);
      expect((await getReport(gw, batch.json().batchId)).done).toBe(true);
    } finally {
      await client.close();
    }
  });
});

describe('Azure ML endpoint cache expiry and overrides', () => {
  it('looks a workspace up again once its endpoint expires (AZUREML_DISCOVERY_TTL_SECONDS)', async () => {
    // Prepare
    arm.workspaces.put(workspace('ws-ttl', 'eastus', east));
    for (let i = 0; i < 200; i++) seedRun(east, 'ws-ttl', `t-${i}`);
    const gateway = await lightGateway({
      AZURE_RESOURCE_MANAGER_ENDPOINT: arm.url,
      AZUREML_WORKSPACES: `${SUB}/${RG}/ws-ttl`,
      AZUREML_DISCOVERY_TTL_SECONDS: '1',
    });
    try {
      // Act: calls until a second lookup shows up
      let next = 0;
      const statuses: number[] = [];
      await pollUntil(
        async () => {
          statuses.push((await cancel(gateway, 'ws-ttl', `t-${next++}`)).status);
          return armGets(arm, 'ws-ttl').length;
        },
        (lookups) => lookups >= 2,
        { timeoutMs: 8_000, intervalMs: 50 },
      );
      // Assess: every call answered; more calls than lookups (the cache served between them)
      expect(statuses.every((s) => s === 200)).toBe(true);
      expect(statuses.length).toBeGreaterThan(armGets(arm, 'ws-ttl').length);
    } finally {
      await gateway.close();
    }
  });

  it('tries a failed lookup again soon: a workspace created after a 502 is found', async () => {
    // Prepare
    const gateway = await lightGateway({
      AZURE_RESOURCE_MANAGER_ENDPOINT: arm.url,
      AZUREML_WORKSPACES: `${SUB}/${RG}/ws-late`,
      AZUREML_DISCOVERY_TTL_SECONDS: '1',
    });
    seedRun(east, 'ws-late', 'l-1');
    try {
      expect((await cancel(gateway, 'ws-late', 'l-1')).status).toBe(502);
      // Act
      arm.workspaces.put(workspace('ws-late', 'eastus', east));
      const res = await pollUntil(
        () => cancel(gateway, 'ws-late', 'l-1'),
        (r) => r.status !== 502,
        { timeoutMs: 8_000, intervalMs: 100 },
      );
      // Assess
      expect(res.status, res.text).toBe(200);
      expect(executionCalls(east, 'ws-late')).toHaveLength(1);
    } finally {
      await gateway.close();
    }
  });

  it('AZUREML_ENDPOINT overrides discovery: every workspace goes there, ARM is never asked', async () => {
    // Prepare
    const gateway = await lightGateway({
      AZUREML_ENDPOINT: east.url,
      AZURE_RESOURCE_MANAGER_ENDPOINT: arm.url,
      AZUREML_WORKSPACES: `${SUB}/${RG}/ws-pinned`,
    });
    arm.workspaces.put(workspace('ws-pinned', 'westeurope', arm));
    seedRun(east, 'ws-pinned', 'pin-1');
    try {
      // Act
      const res = await cancel(gateway, 'ws-pinned', 'pin-1');
      // Assess
      expect(res.status, res.text).toBe(200);
      expect(executionCalls(east, 'ws-pinned')).toHaveLength(1);
      expect(executionCalls(arm, 'ws-pinned')).toEqual([]);
      expect(armGets(arm, 'ws-pinned')).toEqual([]);
    } finally {
      await gateway.close();
    }
  });
});

describe('Azure ML endpoint discovery with the managed identity', () => {
  const IDENTITY_SECRET = 'discovery-identity-secret';
  const saved = { endpoint: process.env.IDENTITY_ENDPOINT, header: process.env.IDENTITY_HEADER };
  let secured: AzureMlEmulator;

  beforeAll(async () => {
    // One identity endpoint for the file: MSAL keeps the one it detects for the process.
    secured = await startAzureMlEmulator({
      auth: { requireBearer: 'issued', identityHeader: IDENTITY_SECRET },
    });
    process.env.IDENTITY_ENDPOINT = secured.identityEndpoint;
    process.env.IDENTITY_HEADER = IDENTITY_SECRET;
    secured.workspaces.put(workspace('ws-mi', 'westeurope', secured));
  });

  afterAll(async () => {
    await secured?.close();
    for (const [name, value] of [
      ['IDENTITY_ENDPOINT', saved.endpoint],
      ['IDENTITY_HEADER', saved.header],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('GETs the workspace from ARM with an ARM-audience token, discovery without one', async () => {
    // Prepare
    seedRun(secured, 'ws-mi', 'mi-1');
    const gateway = await lightGateway({
      AZUREML_AUTH: 'managed-identity',
      AZURE_RESOURCE_MANAGER_ENDPOINT: secured.url,
      AZUREML_WORKSPACES: `${SUB}/${RG}/ws-mi`,
    });
    try {
      // Act
      const res = await cancel(gateway, 'ws-mi', 'mi-1');
      // Assess
      expect(res.status, res.text).toBe(200);
      expect(secured.tokenRequests.map((t) => t.resource)).toEqual(['https://management.azure.com']);
      const bearer = `Bearer ${secured.tokenRequests[0]?.token}`;
      expect(armGets(secured, 'ws-mi').map((r) => r.headers.authorization)).toEqual([bearer]);
      expect(discoveryGets(secured).map((r) => r.headers.authorization)).toEqual([undefined]);
      expect(executionCalls(secured, 'ws-mi').map((r) => r.headers.authorization)).toEqual([bearer]);
    } finally {
      await gateway.close();
    }
  });

  it('asks for the sovereign cloud’s ARM audience with AZURE_CLOUD', async () => {
    // Prepare
    seedRun(secured, 'ws-mi', 'mi-2');
    secured.tokenRequests.length = 0;
    const gateway = await lightGateway({
      AZUREML_AUTH: 'managed-identity',
      AZURE_CLOUD: 'AzureChinaCloud',
      AZURE_RESOURCE_MANAGER_ENDPOINT: secured.url,
      AZUREML_WORKSPACES: `${SUB}/${RG}/ws-mi`,
    });
    try {
      // Act
      const res = await cancel(gateway, 'ws-mi', 'mi-2');
      // Assess: one token, ARM and data plane alike (AZUREML_SCOPE follows the cloud)
      expect(res.status, res.text).toBe(200);
      expect(secured.tokenRequests.map((t) => t.resource)).toEqual(['https://management.chinacloudapi.cn']);
    } finally {
      await gateway.close();
    }
  });
});
