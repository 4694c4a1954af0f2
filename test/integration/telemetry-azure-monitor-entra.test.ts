/**
 * Telemetry to Application Insights with Entra auth, as `infra/` deploys it
 * (`APPLICATIONINSIGHTS_AUTHENTICATION_STRING=Authorization=AAD;ClientId=…`, local auth off): the
 * exporter's token comes from the (emulated) App Service managed-identity endpoint, for Azure
 * Monitor's audience and the user-assigned identity, through the credential the gateway makes on
 * its first token (src/upstream/credentials.ts), and every ingestion request carries it. Own
 * file: MSAL caches the identity source per process.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AzureMlEmulator, startAzureMlEmulator } from '../../sandbox/azureml/index.js';
import { loadSettings } from '../../src/config.js';
import { startTelemetry, type Telemetry } from '../../src/telemetry/index.js';
import { type Gateway, startGateway } from '../helpers/gateway.js';
import { startIngestion } from '../helpers/ingestion.js';
import { pollUntil } from '../helpers/poll.js';

const IDENTITY_SECRET = 'identity-header-secret';
const CLIENT_ID = '22222222-3333-4444-5555-666666666666';
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

describe('telemetry to Application Insights with Entra auth (managed identity)', () => {
  let aml: AzureMlEmulator;
  let ingestion: Awaited<ReturnType<typeof startIngestion>>;
  let gateway: Gateway;
  let telemetry: Telemetry;
  const saved = { ...process.env };

  beforeAll(async () => {
    aml = await startAzureMlEmulator({ auth: { identityHeader: IDENTITY_SECRET } });
    ingestion = await startIngestion();
    // As in telemetry-azure-monitor.test.ts: trust the stand-in's certificate, no usage reports,
    // and nothing but loopback reachable.
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
    process.env.APPLICATION_INSIGHTS_NO_STATSBEAT = 'true';
    process.env.APPLICATIONINSIGHTS_SDKSTATS_DISABLED = 'true';
    process.env.HTTPS_PROXY = 'http://127.0.0.1:9';
    process.env.NO_PROXY = '127.0.0.1';
    process.env.IDENTITY_ENDPOINT = aml.identityEndpoint;
    process.env.IDENTITY_HEADER = IDENTITY_SECRET;
    const env = {
      APPLICATIONINSIGHTS_CONNECTION_STRING: `InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=${ingestion.url}/`,
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: `Authorization=AAD;ClientId=${CLIENT_ID}`,
      OTEL_TRACES_SAMPLER: 'always_on',
    };
    gateway = await startGateway({ env });
    gateway.emulator.seed({
      project: 'flytesnacks',
      domain: 'development',
      name: 'seed-1',
      phase: 'SUCCEEDED',
    });
    telemetry = startTelemetry(loadSettings({ FLYTE_PROJECTS: 'flytesnacks', ...env }));
  });

  afterAll(async () => {
    await telemetry?.stop();
    await gateway?.close();
    await ingestion?.close();
    await aml?.close();
    process.env = saved;
  });

  it("sends the request's envelopes with a managed-identity token for Azure Monitor", async () => {
    // Arrange: starting telemetry asked for no token; the first export will.
    expect(aml.tokenRequests).toEqual([]);

    // Act
    const res = await fetch(`${gateway.url}/v1/api/v1/executions/flytesnacks/development/seed-1`, {
      headers: { traceparent: `00-${TRACE_ID}-b7ad6b7169203331-01` },
    });
    await res.arrayBuffer();
    await telemetry.flush();
    const mine = await pollUntil(
      async () => ingestion.envelopes.filter((e) => e.tags['ai.operation.id'] === TRACE_ID),
      (found) => found.some((e) => e.data.baseType === 'RequestData'),
    );

    // Assess: tokens for Azure Monitor and the configured identity, on every ingestion call. The
    // trace, log and metric exporters flushed at once here, before the first token was cached, so
    // each may have asked for one.
    expect(res.status).toBe(200);
    expect(mine.map((e) => e.data.baseType)).toContain('RemoteDependencyData');
    expect(aml.tokenRequests.length).toBeGreaterThanOrEqual(1);
    expect(aml.tokenRequests.length).toBeLessThanOrEqual(3);
    for (const request of aml.tokenRequests) {
      expect(request).toMatchObject({ clientId: CLIENT_ID, status: 200 });
      expect(request.resource).toMatch(/^https:\/\/monitor\.azure\.com\/?$/);
    }
    const issued = new Set(aml.tokenRequests.map((r) => `Bearer ${r.token}`));
    expect(ingestion.authorizations.length).toBeGreaterThan(0);
    for (const authorization of ingestion.authorizations) expect(issued).toContain(authorization);
  });
});
