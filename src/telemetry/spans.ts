/**
 * @module
 * The gateway's spans and metrics, on `@opentelemetry/api` only (the SDK is set up by
 * `startTelemetry`, src/telemetry/index.ts). Off — nothing configured — every function here
 * returns at once and the correlation ids of src/shared/correlation.ts are used as they are.
 *
 * Contexts are passed explicitly (`Correlation.trace`), not through an async context manager:
 * every call that makes an upstream call already receives its correlation, and an
 * AsyncLocalStorage context manager costs each promise of every request on Node 22.
 *
 * Spans: one SERVER span per request (frame.ts), continuing the Functions host's invocation
 * (its own request span) or else the caller's `traceparent`; one CLIENT span per upstream call
 * (http-client.ts), whose id is the parent id the upstream receives in `traceparent`, retries
 * as its `retry` events; one INTERNAL span per MCP tool call and one CONSUMER span per batch
 * cancellation message, parents of their upstream calls.
 */
import { createRequire } from 'node:module';
import type { Attributes, Context, Counter, Meter, Span, SpanContext, Tracer } from '@opentelemetry/api';
import { type CallerTrace, type Correlation, callerTrace } from '../shared/correlation.js';
import type { LogFields } from '../shared/log.js';
import { entryOf } from '../shared/map-entry.js';
import type { RecordUpstreamDuration } from './upstream-durations.js';

type Api = typeof import('@opentelemetry/api');

/** The instrumentation scope of the gateway's spans, metrics and log records. */
export const TELEMETRY_SCOPE = 'execution-gateway';

interface Instruments {
  /** Requests answered, counted here and reported when metrics are collected (see below). */
  requests: RequestCounts;
  /** Aggregated apart from the SDK's instruments (upstream-durations.ts). */
  upstreamDuration: RecordUpstreamDuration;
  retries: Counter;
  batchTargets: Counter;
}

/**
 * Set by `startTelemetry`: the API (loaded then: 44 modules a process without telemetry does
 * not load), the tracer and instruments of the registered SDK; or none (off).
 */
let on:
  | { api: Api; tracer: Tracer; instruments: Instruments; parse: (traceparent: string) => SpanContext | null }
  | undefined;

/**
 * Called by `startTelemetry` once the SDK's providers are registered, with the pipeline's
 * upstream-duration histogram (undefined: off again).
 */
export function useTelemetry(recordUpstreamDuration: RecordUpstreamDuration | undefined): void {
  if (!recordUpstreamDuration) {
    on = undefined;
    return;
  }
  const load = createRequire(__filename);
  const api: Api = load('@opentelemetry/api');
  const { parseTraceParent }: typeof import('@opentelemetry/core') = load('@opentelemetry/core');
  const meter = api.metrics.getMeter(TELEMETRY_SCOPE);
  on = {
    api,
    parse: parseTraceParent,
    tracer: api.trace.getTracer(TELEMETRY_SCOPE),
    instruments: {
      requests: requestCounter(meter),
      upstreamDuration: recordUpstreamDuration,
      retries: meter.createCounter('gateway.upstream.retries', { description: 'Upstream attempts retried.' }),
      batchTargets: meter.createCounter('gateway.cancellation.targets', {
        description: 'Batch cancellation targets settled, by outcome.',
      }),
    },
  };
}

/** `http.status_class` values, by `status / 100`: made once, not per request. */
const STATUS_CLASSES = ['0xx', '1xx', '2xx', '3xx', '4xx', '5xx'];

function statusClassOf(status: number): string {
  const hundreds = Math.floor(status / 100);
  return STATUS_CLASSES[hundreds] ?? `${hundreds}xx`;
}

interface RequestCounts {
  add(operation: string, statusClass: string): void;
}

/**
 * `gateway.requests` as an observable counter: the counts are kept in a map and reported when
 * the reader collects. A synchronous counter hashes its attributes on every `add` (~4 µs, 2 %
 * of the gateway's CPU on get); a request is the one thing counted at that rate.
 */
function requestCounter(meter: Meter): RequestCounts {
  // operation → status class → count; two lookups by strings the route table already holds,
  // where one combined key would be a new string to hash on every request.
  const counts = new Map<string, Map<string, { attributes: Attributes; count: number }>>();
  meter
    .createObservableCounter('gateway.requests', {
      description: 'Requests answered, by operation and status class.',
    })
    .addCallback((result) => {
      for (const byStatus of counts.values())
        for (const { attributes, count } of byStatus.values()) result.observe(count, attributes);
    });
  return {
    add(operation, statusClass) {
      const byStatus = entryOf(counts, operation, () => new Map());
      const entry = entryOf(byStatus, statusClass, () => ({
        attributes: { 'gateway.operation': operation, 'http.status_class': statusClass },
        count: 0,
      }));
      entry.count += 1;
    },
  };
}

