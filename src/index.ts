/**
 * @module
 * App-level setup, loaded first by the Functions host: HTTP streaming on, so request and
 * response bodies are streams rather than buffers in the invocation message; then telemetry
 * (LOG_LEVEL, and the OpenTelemetry pipeline when configured: docs/telemetry.md), before any
 * function is registered.
 */
import { app } from '@azure/functions';
import { getServices } from './services.js';
import { startTelemetry } from './telemetry/index.js';

app.setup({ enableHttpStream: true });

// Settings are a schema: a bad or missing one stops start-up here, naming the variable.
const telemetry = startTelemetry(getServices().settings, { host: 'functions' });

if (telemetry.on) {
  // As @azure/functions-opentelemetry-instrumentation does: the worker exports its own logs, so
  // a host in telemetryMode OpenTelemetry drops the copies it would otherwise forward.
  app.setup({ capabilities: { WorkerOpenTelemetryEnabled: true } });
  // What is still buffered goes out before the worker stops (scale-in, redeploy).
  app.hook.appTerminate(() => telemetry.stop());
}
