/**
 * A loopback OTLP/HTTP JSON collector for telemetry tests: keeps what each signal's path
 * receives and reads back spans, log records and metric names.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type AnyValue = {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
};
export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: { key: string; value: AnyValue }[];
  events?: { name: string }[];
}
export interface OtlpPoint {
  attributes: { key: string; value: AnyValue }[];
  asInt?: string | number;
  asDouble?: number;
  /** Histogram points: counts are 64-bit integers, which OTLP JSON may send as strings. */
  count?: string | number;
  sum?: number;
  min?: number;
  max?: number;
  bucketCounts?: (string | number)[];
  explicitBounds?: number[];
  startTimeUnixNano?: string;
  timeUnixNano?: string;
}
export interface OtlpLog {
  traceId?: string;
  spanId?: string;
  severityText?: string;
  body?: AnyValue;
  attributes: { key: string; value: AnyValue }[];
}

/** OTLP/HTTP JSON collector on loopback: keeps what each signal's path receives. */
export async function startCollector() {
  const received = { traces: [] as unknown[], metrics: [] as unknown[], logs: [] as unknown[] };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const kind = req.url?.replace('/v1/', '') as keyof typeof received;
      if (req.headers['content-type']?.startsWith('application/json') && kind in received)
        received[kind].push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const spans = () =>
    received.traces.flatMap((t) =>
      (t as { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] }).resourceSpans.flatMap((r) =>
        r.scopeSpans.flatMap((s) => s.spans),
      ),
    );
  const logRecords = () =>
    received.logs.flatMap((l) =>
      (l as { resourceLogs: { scopeLogs: { logRecords: OtlpLog[] }[] }[] }).resourceLogs.flatMap((r) =>
        r.scopeLogs.flatMap((s) => s.logRecords),
      ),
    );
  const metricNames = () => JSON.stringify(received.metrics);
  /** Every data point of the named metric (a sum or a histogram), across exports. */
  const metricPoints = (name: string) =>
    received.metrics.flatMap((m) =>
      (
        m as {
          resourceMetrics: {
            scopeMetrics: {
              metrics: {
                name: string;
                sum?: { dataPoints: OtlpPoint[] };
                histogram?: { dataPoints: OtlpPoint[]; aggregationTemporality?: number };
              }[];
            }[];
          }[];
        }
      ).resourceMetrics.flatMap((r) =>
        r.scopeMetrics.flatMap((s) =>
          s.metrics
            .filter((x) => x.name === name)
            .flatMap((x) => x.sum?.dataPoints ?? x.histogram?.dataPoints ?? []),
        ),
      ),
    );
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    logRecords,
    metricNames,
    metricPoints,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export const attr = (item: { attributes: { key: string; value: AnyValue }[] }, key: string) => {
  const value = item.attributes.find((a) => a.key === key)?.value;
  return value?.stringValue ?? (value?.intValue === undefined ? value?.boolValue : Number(value.intValue));
};