/**
 * Under the Functions host, the sink is the invocation context: its `traceContext` is the
 * host's own span for this invocation (the host continues the caller's trace), so the
 * worker's spans nest under it — what @azure/functions-opentelemetry-instrumentation's
 * preInvocation hook does, without an async context manager.
 */
export function hostTraceparentOf(sink: object): string | undefined {
  const traceContext = (sink as { traceContext?: { traceParent?: string | null } }).traceContext;
  return traceContext?.traceParent ?? undefined;
}

/** The W3C `traceparent` of a span (what goes upstream, and back to the caller). */
function traceparentOf(span: Span): string {
  const { traceId, spanId, traceFlags } = span.spanContext();
  return `00-${traceId}-${spanId}-${(traceFlags & 1) === 1 ? '01' : '00'}`;
}

/** The context of a remote parent (the host's invocation, or the caller), else the root. */
function remoteContext(api: Api, parent: SpanContext | CallerTrace | null | undefined): Context {
  if (!parent) return api.ROOT_CONTEXT;
  const span: SpanContext =
    'parentId' in parent
      ? {
          traceId: parent.traceId,
          spanId: parent.parentId,
          traceFlags: Number.parseInt(parent.flags, 16) & 1,
          isRemote: true,
        }
      : parent;
  return api.trace.setSpanContext(api.ROOT_CONTEXT, span);
}

/** A request's server span, and its correlation re-pointed at it. */
export interface RequestSpan {
  correlation: Correlation;
  /** Ends the span with the answer's status and what the route noted; `failed` (default: a 5xx) marks it an error. */
  end(status: number, notes: LogFields, failed?: boolean): void;
}

/**
 * Starts the server span of one request: its parent is `hostTraceparent` (the Functions host's
 * invocation, itself continuing the caller) when given, else the caller's `traceparent`.
 * @example
 * const span = startRequestSpan('getexecution', request, correlation, undefined);
 * span?.end(200, { upstreamStatus: 200, attempts: 1 });
 */
export function startRequestSpan(
  operation: string,
  request: { method: string; url: string; headers: Headers; route?: string },
  correlation: Correlation,
  hostTraceparent: string | undefined,
): RequestSpan | undefined {
  if (!on) return undefined;
  const { api, tracer, instruments } = on;
  const parent = hostTraceparent ? on.parse(hostTraceparent) : callerTrace(request.headers);
  const route = request.route;
  const method = request.method.toUpperCase();
  // Attributes are set once the sampler has kept the span: under load nearly every request is
  // left out, and none of the samplers offered (config.ts) reads attributes to decide.
  const span = tracer.startSpan(
    route ? `${method} ${route}` : `${method} ${operation}`,
    { kind: api.SpanKind.SERVER },
    remoteContext(api, parent),
  );
  if (span.isRecording()) {
    span.setAttributes({
      'http.request.method': method,
      'url.path': pathOf(request.url),
      ...(route ? { 'http.route': route } : {}),
      'gateway.operation': operation,
      'gateway.request_id': correlation.requestId,
    });
  }
  const context = api.trace.setSpan(api.ROOT_CONTEXT, span);
  return {
    correlation: { ...correlation, traceparent: traceparentOf(span), trace: context },
    end(status, notes, failed = status >= 500) {
      // A span the sampler left out records nothing: only the metric below counts it.
      if (span.isRecording()) {
        const attributes: Attributes = { 'http.response.status_code': status };
        if (typeof notes.upstreamStatus === 'number')
          attributes['gateway.upstream.status_code'] = notes.upstreamStatus;
        if (typeof notes.attempts === 'number') attributes['gateway.upstream.attempts'] = notes.attempts;
        if (typeof notes.problem === 'string') attributes['gateway.problem'] = notes.problem;
        span.setAttributes(attributes);
        if (failed) span.setStatus({ code: api.SpanStatusCode.ERROR });
      }
      span.end();
      instruments.requests.add(operation, statusClassOf(status));
    },
  };
}

/** An upstream call's client span. */
export interface CallSpan {
  /** The `traceparent` the upstream receives: this span's id as its parent. */
  traceparent: string;
  retried(attempt: number, delayMs: number, reason: string | number | undefined): void;
  /** Ends the span: the answer (its status) or the failure. */
  end(outcome: { status: number; attempts: number } | { error: string; attempts: number }): void;
}

/**
 * Starts the client span of one upstream call, child of the work in `correlation.trace`.
 * @example
 * const span = startCallSpan('Flyte Admin', 'GET', 'http://127.0.0.1:8089', '/api/v1/executions/p/d/n', correlation);
 * headers.traceparent = span?.traceparent ?? correlation.traceparent;
 */
