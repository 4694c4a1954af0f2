/**
 * Telemetry to Application Insights: APPLICATIONINSIGHTS_CONNECTION_STRING's IngestionEndpoint
 * points at a loopback server standing in for the ingestion service (Breeze, `/v2.1/track`,
 * gzip JSON envelopes). A request carrying a caller's `traceparent` arrives as a Request
 * envelope and a RemoteDependency envelope whose operation id is the caller's trace id, the
 * request's parent the caller's span and the dependency's parent the request; its log line
 * arrives as a trace (MessageData) of the same operation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Telemetry } from '../../src/telemetry/index.js';
import type { Gateway } from '../helpers/gateway.js';
import { INGESTION_PROCESS_ENV, startIngestion } from '../helpers/ingestion.js';
import { pollUntil } from '../helpers/poll.js';
import { startTelemetryGateway } from '../helpers/telemetry-gateway.js';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const CALLER_SPAN = 'b7ad6b7169203331';
const IKEY = '00000000-0000-0000-0000-000000000000';

describe('telemetry to Application Insights (Azure Monitor exporter)', () => {
  let ingestion: Awaited<ReturnType<typeof startIngestion>>;
  let gateway: Gateway;
  let telemetry: Telemetry;
  let close: (() => Promise<void>) | undefined;
  const saved = { ...process.env };

  beforeAll(async () => {
    ingestion = await startIngestion();
    Object.assign(process.env, INGESTION_PROCESS_ENV); // nothing leaves loopback
    const env = {
      APPLICATIONINSIGHTS_CONNECTION_STRING: `InstrumentationKey=${IKEY};IngestionEndpoint=${ingestion.url}/`,
      OTEL_SERVICE_NAME: 'gateway-under-test',
      // The distro's percentage sampler at 100 %: every trace, decided as Application Insights does.
      OTEL_TRACES_SAMPLER: 'microsoft.fixed_percentage',
      OTEL_TRACES_SAMPLER_ARG: '1',
    };
    ({ gateway, telemetry, close } = await startTelemetryGateway(env));
  });

  afterAll(async () => {
    await close?.();
    await ingestion?.close();
    process.env = saved;
  });

  it("sends the request and its dependency as envelopes of the caller's operation", async () => {
    // Act
    const res = await fetch(`${gateway.url}/v1/api/v1/executions/flytesnacks/development/seed-1`, {
      headers: { traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01`, 'x-request-id': 'appi-1' },
    });
    await res.arrayBuffer();
    await telemetry.flush();
    const mine = await pollUntil(
      async () => ingestion.envelopes.filter((e) => e.tags['ai.operation.id'] === TRACE_ID),
      (found) =>
        ['RequestData', 'RemoteDependencyData', 'MessageData'].every((type) =>
          found.some((e) => e.data.baseType === type),
        ),
    );

    // Assess
    expect(res.status).toBe(200);
    expect(ingestion.paths.every((p) => p.endsWith('/v2.1/track'))).toBe(true);
    const request = mine.find((e) => e.data.baseType === 'RequestData');
    const dependency = mine.find((e) => e.data.baseType === 'RemoteDependencyData');
    const message = mine.find((e) => e.data.baseType === 'MessageData');
    expect(request?.iKey).toBe(IKEY);
    expect(request?.tags['ai.operation.parentId']).toBe(CALLER_SPAN);
    expect(request?.tags['ai.cloud.role']).toBe('gateway-under-test');
    expect(request?.data.baseData).toMatchObject({ responseCode: '200', success: true });
    expect(String(request?.data.baseData.name)).toContain('/v1/api/v1/executions/{id-project}');
    expect(dependency?.tags['ai.operation.parentId']).toBe(request?.data.baseData.id);
    expect(dependency?.data.baseData).toMatchObject({ resultCode: '200', success: true });
    // The upstream got the dependency's id as its parent.
    const sent = gateway.emulator.requests.find((r) => r.headers['x-request-id'] === 'appi-1');
    expect(sent?.headers.traceparent).toBe(`00-${TRACE_ID}-${dependency?.data.baseData.id}-01`);
    // The log line: a trace of the same operation, under the request.
    expect(message?.data.baseData.message).toBe('request.done');
    expect(message?.tags['ai.operation.parentId']).toBe(request?.data.baseData.id);
    expect((message?.data.baseData.properties as Record<string, string> | undefined)?.requestId).toBe(
      'appi-1',
    );
  });
  it('sends the upstream-duration histogram as delta metrics: each flush counts only the calls since the last', async () => {
    // Arrange: whatever earlier requests left is sent first.
    await telemetry.flush();
    const durations = () =>
      ingestion.envelopes.filter(
        (e) =>
          e.data.baseType === 'MetricData' &&
          (e.data.baseData.metrics as { name: string }[])[0]?.name === 'http.client.request.duration' &&
          (e.data.baseData.properties as Record<string, string>)['gateway.upstream'] === 'Flyte Admin',
      );
    const before = durations().length;

    // Act: two gets, then one flush.
    for (const id of ['appi-metric-1', 'appi-metric-2']) {
      const res = await fetch(`${gateway.url}/v1/api/v1/executions/flytesnacks/development/seed-1`, {
        headers: { 'x-request-id': id },
      });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
    await telemetry.flush();
    const sent = await pollUntil(
      async () => durations().slice(before),
      (found) => found.length >= 1,
    );

    // Assess: one series (Flyte Admin, GET, 200) with the two calls, and no more.
    expect(sent).toHaveLength(1);
    const metric = (sent[0]?.data.baseData.metrics as Record<string, number>[] | undefined)?.[0];
    expect(metric).toMatchObject({ name: 'http.client.request.duration', count: 2 });
    expect(metric?.value).toBeGreaterThan(0);
    expect(metric?.min).toBeLessThanOrEqual(metric?.max as number);
    expect(sent[0]?.data.baseData.properties).toMatchObject({
      'http.request.method': 'GET',
      'http.response.status_code': '200',
    });
  });
});
