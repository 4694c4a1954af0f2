/**
 * @module
 * Telemetry set-up, once per process, before any request: `LOG_LEVEL` for the logs, and —
 * when an OTLP endpoint, an Application Insights connection string or the console exporter is
 * configured — the OpenTelemetry SDK (sdk.ts, whose packages are loaded only then), the gateway's spans and
 * metrics (spans.ts) and every log entry bridged to it with its trace context. Nothing
 * configured: no SDK is loaded and spans.ts stays off (a flag test per request).
 * Everything else in the app uses `@opentelemetry/api` only, through spans.ts.
 * @see ../../docs/telemetry.md
 */
import type { Settings } from '../config.js';
import { setLogExport, setLogLevel, setSinkWrites } from '../shared/log.js';
import { type Pipeline, startPipeline, type TelemetrySettings } from './sdk.js';
import { useTelemetry } from './spans.js';

export interface TelemetryOptions {
  /**
   * `functions`: under the Functions host, telemetry replaces the invocation log (the host is
   * told the worker exports its own, and lines no longer cross to it). @default 'local'
   */
  host?: 'functions' | 'local';
}

export interface Telemetry {
  /** Whether anything is exported. */
  on: boolean;
  /** Exports what is buffered now (tests, shutdown). */
  flush(): Promise<void>;
  /** Flushes, then unregisters everything: the process is back to telemetry off. */
  stop(): Promise<void>;
}

let current: { pipeline: Pipeline; telemetry: Telemetry } | undefined;

/** Whether these settings name any telemetry destination. */
function telemetryConfigured(s: TelemetrySettings): boolean {
  return Boolean(
    s.OTEL_EXPORTER_OTLP_ENDPOINT || s.APPLICATIONINSIGHTS_CONNECTION_STRING || s.TELEMETRY_CONSOLE,
  );
}

/**
 * Applies `LOG_LEVEL` and, when configured, starts the telemetry pipeline. A second call
 * returns the running one.
 * @example
 * const telemetry = startTelemetry(getServices().settings, { host: 'functions' });
 */
export function startTelemetry(settings: Settings, options: TelemetryOptions = {}): Telemetry {
  setLogLevel(settings.LOG_LEVEL);
  if (current) return current.telemetry;
  if (!telemetryConfigured(settings)) return { on: false, flush: async () => {}, stop: async () => {} };
  const pipeline = startPipeline(settings);
  useTelemetry(pipeline.recordUpstreamDuration);
  setLogExport((level, event, fields, trace) => pipeline.emitLog(level, event, fields, trace));
  if (options.host === 'functions') setSinkWrites(false);
  const telemetry: Telemetry = {
    on: true,
    flush: () => pipeline.flush(),
    stop: async () => {
      if (current?.pipeline !== pipeline) return;
      current = undefined;
      useTelemetry(undefined);
      setLogExport(undefined);
      setSinkWrites(true);
      await pipeline.shutdown();
    },
  };
  current = { pipeline, telemetry };
  return telemetry;
}
