/**
 * @module
 * The seven Flyte Admin execution operations, read top to bottom like the contract
 * (specs/capabilities/admin-executions.yaml): name, REST surface, MCP tool and hints,
 * schemas, idempotency, guard, call.
 */

import { ROLES } from '../auth/roles.js';
import type { Settings } from '../config.js';
import {
  assertProjectsAllowed,
  assertReferencesAllowed,
  createExecutionReferences,
  type FlyteReference,
  recoverExecutionReferences,
  relaunchExecutionReferences,
} from '../flyte/allow-list.js';
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
import { operation } from './operation.js';

const EXECUTIONS = '/v1/api/v1/executions';
const EXECUTION = `${EXECUTIONS}/{id-project}/{id-domain}/{id-name}`;

/** Every identifier a body names (see src/flyte/allow-list.ts for why each one matters). */
const allowReferences = (settings: Settings, references: FlyteReference[]) =>
  assertReferencesAllowed(references, {
    projects: settings.FLYTE_PROJECTS,
    domains: settings.FLYTE_DOMAINS,
    orgs: settings.FLYTE_ORGS,
    serviceAccounts: settings.FLYTE_SERVICE_ACCOUNTS,
    iamRoles: settings.FLYTE_IAM_ROLES,
  });

/** The project and domain a path names. */
const allow = (settings: Settings, params: { 'id-project': string; 'id-domain': string }) => {
  assertProjectsAllowed([params['id-project']], settings.FLYTE_PROJECTS);
  allowReferences(settings, [{ path: 'params.id-domain', kind: 'domain', value: params['id-domain'] }]);
};

/** Every Flyte answer is passed on as flyteadmin gave it. */
const openapi = {
  success: () => ({
    '200': {
      description: 'The Flyte Admin answer, unchanged',
      content: { 'application/json': { schema: { type: 'object' } } },
    },
  }),
};

export const createExecution = operation({
  operationId: 'createexecution',
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
  role: ROLES.run,
  openapi,
  guard: ({ body }, settings) => allowReferences(settings, createExecutionReferences(body)),
  call: ({ body }, ctx) => flyte.createExecution(ctx.upstream, body, ctx.options),
});

export const recoverExecution = operation({
  operationId: 'recoverexecution',
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
  role: ROLES.run,
  openapi,
  guard: ({ body }, settings) => allowReferences(settings, recoverExecutionReferences(body)),
  call: ({ body }, ctx) => flyte.recoverExecution(ctx.upstream, body, ctx.options),
});

export const relaunchExecution = operation({
  operationId: 'relaunchexecution',
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
  role: ROLES.run,
  openapi,
  guard: ({ body }, settings) => allowReferences(settings, relaunchExecutionReferences(body)),
  call: ({ body }, ctx) => flyte.relaunchExecution(ctx.upstream, body, ctx.options),
});

export const listExecutions = operation({
  operationId: 'listexecutions',
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
  role: ROLES.read,
  openapi,
  guard: ({ params }, settings) => allow(settings, params),
  call: ({ params, query }, ctx) => flyte.listExecutions(ctx.upstream, params, query, ctx.options),
});

export const getExecution = operation({
  operationId: 'getexecution',
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
  role: ROLES.read,
  openapi,
  guard: ({ params }, settings) => allow(settings, params),
  call: ({ params }, ctx) => flyte.getExecution(ctx.upstream, params, ctx.options),
});

export const terminateExecution = operation({
  operationId: 'terminateexecution',
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
  role: ROLES.cancel,
  openapi,
  guard: ({ params }, settings) => allow(settings, params),
  call: ({ params, body }, ctx) => flyte.terminateExecution(ctx.upstream, params, body, ctx.options),
});

export const getExecutionMetrics = operation({
  operationId: 'getexecutionmetrics',
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
  role: ROLES.read,
  openapi,
  guard: ({ params }, settings) => allow(settings, params),
  call: ({ params, query }, ctx) => flyte.getExecutionMetrics(ctx.upstream, params, query, ctx.options),
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
