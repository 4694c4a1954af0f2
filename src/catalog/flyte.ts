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
  FLYTE_SWAGGER_PATHS,
  protoJsonBody,
  protoJsonQuery,
  protoJsonTerminate,
} from '../flyte/protojson-input.js';
import {
  createExecutionBodySchema,
  emptySchema,
  executionPathSchema,
  executionQuerySchema,
  FILTERS_AS_SENT,
  listExecutionsQuerySchema,
  metricsQuerySchema,
  projectDomainPathSchema,
  recoverExecutionBodySchema,
  relaunchExecutionBodySchema,
  terminateExecutionBodySchema,
} from '../flyte/schemas.js';
import { upstreamAnswer } from '../shared/json-schema.js';
import { operation } from './operation.js';

const EXECUTIONS = '/v1/api/v1/executions';
const EXECUTION = `${EXECUTIONS}/{id-project}/{id-domain}/{id-name}`;
/** flyteadmin's own paths (DROP_IN_ROUTES): the contract's without `/v1`, params named alike. */
const UPSTREAM = (path: string) => path.replace(/^\/v1\//, '');

/** Every identifier a body names (see src/flyte/allow-list.ts for why each one matters). */
const allowReferences = (settings: Settings, references: FlyteReference[]) =>
  assertReferencesAllowed(references, {
    projects: settings.FLYTE_PROJECTS,
    domains: settings.FLYTE_DOMAINS,
    orgs: settings.FLYTE_ORGS,
    serviceAccounts: settings.FLYTE_SERVICE_ACCOUNTS,
    iamRoles: settings.FLYTE_IAM_ROLES,
  });

/** The project and domain a path names, and the org of `?id.org=` (and of terminate's body). */
const allow = (
  settings: Settings,
  params: { 'id-project': string; 'id-domain': string },
  query: { 'id.org'?: string | undefined } = {},
  bodyOrg?: string,
) => {
  assertProjectsAllowed([params['id-project']], settings.FLYTE_PROJECTS);
  allowReferences(settings, [
    { path: 'params.id-domain', kind: 'domain', value: params['id-domain'] },
    { path: 'query.id.org', kind: 'org', value: query['id.org'] },
    { path: 'body.id.org', kind: 'org', value: bodyOrg },
  ]);
};

/**
 * Every Flyte answer is passed on as flyteadmin gave it: documented by its flyteidl message, from
 * flyteadmin's swagger (src/openapi/upstream-schemas.ts).
 */
const answers = (definition: string, what: string) => ({
  success: () =>
    upstreamAnswer(definition, `${what}: the Flyte Admin answer, unchanged (protojson, snake_case)`),
});
const created = answers('adminExecutionCreateResponse', 'The new execution id');

const listAnswers = {
  ...answers('adminExecutionList', 'A page of executions'),
  parameters: () => ({
    filters: {
      schema: { pattern: FILTERS_AS_SENT },
    },
    'sort_by.direction': {
      description: 'Sort direction; needs sort_by.key (400 naming query.sort_by.key without it)',
    },
  }),
};

export const createExecution = operation({
  operationId: 'createexecution',
  capability: 'flyte',
  description: 'Create a workflow execution',
  rest: { method: 'POST', path: EXECUTIONS },
  upstreamPath: UPSTREAM(EXECUTIONS),
  tool: {
    name: 'create-workflow-execution',
    title: 'Create a workflow execution',
    hints: { readOnly: false, destructive: false, idempotent: false },
  },
  input: {
    params: emptySchema,
    query: emptySchema,
    body: createExecutionBodySchema,
    normalize: protoJsonBody('adminExecutionCreateRequest'),
  },
  idempotent: false,
  role: ROLES.run,
  openapi: created,
  guard: ({ body }, settings) => allowReferences(settings, createExecutionReferences(body)),
  call: ({ body }, ctx) => flyte.createExecution(ctx.upstream, body, ctx.options),
});

export const recoverExecution = operation({
  operationId: 'recoverexecution',
  capability: 'flyte',
  description: 'Recover a workflow execution',
  rest: { method: 'POST', path: `${EXECUTIONS}/recover` },
  upstreamPath: UPSTREAM(`${EXECUTIONS}/recover`),
  tool: {
    name: 'recover-workflow-execution',
    title: 'Recover a workflow execution',
    hints: { readOnly: false, destructive: false, idempotent: false },
  },
  input: {
    params: emptySchema,
    query: emptySchema,
    body: recoverExecutionBodySchema,
    normalize: protoJsonBody('adminExecutionRecoverRequest'),
  },
  idempotent: false,
  role: ROLES.run,
  openapi: created,
  guard: ({ body }, settings) => allowReferences(settings, recoverExecutionReferences(body)),
  call: ({ body }, ctx) => flyte.recoverExecution(ctx.upstream, body, ctx.options),
});

export const relaunchExecution = operation({
  operationId: 'relaunchexecution',
  capability: 'flyte',
  description: 'Relaunch a workflow execution',
  rest: { method: 'POST', path: `${EXECUTIONS}/relaunch` },
  upstreamPath: UPSTREAM(`${EXECUTIONS}/relaunch`),
  tool: {
    name: 'relaunch-workflow-execution',
    title: 'Relaunch a workflow execution',
    hints: { readOnly: false, destructive: false, idempotent: false },
  },
  input: {
    params: emptySchema,
    query: emptySchema,
    body: relaunchExecutionBodySchema,
    normalize: protoJsonBody('adminExecutionRelaunchRequest'),
  },
  idempotent: false,
  role: ROLES.run,
  openapi: created,
  guard: ({ body }, settings) => allowReferences(settings, relaunchExecutionReferences(body)),
  call: ({ body }, ctx) => flyte.relaunchExecution(ctx.upstream, body, ctx.options),
});

export const listExecutions = operation({
  operationId: 'listexecutions',
  capability: 'flyte',
  description: 'List workflow executions',
  rest: { method: 'GET', path: `${EXECUTIONS}/{id-project}/{id-domain}` },
  upstreamPath: UPSTREAM(`${EXECUTIONS}/{id-project}/{id-domain}`),
  tool: {
    name: 'list-workflow-executions',
    title: 'List workflow executions',
    hints: { readOnly: true, destructive: false, idempotent: true },
  },
  input: {
    params: projectDomainPathSchema,
    query: (settings) => listExecutionsQuerySchema(settings.FLYTE_MAX_LIST_LIMIT),
    normalize: protoJsonQuery(FLYTE_SWAGGER_PATHS.list),
  },
  idempotent: true,
  role: ROLES.read,
  openapi: listAnswers,
  guard: ({ params, query }, settings) => allow(settings, params, query),
  call: ({ params, query }, ctx) => flyte.listExecutions(ctx.upstream, params, query, ctx.options),
});

export const getExecution = operation({
  operationId: 'getexecution',
  capability: 'flyte',
  description: 'Retrieve a workflow execution',
  rest: { method: 'GET', path: EXECUTION },
  upstreamPath: UPSTREAM(EXECUTION),
  tool: {
    name: 'retrieve-workflow-execution',
    title: 'Retrieve a workflow execution',
    hints: { readOnly: true, destructive: false, idempotent: true },
  },
  input: {
    params: executionPathSchema,
    query: executionQuerySchema,
    normalize: protoJsonQuery(FLYTE_SWAGGER_PATHS.execution),
  },
  idempotent: true,
  role: ROLES.read,
  openapi: answers('adminExecution', 'The execution'),
  guard: ({ params, query }, settings) => allow(settings, params, query),
  call: ({ params, query }, ctx) => flyte.getExecution(ctx.upstream, params, query, ctx.options),
});

export const terminateExecution = operation({
  operationId: 'terminateexecution',
  capability: 'flyte',
  description: 'Terminate a workflow execution',
  rest: { method: 'DELETE', path: EXECUTION },
  upstreamPath: UPSTREAM(EXECUTION),
  tool: {
    name: 'terminate-workflow-execution',
    title: 'Terminate a workflow execution',
    hints: { readOnly: false, destructive: true, idempotent: true },
  },
  input: {
    params: executionPathSchema,
    query: executionQuerySchema,
    body: terminateExecutionBodySchema,
    normalize: protoJsonTerminate,
  },
  idempotent: true,
  role: ROLES.cancel,
  openapi: answers('adminExecutionTerminateResponse', 'Termination was requested'),
  guard: ({ params, query, body }, settings) => allow(settings, params, query, body?.id?.org),
  call: ({ params, query, body }, ctx) =>
    flyte.terminateExecution(ctx.upstream, params, query, body, ctx.options),
});

export const getExecutionMetrics = operation({
  operationId: 'getexecutionmetrics',
  capability: 'flyte',
  description: 'Retrieve execution metrics',
  rest: { method: 'GET', path: `/v1/api/v1/metrics/executions/{id-project}/{id-domain}/{id-name}` },
  upstreamPath: 'api/v1/metrics/executions/{id-project}/{id-domain}/{id-name}',
  tool: {
    name: 'retrieve-execution-metrics',
    title: 'Retrieve execution metrics',
    hints: { readOnly: true, destructive: false, idempotent: true },
  },
  input: {
    params: executionPathSchema,
    query: metricsQuerySchema,
    normalize: protoJsonQuery(FLYTE_SWAGGER_PATHS.metrics),
  },
  idempotent: true,
  role: ROLES.read,
  openapi: answers('adminWorkflowExecutionGetMetricsResponse', 'The execution span tree'),
  guard: ({ params, query }, settings) => allow(settings, params, query),
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
