/**
 * The upstream-duration histogram aggregated outside the SDK: what each reader collects is
 * what an explicit-bucket histogram reports (upper bounds inclusive, count, sum, min, max, one
 * series per upstream, method and status or error type), cumulative or delta as its exporter
 * asks, and it reaches an exporter through a real MeterProvider's reader.
 */
import { ValueType } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import * as metricsSdk from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { UPSTREAM_DURATION, upstreamDurations } from '../../src/telemetry/upstream-durations.js';

const { AggregationTemporality, DataPointType } = metricsSdk;
const resource = resourceFromAttributes({ 'service.name': 'test' });

function durations() {
  return upstreamDurations(metricsSdk, ValueType.DOUBLE, resource, 'execution-gateway');
}

/** The points one collection yields, by their attributes. */
async function collect(producer: metricsSdk.MetricProducer) {
  const { resourceMetrics, errors } = await producer.collect();
  expect(errors).toEqual([]);
  const metrics = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics);
  return metrics.flatMap((m) =>
    m.dataPointType === DataPointType.HISTOGRAM
      ? m.dataPoints.map((p) => ({ temporality: m.aggregationTemporality, ...p }))
      : [],
  );
}

describe('upstream-duration histogram', () => {
  it('puts each duration in the bucket whose upper bound is the first at or above it', async () => {
    // Arrange
    const histogram = durations();
    const producer = histogram.producerFor(AggregationTemporality.CUMULATIVE);

    // Act: on a bound, just past it, past the last one; a non-finite duration is dropped.
    for (const seconds of [0.005, 0.0051, 0.2, 31, Number.NaN])
      histogram.record(seconds, 'Flyte Admin', 'GET', 200);
    const [point, ...others] = await collect(producer);

    // Assert
    expect(others).toEqual([]);
    expect(point?.attributes).toEqual({
      'gateway.upstream': 'Flyte Admin',
      'http.request.method': 'GET',
      'http.response.status_code': 200,
    });
    const expected = new Array(UPSTREAM_DURATION.boundaries.length + 1).fill(0);
    expected[0] = 1; // 0.005 ≤ 0.005
    expected[1] = 1; // 0.0051 ≤ 0.01
    expected[5] = 1; // 0.2 ≤ 0.25
    expected[UPSTREAM_DURATION.boundaries.length] = 1; // past 30 s
    expect(point?.value).toEqual({
      buckets: { boundaries: [...UPSTREAM_DURATION.boundaries], counts: expected },
      count: 4,
      sum: 0.005 + 0.0051 + 0.2 + 31,
      min: 0.005,
      max: 31,
    });
    expect(point?.temporality).toBe(AggregationTemporality.CUMULATIVE);
  });

  it('keeps one series per upstream, method and outcome, an error type in place of a status', async () => {
    // Arrange
    const histogram = durations();
    const producer = histogram.producerFor(AggregationTemporality.CUMULATIVE);

    // Act
    histogram.record(0.01, 'Flyte Admin', 'GET', 200);
    histogram.record(0.02, 'Flyte Admin', 'GET', 503);
    histogram.record(0.03, 'Flyte Admin', 'POST', 200);
    histogram.record(0.04, 'Azure ML Execution', 'POST', 'UpstreamTimeoutError');
    histogram.record(0.05, 'Flyte Admin', 'GET', 200);
    const points = await collect(producer);

    // Assert
    expect(points.map((p) => [p.attributes, p.value.count])).toEqual([
      [
        { 'gateway.upstream': 'Flyte Admin', 'http.request.method': 'GET', 'http.response.status_code': 200 },
        2,
      ],
      [
        { 'gateway.upstream': 'Flyte Admin', 'http.request.method': 'GET', 'http.response.status_code': 503 },
        1,
      ],
      [
        {
          'gateway.upstream': 'Flyte Admin',
          'http.request.method': 'POST',
          'http.response.status_code': 200,
        },
        1,
      ],
      [
        {
          'gateway.upstream': 'Azure ML Execution',
          'http.request.method': 'POST',
          'error.type': 'UpstreamTimeoutError',
        },
        1,
      ],
    ]);
  });

  it('gives a cumulative reader the running totals and a delta reader only what came since its last collection', async () => {
    // Arrange: one reader of each kind, as OTLP and Application Insights together have.
    const histogram = durations();
    const cumulative = histogram.producerFor(AggregationTemporality.CUMULATIVE);
    const delta = histogram.producerFor(AggregationTemporality.DELTA);

    // Act
    histogram.record(0.01, 'Flyte Admin', 'GET', 200);
    histogram.record(0.02, 'Flyte Admin', 'GET', 200);
    const [firstCumulative] = await collect(cumulative);
    const [firstDelta] = await collect(delta);
    histogram.record(0.5, 'Flyte Admin', 'GET', 200);
    const [secondCumulative] = await collect(cumulative);
    const [secondDelta] = await collect(delta);
    const idleDelta = await collect(delta);

    // Assert
    expect(firstCumulative?.value).toMatchObject({ count: 2, sum: 0.03, min: 0.01, max: 0.02 });
    expect(firstDelta?.value).toMatchObject({ count: 2, sum: 0.03, min: 0.01, max: 0.02 });
    expect(secondCumulative?.value).toMatchObject({ count: 3, min: 0.01, max: 0.5 });
    expect(secondCumulative?.startTime).toEqual(firstCumulative?.startTime);
    expect(secondDelta?.value).toMatchObject({ count: 1, sum: 0.5, min: 0.5, max: 0.5 });
    expect(secondDelta?.startTime).toEqual(firstDelta?.endTime);
    expect(secondDelta?.temporality).toBe(AggregationTemporality.DELTA);
    expect(idleDelta).toEqual([]);
    // What was handed out does not change under later records.
    expect(firstCumulative?.value.count).toBe(2);
  });

  it("reaches an exporter through a MeterProvider's reader, beside the SDK's own instruments", async () => {
    // Arrange
    const histogram = durations();
    const exporter = new metricsSdk.InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new metricsSdk.PeriodicExportingMetricReader({
      exporter,
      exportIntervalMillis: 60_000,
      metricProducers: [histogram.producerFor(AggregationTemporality.CUMULATIVE)],
    });
    const provider = new metricsSdk.MeterProvider({ resource, readers: [reader] });
    provider.getMeter('execution-gateway').createCounter('gateway.upstream.retries').add(1);

    // Act
    histogram.record(0.012, 'Flyte Admin', 'GET', 200);
    await provider.forceFlush();
    await provider.shutdown();

    // Assert
    const names = exporter
      .getMetrics()
      .flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics.map((m) => m.descriptor.name)));
    expect(names).toEqual(expect.arrayContaining(['gateway.upstream.retries', UPSTREAM_DURATION.name]));
    const metric = exporter
      .getMetrics()
      .flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics))
      .find((m) => m.descriptor.name === UPSTREAM_DURATION.name);
    expect(metric?.descriptor).toMatchObject({ unit: 's', valueType: ValueType.DOUBLE });
    expect(metric?.dataPoints[0]?.value).toMatchObject({ count: 1, sum: 0.012 });
  });
});
