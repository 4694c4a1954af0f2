/**
 * @module
 * `http.client.request.duration`, aggregated here and handed to each metric reader as a
 * `MetricProducer` rather than recorded on an SDK histogram. The SDK finds a record's series
 * by hashing its attributes (the JSON of their sorted keys): with its lookups, about 6 µs per
 * upstream call, the largest part of telemetry's cost on a get. Here a series is found by
 * three map lookups on strings the caller already holds.
 *
 * What a reader receives is what the SDK's explicit-bucket histogram reports — bucket counts
 * (upper bounds inclusive), count, sum, min and max per series — in the temporality its
 * exporter asks for: cumulative for OTLP by default, delta for Application Insights.
 */
import type { Attributes, HrTime, ValueType } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type * as metricsSdkTypes from '@opentelemetry/sdk-metrics';
import { entryOf } from '../shared/map-entry.js';

/** The instrument, as the semantic conventions name it. */
export const UPSTREAM_DURATION = {
  name: 'http.client.request.duration',
  description: 'Upstream calls, retries included, to the end of the answer body.',
  unit: 's',
  boundaries: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
} as const;

/** Records one upstream call: its status, or the error type when no answer came. */
export type RecordUpstreamDuration = (
  seconds: number,
  upstream: string,
  method: string,
  outcome: number | string,
) => void;

export interface UpstreamDurations {
  record: RecordUpstreamDuration;
  /** The producer for one reader, whose exporter wants `temporality`. */
  producerFor(temporality: metricsSdkTypes.AggregationTemporality): metricsSdkTypes.MetricProducer;
}

interface Series {
  attributes: Attributes;
  start: HrTime;
  count: number;
  sum: number;
  min: number;
  max: number;
  counts: number[];
}

/** upstream → method → status or error type → series. */
type SeriesMap = Map<string, Map<string, Map<number | string, Series>>>;

function hrNow(): HrTime {
  const ms = Date.now();
  return [Math.floor(ms / 1000), (ms % 1000) * 1e6];
}

function seriesOf(all: SeriesMap, upstream: string, method: string, outcome: number | string): Series {
  const byMethod = entryOf(all, upstream, () => new Map());
  const byOutcome = entryOf(byMethod, method, () => new Map());
  return entryOf(byOutcome, outcome, () => ({
    attributes: {
      'gateway.upstream': upstream,
      'http.request.method': method,
      [typeof outcome === 'number' ? 'http.response.status_code' : 'error.type']: outcome,
    },
    start: hrNow(),
    count: 0,
    sum: 0,
    min: Number.POSITIVE_INFINITY,
    max: Number.NEGATIVE_INFINITY,
    counts: new Array<number>(UPSTREAM_DURATION.boundaries.length + 1).fill(0),
  }));
}

function add(series: Series, seconds: number): void {
  series.count += 1;
  series.sum += seconds;
  if (seconds < series.min) series.min = seconds;
  if (seconds > series.max) series.max = seconds;
  const { boundaries } = UPSTREAM_DURATION;
  let bucket = 0;
  while (bucket < boundaries.length && seconds > (boundaries[bucket] as number)) bucket += 1;
  series.counts[bucket] = (series.counts[bucket] ?? 0) + 1;
}

/**
 * @param sdk the loaded `@opentelemetry/sdk-metrics` (its enums), @param double `ValueType.DOUBLE`.
 * @example
 * const durations = upstreamDurations(metricsSdk, api.ValueType.DOUBLE, resource, 'execution-gateway');
 * new PeriodicExportingMetricReader({ exporter, metricProducers: [durations.producerFor(temporality)] });
 * durations.record(0.012, 'Flyte Admin', 'GET', 200);
 */
export function upstreamDurations(
  sdk: Pick<typeof metricsSdkTypes, 'AggregationTemporality' | 'DataPointType'>,
  double: ValueType,
  resource: Resource,
  scope: string,
): UpstreamDurations {
  /** One series map per reader: a delta reader's is replaced at each collection. */
  const readers: { series: SeriesMap }[] = [];
  const descriptor = {
    name: UPSTREAM_DURATION.name,
    description: UPSTREAM_DURATION.description,
    unit: UPSTREAM_DURATION.unit,
    valueType: double,
  };
  return {
    record(seconds, upstream, method, outcome) {
      if (!Number.isFinite(seconds)) return;
      for (const reader of readers) add(seriesOf(reader.series, upstream, method, outcome), seconds);
    },
    producerFor(temporality) {
      const reader = { series: new Map() as SeriesMap };
      readers.push(reader);
      const delta = temporality === sdk.AggregationTemporality.DELTA;
      let lastCollection = hrNow();
      return {
        async collect() {
          const now = hrNow();
          const taken = reader.series;
          if (delta) reader.series = new Map();
          const dataPoints: metricsSdkTypes.DataPoint<metricsSdkTypes.Histogram>[] = [];
          for (const byMethod of taken.values())
            for (const byOutcome of byMethod.values())
              for (const s of byOutcome.values()) {
                dataPoints.push({
                  attributes: s.attributes,
                  startTime: delta ? lastCollection : s.start,
                  endTime: now,
                  // A copy: a cumulative series goes on counting while the export is under way.
                  value: {
                    buckets: { boundaries: [...UPSTREAM_DURATION.boundaries], counts: [...s.counts] },
                    count: s.count,
                    sum: s.sum,
                    min: s.min,
                    max: s.max,
                  },
                });
              }
          lastCollection = now;
          const metrics: metricsSdkTypes.HistogramMetricData[] =
            dataPoints.length === 0
              ? []
              : [
                  {
                    descriptor,
                    aggregationTemporality: temporality,
                    dataPointType: sdk.DataPointType.HISTOGRAM,
                    dataPoints,
                  },
                ];
          return {
            resourceMetrics: {
              resource,
              scopeMetrics: metrics.length ? [{ scope: { name: scope }, metrics }] : [],
            },
            errors: [],
          };
        },
      };
    },
  };
}
