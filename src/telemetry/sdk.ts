/**
 * @module
 * The OpenTelemetry SDK as this gateway runs it — loaded only when telemetry is configured
 * (its packages are required only when `startPipeline` runs: a process without telemetry
 * loads none of them). One tracer, meter and logger provider, registered globally, each exporting in batches
 * to every configured destination:
 * - OTLP/HTTP (JSON) to `OTEL_EXPORTER_OTLP_ENDPOINT` (`/v1/traces`, `/v1/metrics`, `/v1/logs`);
 *   headers from `OTEL_EXPORTER_OTLP_HEADERS`, read by the exporters themselves;
 * - Application Insights (`@azure/monitor-opentelemetry-exporter`) with
 *   `APPLICATIONINSIGHTS_CONNECTION_STRING`, with an Entra token of the process's Azure
 *   credential (src/upstream/credentials.ts) when `APPLICATIONINSIGHTS_AUTHENTICATION_STRING`
 *   says `Authorization=AAD`;
 * - the console, with `TELEMETRY_CONSOLE=true` (debugging).
 * Spans and log records go through batch processors, metrics through a periodic reader: no
 * export is ever made on a request's path.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Context } from '@opentelemetry/api';
import type * as logsSdkTypes from '@opentelemetry/sdk-logs';
import type * as metricsSdkTypes from '@opentelemetry/sdk-metrics';
import type * as tracesTypes from '@opentelemetry/sdk-trace-base';
import type { Settings } from '../config.js';
import { packageVersion } from '../shared/package-version.js';
import { azureCredential } from '../upstream/credentials.js';
import { sampledIn, TELEMETRY_SCOPE } from './spans.js';
import { type RecordUpstreamDuration, upstreamDurations } from './upstream-durations.js';

/** The registered providers, to flush and shut down. */
export interface Pipeline {
  emitLog(
    level: 'debug' | 'info' | 'warn' | 'error',
    event: string,
    fields: Record<string, unknown>,
    context: object | undefined,
  ): void;
  /** `http.client.request.duration`, which every metric reader collects. */
  recordUpstreamDuration: RecordUpstreamDuration;
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

export type TelemetrySettings = Pick<
  Settings,
  | 'APPLICATIONINSIGHTS_CONNECTION_STRING'
  | 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'
  | 'AZURE_CLIENT_ID'
  | 'OTEL_EXPORTER_OTLP_ENDPOINT'
  | 'OTEL_SERVICE_NAME'
  | 'OTEL_TRACES_SAMPLER'
  | 'OTEL_TRACES_SAMPLER_ARG'
  | 'TELEMETRY_CONSOLE'
>;

/** Loads the SDK and each exporter only when used (exporters: only the destinations configured). */
const load = createRequire(__filename);

/** How often metrics are exported (the SDK's default); tests flush instead. */
const METRIC_INTERVAL_MS = 60_000;

const SEVERITY = { debug: 5, info: 9, warn: 13, error: 17 } as const;

/**
 * Builds and registers the providers.
 * @example
 * const pipeline = startPipeline(settings);
 * await pipeline.flush();
 */
export function startPipeline(s: TelemetrySettings): Pipeline {
  const { metrics, trace, ValueType }: typeof import('@opentelemetry/api') = load('@opentelemetry/api');
  const { resourceFromAttributes }: typeof import('@opentelemetry/resources') =
    load('@opentelemetry/resources');
  const traces: typeof tracesTypes = load('@opentelemetry/sdk-trace-base');
  const metricsSdk: typeof metricsSdkTypes = load('@opentelemetry/sdk-metrics');
  const logsSdk: typeof logsSdkTypes = load('@opentelemetry/sdk-logs');
  const resource = resourceFromAttributes({
    'service.name': s.OTEL_SERVICE_NAME,
    'service.version': packageVersion(),
  });
  const exporters = destinations(s, traces, metricsSdk, logsSdk);
  const durations = upstreamDurations(metricsSdk, ValueType.DOUBLE, resource, TELEMETRY_SCOPE);

  const tracerProvider = new traces.BasicTracerProvider({
    resource,
    sampler: sampler(s, traces),
    spanProcessors: exporters.map((e) => new traces.BatchSpanProcessor(e.spans)),
  });
  const meterProvider = new metricsSdk.MeterProvider({
    resource,
    readers: exporters.map(
      (e) =>
        new metricsSdk.PeriodicExportingMetricReader({
          exporter: e.metrics,
          exportIntervalMillis: METRIC_INTERVAL_MS,
          metricProducers: [
            durations.producerFor(
              e.metrics.selectAggregationTemporality?.(metricsSdk.InstrumentType.HISTOGRAM) ??
                metricsSdk.AggregationTemporality.CUMULATIVE,
            ),
          ],
        }),
    ),
  });
  const loggerProvider = new logsSdk.LoggerProvider({
    resource,
    processors: exporters.map((e) => new logsSdk.BatchLogRecordProcessor({ exporter: e.logs })),
  });
  trace.setGlobalTracerProvider(tracerProvider);
  metrics.setGlobalMeterProvider(meterProvider);
  const logger = loggerProvider.getLogger(TELEMETRY_SCOPE);

  return {
    recordUpstreamDuration: durations.record,
    emitLog(level, event, fields, context) {
      // Trace-based sampling of logs, as the Azure Monitor distro does by default: an info or
      // debug record of a trace that was not sampled is dropped (the per-request line of most
      // requests); refusals and failures are always kept, as are records outside any trace.
      if (SEVERITY[level] < SEVERITY.warn && context && !sampledIn(trace, context as Context)) return;
      logger.emit({
        severityNumber: SEVERITY[level],
        severityText: level.toUpperCase(),
        body: event,
        attributes: { ...withoutEmpty(fields), event },
        ...(context ? { context: context as Context } : {}),
      });
    },
    async flush() {
      await Promise.all([
        tracerProvider.forceFlush(),
        meterProvider.forceFlush(),
        loggerProvider.forceFlush(),
      ]);
    },
    async shutdown() {
      await Promise.all([tracerProvider.shutdown(), meterProvider.shutdown(), loggerProvider.shutdown()]);
      trace.disable();
      metrics.disable();
    },
  };
}

interface Destination {
  spans: tracesTypes.SpanExporter;
  metrics: metricsSdkTypes.PushMetricExporter;
  logs: logsSdkTypes.LogRecordExporter;
}

function destinations(
  s: TelemetrySettings,
  traces: typeof tracesTypes,
  metricsSdk: typeof metricsSdkTypes,
  logsSdk: typeof logsSdkTypes,
): Destination[] {
  const out: Destination[] = [];
  const otlp = s.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (otlp) {
    const { OTLPTraceExporter }: typeof import('@opentelemetry/exporter-trace-otlp-http') = load(
      '@opentelemetry/exporter-trace-otlp-http',
    );
    const { OTLPMetricExporter }: typeof import('@opentelemetry/exporter-metrics-otlp-http') = load(
      '@opentelemetry/exporter-metrics-otlp-http',
    );
    const { OTLPLogExporter }: typeof import('@opentelemetry/exporter-logs-otlp-http') = load(
      '@opentelemetry/exporter-logs-otlp-http',
    );
    out.push({
      spans: new OTLPTraceExporter({ url: `${otlp}/v1/traces` }),
      metrics: new OTLPMetricExporter({ url: `${otlp}/v1/metrics` }),
      logs: new OTLPLogExporter({ url: `${otlp}/v1/logs` }),
    });
  }
  const connectionString = s.APPLICATIONINSIGHTS_CONNECTION_STRING;
  if (connectionString) {
    const monitor = monitorExporter();
    const credential = entraCredential(s);
    const options = { connectionString, ...(credential ? { credential } : {}) };
    out.push({
      spans: new monitor.AzureMonitorTraceExporter(options),
      metrics: new monitor.AzureMonitorMetricExporter(options),
      logs: new monitor.AzureMonitorLogExporter(options),
    });
  }
  if (s.TELEMETRY_CONSOLE) {
    out.push({
      spans: new traces.ConsoleSpanExporter(),
      metrics: new metricsSdk.ConsoleMetricExporter(),
      logs: new logsSdk.ConsoleLogRecordExporter(),
    });
  }
  return out;
}

/**
 * `APPLICATIONINSIGHTS_AUTHENTICATION_STRING` as the Functions host reads it
 * (`Authorization=AAD;ClientId=<id>`): Entra auth with the process's Azure credential, the
 * user-assigned identity named (else AZURE_CLIENT_ID).
 */
function entraCredential(s: TelemetrySettings) {
  const parts = new Map(
    (s.APPLICATIONINSIGHTS_AUTHENTICATION_STRING ?? '')
      .split(';')
      .map((p) => p.split('=').map((v) => v.trim()))
      .map(([k, v]) => [(k ?? '').toLowerCase(), v ?? ''] as const),
  );
  if (parts.get('authorization')?.toUpperCase() !== 'AAD') return undefined;
  return azureCredential(parts.get('clientid') || s.AZURE_CLIENT_ID);
}

/**
 * The sampler `OTEL_TRACES_SAMPLER` names. The default, `microsoft.rate_limited` at 5 traces a
 * second, is the Azure Monitor distro's: the exporter's own samplers hash the trace id as
 * Application Insights does (every service of a trace decides alike) and mark the sample
 * rate on each span, so counts in the portal are scaled back up.
 */
function sampler(s: TelemetrySettings, t: typeof tracesTypes): tracesTypes.Sampler {
  const ratio = s.OTEL_TRACES_SAMPLER_ARG ?? 1;
  switch (s.OTEL_TRACES_SAMPLER) {
    case 'microsoft.rate_limited':
      return new (monitorSamplers().RateLimitedSampler)(s.OTEL_TRACES_SAMPLER_ARG ?? 5);
    case 'microsoft.fixed_percentage':
      return new (monitorSamplers().ApplicationInsightsSampler)(ratio);
    case 'always_on':
      return new t.AlwaysOnSampler();
    case 'always_off':
      return new t.AlwaysOffSampler();
    case 'traceidratio':
      return new t.TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_on':
      return new t.ParentBasedSampler({ root: new t.AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new t.ParentBasedSampler({ root: new t.AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new t.ParentBasedSampler({ root: new t.TraceIdRatioBasedSampler(ratio) });
  }
}

const monitorExporter = (): typeof import('@azure/monitor-opentelemetry-exporter') =>
  load('@azure/monitor-opentelemetry-exporter');

type MonitorSamplers = Pick<
  typeof import('@azure/monitor-opentelemetry-exporter'),
  'RateLimitedSampler' | 'ApplicationInsightsSampler'
>;

/**
 * The exporter's two samplers without the rest of it: its index loads ~290 more modules (the
 * Azure core pipeline, ~1 s cold), which an OTLP-only set-up never uses. The package's exports
 * map hides the files, so they are found beside its main; should a release move them, the
 * index is loaded instead (slower to start, the same samplers).
 */
function monitorSamplers(): MonitorSamplers {
  try {
    const dir = join(dirname(load.resolve('@azure/monitor-opentelemetry-exporter')), 'sampling');
    const { RateLimitedSampler } = load(join(dir, 'rateLimitedSampler.js')) as MonitorSamplers;
    const { ApplicationInsightsSampler } = load(join(dir, 'percentageSampler.js')) as MonitorSamplers;
    if (typeof RateLimitedSampler === 'function' && typeof ApplicationInsightsSampler === 'function')
      return { RateLimitedSampler, ApplicationInsightsSampler };
  } catch {
    // moved: the index has them
  }
  return monitorExporter();
}

function withoutEmpty(fields: Record<string, unknown>): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
      out[key] = value;
  }
  return out;
}
