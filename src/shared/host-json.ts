/**
 * @module
 * Reads `host.json` (found above this module, as the Functions host finds it in the app
 * root) for the HTTP route prefix, so the local host and the catch-all route see the same
 * paths the Functions host serves.
 */
import { readJsonUp } from './find-up.js';

let cached: string | undefined;

/** `extensions.http.routePrefix`, `api` when absent (the host's default), without slashes. */
export function routePrefix(): string {
  if (cached === undefined) {
    const host = readJsonUp('host.json') as { extensions?: { http?: { routePrefix?: string } } } | undefined;
    cached = (host?.extensions?.http?.routePrefix ?? 'api').replace(/^\/+|\/+$/g, '');
  }
  return cached;
}

/** Joins the prefix and a relative route template. */
export function withPrefix(route: string, prefix = routePrefix()): string {
  return prefix === '' ? route : `${prefix}/${route}`;
}

/** `extensions.queues` of host.json, with the host's defaults for what is absent. */
export interface QueueHostOptions {
  batchSize: number;
  newBatchThreshold: number;
  maxPollingIntervalMs: number;
  visibilityTimeoutMs: number;
  maxDequeueCount: number;
  messageEncoding: 'base64' | 'none';
}

let queueCached: QueueHostOptions | undefined;

/**
 * The queue trigger's settings as the Functions host reads them.
 * @see https://learn.microsoft.com/azure/azure-functions/functions-bindings-storage-queue#host-json
 */
export function queueHostOptions(): QueueHostOptions {
  if (!queueCached) {
    const host = readJsonUp('host.json') as { extensions?: { queues?: Record<string, unknown> } } | undefined;
    const q = host?.extensions?.queues ?? {};
    const batchSize = typeof q.batchSize === 'number' ? q.batchSize : 16;
    queueCached = {
      batchSize,
      newBatchThreshold:
        typeof q.newBatchThreshold === 'number' ? q.newBatchThreshold : Math.floor(batchSize / 2),
      maxPollingIntervalMs: timeSpanMs(q.maxPollingInterval) ?? 60_000,
      visibilityTimeoutMs: timeSpanMs(q.visibilityTimeout) ?? 0,
      maxDequeueCount: typeof q.maxDequeueCount === 'number' ? q.maxDequeueCount : 5,
      messageEncoding: q.messageEncoding === 'none' ? 'none' : 'base64',
    };
  }
  return queueCached;
}

/** A .NET TimeSpan `hh:mm:ss[.fff]` in ms, or undefined. */
function timeSpanMs(value: unknown): number | undefined {
  const match = typeof value === 'string' ? /^(\d+):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(value) : null;
  if (!match) return undefined;
  return Math.round((Number(match[1]) * 3600 + Number(match[2]) * 60 + Number(match[3])) * 1000);
}
