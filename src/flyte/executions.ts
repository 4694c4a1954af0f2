/**
 * @module
 * The seven Flyte Admin execution calls, as upstream requests. Inputs arrive validated; this
 * module only places them on flyteadmin's wire: path segments percent-encoded, query names as
 * grpc-gateway expects (`sort_by.key`, `id.org`), terminate's `cause` and `id.org` in the
 * DELETE body, and bodies re-serialized from the validated value (never the caller's raw bytes),
 * so flyteadmin always gets proto names and enum names, whichever spelling the caller used.
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
  'id.org'?: string;
}

/** `?id.org=` of get, metrics and terminate. */
export interface OrgQuery {
  'id.org'?: string;
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
      'id.org': query['id.org'] || undefined,
    },
    idempotent: true,
    ...o,
  });
}

export function getExecution(
  flyte: UpstreamClient,
  path: ExecutionPath,
  query: OrgQuery,
  o: CallOptions,
): Promise<UpstreamResponse> {
  return flyte.send({
    method: 'GET',
    path: `/api/v1/executions/${executionPath(path)}`,
    query: { 'id.org': query['id.org'] || undefined },
    idempotent: true,
    ...o,
  });
}

/**
 * flyteadmin's terminate body (swagger `AdminServiceTerminateExecutionBody`): the cause, and the
 * id's org when one is given (by `?id.org=` or the body's `id.org`); the gateway fills the rest
 * of the id from the path.
 */
export function terminateExecution(
  flyte: UpstreamClient,
  path: ExecutionPath,
  query: OrgQuery,
  body: z.infer<typeof terminateExecutionBodySchema>,
  o: CallOptions,
): Promise<UpstreamResponse> {
  const org = query['id.org'] || body?.id?.org;
  return flyte.send({
    method: 'DELETE',
    path: `/api/v1/executions/${executionPath(path)}`,
    body: JSON.stringify({ cause: body?.cause ?? '', ...(org ? { id: { org } } : {}) }),
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
    query: {
      depth: query.depth === undefined ? undefined : String(query.depth),
      'id.org': query['id.org'] || undefined,
    },
    idempotent: true,
    ...o,
  });
}
