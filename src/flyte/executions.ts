/**
 * @module
 * The seven Flyte Admin execution calls, as upstream requests. Inputs arrive validated; this
 * module only places them on flyteadmin's wire: path segments percent-encoded, list query
 * names as grpc-gateway expects (`sort_by.key`), terminate's `cause` in the DELETE body, and
 * bodies re-serialized from the validated value (never the caller's raw bytes).
 * @see ../../shared/reference/flyte-admin-executions.md §2
 */
import type { z } from 'zod';
import type { CallOptions, UpstreamClient, UpstreamResponse } from '../upstream/http-client.js';
import type {
  createExecutionBodySchema,
  executionPathSchema,
  metricsQuerySchema,
  projectDomainPathSchema,
  recoverExecutionBodySchema,
  relaunchExecutionBodySchema,
  terminateExecutionBodySchema,
} from './schemas.js';

export type ExecutionPath = z.infer<typeof executionPathSchema>;
export type ProjectDomainPath = z.infer<typeof projectDomainPathSchema>;

export interface ListQuery {
  limit: number;
  token?: string;
  filters?: string;
  'sort_by.key'?: string;
  'sort_by.direction'?: 'ASCENDING' | 'DESCENDING';
}

const seg = encodeURIComponent;
const executionPath = (p: ExecutionPath) =>
  `${seg(p['id-project'])}/${seg(p['id-domain'])}/${seg(p['id-name'])}`;

/** The three POST operations create a new execution: never retried on their own (not idempotent). */
function postExecution(
  flyte: UpstreamClient,
  path: string,
  body: unknown,
  o: CallOptions,
): Promise<UpstreamResponse> {
  return flyte.send({ method: 'POST', path, body: JSON.stringify(body), idempotent: false, ...o });
}

export function createExecution(
  flyte: UpstreamClient,
  body: z.infer<typeof createExecutionBodySchema>,
  o: CallOptions,
): Promise<UpstreamResponse> {
  return postExecution(flyte, '/api/v1/executions', body, o);
}

export function recoverExecution(
  flyte: UpstreamClient,
  body: z.infer<typeof recoverExecutionBodySchema>,
  o: CallOptions,
): Promise<UpstreamResponse> {
  return postExecution(flyte, '/api/v1/executions/recover', body, o);
}

export function relaunchExecution(
  flyte: UpstreamClient,
  body: z.infer<typeof relaunchExecutionBodySchema>,
  o: CallOptions,
): Promise<UpstreamResponse> {
  return postExecution(flyte, '/api/v1/executions/relaunch', body, o);
}

export function listExecutions(
  flyte: UpstreamClient,
  path: ProjectDomainPath,
  query: ListQuery,
  o: CallOptions,
): Promise<UpstreamResponse> {
  return flyte.send({
    method: 'GET',
    path: `/api/v1/executions/${seg(path['id-project'])}/${seg(path['id-domain'])}`,
    query: {
      limit: String(query.limit),
      token: query.token,
      filters: query.filters,
      'sort_by.key': query['sort_by.key'],
      'sort_by.direction': query['sort_by.direction'],
    },
    idempotent: true,
    ...o,
  });
}

export function getExecution(
  flyte: UpstreamClient,
  path: ExecutionPath,
  o: CallOptions,
): Promise<UpstreamResponse> {
  return flyte.send({
    method: 'GET',
    path: `/api/v1/executions/${executionPath(path)}`,
    idempotent: true,
    ...o,
  });
}

export function terminateExecution(
  flyte: UpstreamClient,
  path: ExecutionPath,
  body: z.infer<typeof terminateExecutionBodySchema>,
  o: CallOptions,
): Promise<UpstreamResponse> {
  return flyte.send({
    method: 'DELETE',
    path: `/api/v1/executions/${executionPath(path)}`,
    body: JSON.stringify({ cause: body?.cause ?? '' }),
    // Terminating twice leaves the same state (a finished run answers 400 code 9).
    idempotent: true,
    ...o,
  });
}

export function getExecutionMetrics(
  flyte: UpstreamClient,
  path: ExecutionPath,
  query: z.infer<typeof metricsQuerySchema>,
  o: CallOptions,
): Promise<UpstreamResponse> {
  return flyte.send({
    method: 'GET',
    path: `/api/v1/metrics/executions/${executionPath(path)}`,
    query: { depth: query.depth === undefined ? undefined : String(query.depth) },
    idempotent: true,
    ...o,
  });
}
