/**
 * @module
 * The seven Flyte Admin execution operations, read top to bottom like the contract
 * (specs/capabilities/admin-executions.yaml): name, REST surface, MCP tool and hints,
 * schemas, idempotency, guard, call.
 */
import { assertProjectsAllowed } from '../flyte/allow-list.js';
import * as flyte from '../flyte/executions.js';
import {
  createExecutionBodySchema,
  emptySchema,
  executionPathSchema,
  listExecutionsQuerySchema,
  metricsQuerySchema,
  projectDomainPathSchema,
  recoverExecutionBodySchema,
  relaunchExecutionBodySchema,
  terminateExecutionBodySchema,
} from '../flyte/schemas.js';
import { type OperationContext, operation } from './operation.js';

const EXECUTIONS = '/v1/api/v1/executions';
const EXECUTION = `${EXECUTIONS}/{id-project}/{id-domain}/{id-name}`;

const allow = (ctx: OperationContext, ...projects: string[]) =>
  assertProjectsAllowed(projects, ctx.runtime.settings.FLYTE_PROJECTS);
const call = (ctx: OperationContext) => ({
  correlation: ctx.correlation,
  signal: ctx.signal,
  retry: ctx.retry,
});

export const createExecution = operation({
  seed: 'createexecution',
  capability: 'flyte',
  description: 'Create a workflow execution',
  rest: { method: 'POST', path: EXECUTIONS },
  tool: {
    name: 'create-workflow-execution',
    title: 'Create a workflow execution',
    hints: { readOnly: false, destructive: false, idempotent: false },
  },
  input: { params: emptySchema, query: emptySchema, body: createExecutionBodySchema },
  idempotent: false,
  guard: ({ body }, ctx) => allow(ctx, body.project, body.spec.launch_plan.project),
  call: ({ body }, ctx) => flyte.createExecution(ctx.runtime.flyte(), body, call(ctx)),
});

export const recoverExecution = operation({
  seed: 'recoverexecution',
  capability: 'flyte',
  description: 'Recover a workflow execution',
  rest: { method: 'POST', path: `${EXECUTIONS}/recover` },
  tool: {
    name: 'recover-workflow-execution',
    title: 'Recover a workflow execution',
    hints: { readOnly: false, destructive: false, idempotent: false },
  },
  input: { params: emptySchema, query: emptySchema, body: recoverExecutionBodySchema },
  idempotent: false,
  guard: ({ body }, ctx) => allow(ctx, body.id.project),
  call: ({ body }, ctx) => flyte.recoverExecution(ctx.runtime.flyte(), body, call(ctx)),
});

export const relaunchExecution = operation({
  seed: 'relaunchexecution',
  capability: 'flyte',
  description: 'Relaunch a workflow execution',
  rest: { method: 'POST', path: `${EXECUTIONS}/relaunch` },
  tool: {
    name: 'relaunch-workflow-execution',
    title: 'Relaunch a workflow execution',
    hints: { readOnly: false, destructive: false, idempotent: false },
  },
  input: { params: emptySchema, query: emptySchema, body: relaunchExecutionBodySchema },
  idempotent: false,
  guard: ({ body }, ctx) => allow(ctx, body.id.project),
  call: ({ body }, ctx) => flyte.relaunchExecution(ctx.runtime.flyte(), body, call(ctx)),
});

export const listExecutions = operation({
  seed: 'listexecutions',
  capability: 'flyte',
  description: 'List workflow executions',
  rest: { method: 'GET', path: `${EXECUTIONS}/{id-project}/{id-domain}` },
  tool: {
    name: 'list-workflow-executions',
    title: 'List workflow executions',
    hints: { readOnly: true, destructive: false, idempotent: true },
  },
  input: {
    params: projectDomainPathSchema,
    query: (settings) => listExecutionsQuerySchema(settings.FLYTE_MAX_LIST_LIMIT),
  },
  idempotent: true,
  guard: ({ params }, ctx) => allow(ctx, params['id-project']),
  call: ({ params, query }, ctx) => flyte.listExecutions(ctx.runtime.flyte(), params, query, call(ctx)),
});

export const getExecution = operation({
  seed: 'getexecution',
  capability: 'flyte',
  description: 'Retrieve a workflow execution',
  rest: { method: 'GET', path: EXECUTION },
  tool: {
    name: 'retrieve-workflow-execution',
    title: 'Retrieve a workflow execution',
    hints: { readOnly: true, destructive: false, idempotent: true },
  },
  input: { params: executionPathSchema, query: emptySchema },
  idempotent: true,
  guard: ({ params }, ctx) => allow(ctx, params['id-project']),
  call: ({ params }, ctx) => flyte.getExecution(ctx.runtime.flyte(), params, call(ctx)),
});

export const terminateExecution = operation({
  seed: 'terminateexecution',
  capability: 'flyte',
  description: 'Terminate a workflow execution',
  rest: { method: 'DELETE', path: EXECUTION },
  tool: {
    name: 'terminate-workflow-execution',
    title: 'Terminate a workflow execution',
    hints: { readOnly: false, destructive: true, idempotent: true },
  },
  input: { params: executionPathSchema, query: emptySchema, body: terminateExecutionBodySchema },
  idempotent: true,
  guard: ({ params }, ctx) => allow(ctx, params['id-project']),
  call: ({ params, body }, ctx) => flyte.terminateExecution(ctx.runtime.flyte(), params, body, call(ctx)),
});

export const getExecutionMetrics = operation({
  seed: 'getexecutionmetrics',
  capability: 'flyte',
  description: 'Retrieve execution metrics',
  rest: { method: 'GET', path: `/v1/api/v1/metrics/executions/{id-project}/{id-domain}/{id-name}` },
  tool: {
    name: 'retrieve-execution-metrics',
    title: 'Retrieve execution metrics',
    hints: { readOnly: true, destructive: false, idempotent: true },
  },
  input: { params: executionPathSchema, query: metricsQuerySchema },
  idempotent: true,
  guard: ({ params }, ctx) => allow(ctx, params['id-project']),
  call: ({ params, query }, ctx) => flyte.getExecutionMetrics(ctx.runtime.flyte(), params, query, call(ctx)),
});

export const flyteOperations = [
  createExecution,
  recoverExecution,
  relaunchExecution,
  listExecutions,
  getExecution,
  terminateExecution,
  getExecutionMetrics,
];
