/**
 * Telemetry's default sampling, as the Azure Monitor distro's: `microsoft.rate_limited`
 * (5 traces a second unless OTEL_TRACES_SAMPLER_ARG says otherwise), with log records of
 * unsampled traces dropped below warn. Here the rate is 0, so no trace is sampled and the
 * outcome is certain: no span is exported, every request is still counted in the metrics, the
 * trace context still travels upstream and back (unsampled), a request's `request.done` record
 * is dropped and a refusal's record is kept.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Telemetry } from '../../src/telemetry/index.js';
import type { Gateway } from '../helpers/gateway.js';
import { attr, startCollector } from '../helpers/otlp-collector.js';
import { pollUntil } from '../helpers/poll.js';
import { startTelemetryGateway } from '../helpers/telemetry-gateway.js';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const GET = '/v1/api/v1/executions/flytesnacks/development/seed-1';

describe('telemetry sampling (the rate-limited default, at 0 traces a second)', () => {
  let collector: Awaited<ReturnType<typeof startCollector>>;
  let gateway: Gateway;
  let telemetry: Telemetry;
  let close: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    collector = await startCollector();
    // OTEL_TRACES_SAMPLER unset: the default sampler, held at 0 traces a second.
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_TRACES_SAMPLER_ARG: '0' };
    ({ gateway, telemetry, close } = await startTelemetryGateway(env, 'RUNNING'));
  });

  afterAll(async () => {
    await close?.();
    await collector?.close();
  });

  it('records no span, counts every request, keeps refusals in the logs and the trace context upstream', async () => {
    // Act: ten answered requests, one with a caller's sampled traceparent, and one refusal.
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      const res = await fetch(`${gateway.url}${GET}`, {
        headers: {
          'x-request-id': `sampled-out-${i}`,
          ...(i === 0 ? { traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01` } : {}),
        },
      });
      await res.arrayBuffer();
      statuses.push(res.status);
    }
    const refused = await fetch(`${gateway.url}/v1/api/v1/executions/flytesnacks/development/bad..name`, {
      headers: { 'x-request-id': 'sampled-out-refusal' },
    });
    await refused.arrayBuffer();
    await telemetry.flush();
    // Cumulative sums: the latest (largest) value of each status class, added up.
    const counted = await pollUntil(
      async () => {
        const byClass = new Map<unknown, number>();
        for (const p of collector.metricPoints('gateway.requests')) {
          if (attr(p, 'gateway.operation') !== 'getexecution') continue;
          const klass = attr(p, 'http.status_class');
          byClass.set(klass, Math.max(byClass.get(klass) ?? 0, Number(p.asInt ?? p.asDouble ?? 0)));
        }
        return Object.fromEntries(byClass);
      },
      (found) => (found['2xx'] ?? 0) + (found['4xx'] ?? 0) >= 11,
    );
    const refusal = await pollUntil(
      async () => collector.logRecords().filter((r) => attr(r, 'requestId') === 'sampled-out-refusal'),
      (found) => found.length >= 1,
    );

    // Assess: the answers, then what telemetry kept of them.
    expect(statuses).toEqual(Array(10).fill(200));
    expect(refused.status).toBe(400);
    expect(collector.spans()).toEqual([]);
    expect(counted).toEqual({ '2xx': 10, '4xx': 1 });
    expect(refusal[0]?.body?.stringValue).toBe('request.refused');
    expect(collector.logRecords().filter((r) => r.body?.stringValue === 'request.done')).toEqual([]);
    // The local log still has every request's line.
    const done = gateway.logs.entries().filter((e) => e.event === 'request.done');
    expect(done.map((e) => e.requestId)).toEqual(expect.arrayContaining(['sampled-out-0', 'sampled-out-9']));
    // Unsampled, the caller's trace still goes upstream and back, marked not sampled.
    const sent = gateway.emulator.requests.find((r) => r.headers['x-request-id'] === 'sampled-out-0');
    const answered = sent?.headers.traceparent ?? '';
    expect(answered).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-00$`));
  });
});