export function startCallSpan(
  upstream: string,
  method: string,
  origin: string,
  path: string,
  correlation: Correlation,
): CallSpan | undefined {
  if (!on || !correlation.trace) return undefined;
  const { api, tracer, instruments } = on;
  const started = performance.now();
  /** The duration by the answer's status, or by the error type when none came. */
  const record = (outcome: { status: number } | { error: string }) =>
    instruments.upstreamDuration(
      (performance.now() - started) / 1000,
      upstream,
      method,
      'status' in outcome ? outcome.status : outcome.error,
    );
  // Work the sampler left out: its calls are left out too (they would follow it anyway), so
  // no span is made; the upstream gets the work's own traceparent, and the metrics still count.
  if (!sampledIn(api.trace, correlation.trace)) {
    return {
      traceparent: correlation.traceparent,
      retried: () => instruments.retries.add(1, { 'gateway.upstream': upstream }),
      end: record,
    };
  }
  const server = serverOf(origin);
  const query = path.indexOf('?');
  const span = tracer.startSpan(
    method,
    {
      kind: api.SpanKind.CLIENT,
      attributes: {
        'http.request.method': method,
        'server.address': server.address,
        'server.port': server.port,
        'url.full': `${origin}${query === -1 ? path : path.slice(0, query)}`,
        'gateway.upstream': upstream,
      },
    },
    correlation.trace,
  );
  return {
    traceparent: traceparentOf(span),
    retried(attempt, delayMs, reason) {
      span.addEvent('retry', {
        'gateway.attempt': attempt,
        'gateway.retry_delay_ms': delayMs,
        ...(reason === undefined ? {} : { 'gateway.retry_reason': reason }),
      });
      instruments.retries.add(1, { 'gateway.upstream': upstream });
    },
    end(outcome) {
      const status = 'status' in outcome ? outcome.status : undefined;
      span.setAttribute('gateway.upstream.attempts', outcome.attempts);
      if (status !== undefined) span.setAttribute('http.response.status_code', status);
      else span.setAttribute('error.type', (outcome as { error: string }).error);
      if (status === undefined || status >= 500) span.setStatus({ code: api.SpanStatusCode.ERROR });
      span.end();
      record(outcome);
    },
  };
}

/** A span around some work (an MCP tool call, a batch message) and the correlation inside it. */
export interface WorkSpan {
  correlation: Correlation;
  end(failed?: string): void;
}

/**
 * Starts a span for work that makes upstream calls: INTERNAL under a request (an MCP tool
 * call), CONSUMER for a queue message (a root, unless `correlation` carries a trace).
 * @example
 * const span = startWorkSpan('tools/call getexecution', 'internal', correlation, { 'gen_ai.tool.name': 'getexecution' });
 */
export function startWorkSpan(
  name: string,
  kind: 'internal' | 'consumer',
  correlation: Correlation,
  attributes: Attributes = {},
): WorkSpan | undefined {
  if (!on) return undefined;
  const { api } = on;
  const span = on.tracer.startSpan(
    name,
    { kind: kind === 'internal' ? api.SpanKind.INTERNAL : api.SpanKind.CONSUMER, attributes },
    correlation.trace ?? api.ROOT_CONTEXT,
  );
  return {
    correlation: {
      ...correlation,
      traceparent: traceparentOf(span),
      trace: api.trace.setSpan(api.ROOT_CONTEXT, span),
    },
    end(failed) {
      if (failed) {
        span.setAttribute('error.type', failed);
        span.setStatus({ code: api.SpanStatusCode.ERROR });
      }
      span.end();
    },
  };
}

/** Counts settled batch cancellation targets by outcome. */
export function countBatchOutcome(outcome: string, count = 1): void {
  on?.instruments.batchTargets.add(count, { 'gateway.outcome': outcome });
}

/**
 * Whether the span in `context` was sampled; true with no span (work outside any trace). Also
 * decides which log records telemetry keeps (sdk.ts).
 */
export function sampledIn(trace: Api['trace'], context: Context): boolean {
  const span = trace.getSpanContext(context);
  return span === undefined || (span.traceFlags & 1) === 1;
}

/** `server.address` and `server.port` of an upstream origin, parsed once per origin. */
const servers = new Map<string, { address: string; port: number }>();
function serverOf(origin: string): { address: string; port: number } {
  let server = servers.get(origin);
  if (!server) {
    const url = new URL(origin);
    server = { address: url.hostname, port: Number(url.port) || (url.protocol === 'https:' ? 443 : 80) };
    servers.set(origin, server);
  }
  return server;
}

function pathOf(url: string): string {
  const start = url.indexOf('://');
  const slash = start === -1 ? 0 : url.indexOf('/', start + 3);
  if (slash === -1) return '/';
  const end = url.search(/[?#]/);
  return end === -1 || end < slash ? url.slice(slash) : url.slice(slash, end);
}
