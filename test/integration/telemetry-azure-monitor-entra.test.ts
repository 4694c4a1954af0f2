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
import type { Telemetry } from '../../src/telemetry/index.js';
import type { Gateway } from '../helpers/gateway.js';
import { INGESTION_PROCESS_ENV, startIngestion } from '../helpers/ingestion.js';
import { pollUntil } from '../helpers/poll.js';
import { startTelemetryGateway } from '../helpers/telemetry-gateway.js';

const IDENTITY_SECRET = 'identity-header-secret';
const CLIENT_ID = '22222222-3333-4444-5555-666666666666';
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

describe('telemetry to Application Insights with Entra auth (managed identity)', () => {
  let aml: AzureMlEmulator;
  let ingestion: Awaited<ReturnType<typeof startIngestion>>;
  let gateway: Gateway;
  let telemetry: Telemetry;
  let close: (() => Promise<void>) | undefined;
  const saved = { ...process.env };

  beforeAll(async () => {
    aml = await startAzureMlEmulator({ auth: { identityHeader: IDENTITY_SECRET } });
    ingestion = await startIngestion();
    Object.assign(process.env, INGESTION_PROCESS_ENV); // nothing leaves loopback
    process.env.IDENTITY_ENDPOINT = aml.identityEndpoint;
    process.env.IDENTITY_HEADER = IDENTITY_SECRET;
    const env = {
      APPLICATIONINSIGHTS_CONNECTION_STRING: `InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=${ingestion.url}/`,
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: `Authorization=AAD;ClientId=${CLIENT_ID}`,
      OTEL_TRACES_SAMPLER: 'always_on',
    };
    ({ gateway, telemetry, close } = await startTelemetryGateway(env));
  });

  afterAll(async () => {
    await close?.();
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
