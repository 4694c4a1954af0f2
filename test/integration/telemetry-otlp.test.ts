/**
 * Telemetry to an OTLP collector: a loopback HTTP server takes the gateway's OTLP/HTTP JSON
 * exports. A request that carries a caller's `traceparent` shows up as the gateway's SERVER
 * span in the caller's trace, with its CLIENT span (upstream call) as a child; the emulator
 * received that client span's id as its parent id; the request's log line arrives as a log
 * record of the same trace; the request counter and upstream histogram are exported.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Telemetry } from '../../src/telemetry/index.js';
import { UPSTREAM_DURATION } from '../../src/telemetry/upstream-durations.js';
import type { Gateway } from '../helpers/gateway.js';
import {
  attr,
  type OtlpLog,
  type OtlpPoint,
  type OtlpSpan,
  startCollector,
} from '../helpers/otlp-collector.js';
import { pollUntil } from '../helpers/poll.js';
import { startTelemetryGateway } from '../helpers/telemetry-gateway.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';
const SERVER = 2;
const CLIENT = 3;

describe('telemetry to an OTLP collector', () => {
  let collector: Awaited<ReturnType<typeof startCollector>>;
  let gateway: Gateway;
  let telemetry: Telemetry;
  let close: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    collector = await startCollector();
    // Every trace recorded: what is checked here is the spans' shape (sampling: telemetry-sampling.test.ts).
    const env = {
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_SERVICE_NAME: 'gateway-under-test',
      OTEL_TRACES_SAMPLER: 'always_on',
    };
    ({ gateway, telemetry, close } = await startTelemetryGateway(env));
  });

  afterAll(async () => {
    await close?.();
    await collector?.close();
  });

  it("shows the request's server span and its upstream client span in the caller's trace", async () => {
    // Act
    const res = await fetch(`${gateway.url}/v1/api/v1/executions/flytesnacks/development/seed-1`, {
      headers: { traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01`, 'x-request-id': 'otlp-1' },
    });
    await res.arrayBuffer();
    await telemetry.flush();
    const spans = await pollUntil(
      async () => collector.spans().filter((s) => s.traceId === TRACE_ID),
      (found) => found.length >= 2,
    );

    // Assess: the answer and its correlation headers
    expect(res.status).toBe(200);
    const server = spans.find((s) => s.kind === SERVER);
    const client = spans.find((s) => s.kind === CLIENT);
    expect(server?.parentSpanId).toBe(CALLER_SPAN);
    expect(res.headers.get('traceparent')).toBe(`00-${TRACE_ID}-${server?.spanId}-01`);
    expect(res.headers.get('x-request-id')).toBe('otlp-1');
    // The server span: route template, method, status, upstream status, attempts.
    expect(server?.name).toBe('GET /v1/api/v1/executions/{id-project}/{id-domain}/{id-name}');
    expect(attr(server as OtlpSpan, 'http.route')).toBe(
      '/v1/api/v1/executions/{id-project}/{id-domain}/{id-name}',
    );
    expect(attr(server as OtlpSpan, 'http.request.method')).toBe('GET');
    expect(attr(server as OtlpSpan, 'http.response.status_code')).toBe(200);
    expect(attr(server as OtlpSpan, 'gateway.operation')).toBe('getexecution');
    expect(attr(server as OtlpSpan, 'gateway.request_id')).toBe('otlp-1');
    expect(attr(server as OtlpSpan, 'gateway.upstream.status_code')).toBe(200);
    expect(attr(server as OtlpSpan, 'gateway.upstream.attempts')).toBe(1);
    // The client span: a child of the server span.
    expect(client?.parentSpanId).toBe(server?.spanId);
    expect(attr(client as OtlpSpan, 'gateway.upstream')).toBe('Flyte Admin');
    expect(attr(client as OtlpSpan, 'http.response.status_code')).toBe(200);
    // What the upstream received: the caller's trace, the client span's id as parent.
    const sent = gateway.emulator.requests.find((r) => r.headers['x-request-id'] === 'otlp-1');
    expect(sent?.headers.traceparent).toBe(`00-${TRACE_ID}-${client?.spanId}-01`);
  });

  it("exports the request's log line as a log record of its trace, and the request metrics", async () => {
    // Act
    const res = await fetch(`${gateway.url}/v1/api/v1/executions/flytesnacks/development/seed-1`, {
      headers: { traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01`, 'x-request-id': 'otlp-2' },
    });
    await res.arrayBuffer();
    await telemetry.flush();
    const records = await pollUntil(
      async () =>
        collector
          .logRecords()
          .filter((r) => attr(r, 'requestId') === 'otlp-2' && r.body?.stringValue === 'request.done'),
      (found) => found.length >= 1,
    );

    // Assess
    const server = collector
      .spans()
      .find((s) => s.kind === SERVER && attr(s, 'gateway.request_id') === 'otlp-2');
    expect(records[0]?.traceId).toBe(TRACE_ID);
    expect(records[0]?.spanId).toBe(server?.spanId);
    expect(records[0]?.body?.stringValue).toBe('request.done');
    expect(attr(records[0] as OtlpLog, 'status')).toBe(200);
    // Still one JSON line per request on the sink too (the local host writes both).
    expect(gateway.logs.entries().some((e) => e.requestId === 'otlp-2' && e.event === 'request.done')).toBe(
      true,
    );
    await pollUntil(
      async () => collector.metricNames(),
      (names) => names.includes('gateway.requests') && names.includes('http.client.request.duration'),
    );
    // The upstream histogram (aggregated by the gateway, src/telemetry/upstream-durations.ts):
    // a cumulative series per upstream, method and status, counting both gets so far.
    const series = collector
      .metricPoints('http.client.request.duration')
      .filter(
        (p) => attr(p, 'gateway.upstream') === 'Flyte Admin' && attr(p, 'http.request.method') === 'GET',
      )
      .filter((p) => attr(p, 'http.response.status_code') === 200);
    const latest = series.at(-1) as OtlpPoint;
    expect(Number(latest.count)).toBeGreaterThanOrEqual(2);
    expect(latest.explicitBounds).toEqual([...UPSTREAM_DURATION.boundaries]);
    expect(latest.bucketCounts?.reduce<number>((total, n) => total + Number(n), 0)).toBe(
      Number(latest.count),
    );
    expect(latest.sum).toBeGreaterThan(0);
    expect(latest.min).toBeLessThanOrEqual(latest.max as number);
    expect(latest.startTimeUnixNano).toBe(series[0]?.startTimeUnixNano);
  });

  it('records upstream retries as events of the client span, and refusals with their problem', async () => {
    // Prepare: one 503 then success; the retry is inline (idempotent get).
    gateway.emulator.faults.set({ status5xx: { count: 1, status: 503 }, pathPrefix: '/api/' });

    // Act
    const res = await fetch(`${gateway.url}/v1/api/v1/executions/flytesnacks/development/seed-1`, {
      headers: { 'x-request-id': 'otlp-3' },
    });
    await res.arrayBuffer();
    const refused = await fetch(`${gateway.url}/v1/api/v1/executions/flytesnacks/development/bad..name`, {
      headers: { 'x-request-id': 'otlp-4' },
    });
    await refused.arrayBuffer();
    await telemetry.flush();
    const spans = await pollUntil(
      async () => collector.spans(),
      (all) => all.some((s) => attr(s, 'gateway.request_id') === 'otlp-4'),
    );

    // Assess
    const server = spans.find((s) => attr(s, 'gateway.request_id') === 'otlp-3');
    const client = spans.find((s) => s.kind === CLIENT && s.parentSpanId === server?.spanId);
    expect(res.status).toBe(200);
    expect(attr(server as OtlpSpan, 'gateway.upstream.attempts')).toBe(2);
    expect(client?.events?.map((e) => e.name)).toEqual(['retry']);
    const refusal = spans.find((s) => attr(s, 'gateway.request_id') === 'otlp-4');
    expect(refused.status).toBe(400);
    expect(attr(refusal as OtlpSpan, 'http.response.status_code')).toBe(400);
    expect(attr(refusal as OtlpSpan, 'gateway.problem')).toMatch(/validation|bad-request|invalid/);
    expect(spans.some((s) => s.kind === CLIENT && s.parentSpanId === refusal?.spanId)).toBe(false);
  });
});
