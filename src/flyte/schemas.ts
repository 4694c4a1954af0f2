/**
 * @module
 * zod schemas for the Flyte Admin execution operations, from flyteadmin's own rules
 * (reference: flyte-admin-executions.md §2, §4). Route params, query and body each have
 * their own schema; every field carries `.describe()` for the MCP tools and OpenAPI.
 * Names are checked strictly here (lower case only) so that a bad value is refused with a
 * clear answer instead of being recorded upstream as a FAILED execution.
 *
 * Bodies are checked in proto field names and enum names, the shape the OpenAPI document and
 * the MCP tools describe. Callers may also send protobuf's default JSON (lowerCamelCase names,
 * enum numbers), as flyteadmin's gateway accepts: each operation's normalize step
 * (protojson-input.ts) rewrites it into this shape before these schemas run, so a camelCase key
 * cannot carry a guarded field past them.
 */
import { z } from 'zod';

/** Project ids are created as DNS-1123 labels. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** flyteadmin's execution-name rule (it lowercases first; we require lower case). */
const EXECUTION_NAME = /^[a-z][a-z0-9-]*$/;

/**
 * Control characters (C0, DEL, C1). flyteadmin keeps names, versions, node ids and causes in
 * PostgreSQL text columns, which refuse NUL outright, and puts names into Kubernetes objects
 * and URLs: none has room for one, so they are refused here rather than failing upstream.
 */
const CONTROL = /\p{Cc}/u;
/** Free text (a cause) may keep its tab and line breaks; other control characters are refused. */
const CONTROL_BUT_LINE_BREAKS = /(?![\t\n\r])\p{Cc}/u;
const noControl = (schema: z.ZodString) =>
  schema.refine((value) => !CONTROL.test(value), 'must not contain control characters');

export const projectSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(63, 'must be at most 63 characters')
  .regex(
    DNS_LABEL,
    'must be a DNS-1123 label: lower-case letters, digits and -, starting and ending alphanumeric',
  )
  .describe('Flyte project id, e.g. flytesnacks');

export const domainSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(63, 'must be at most 63 characters')
  .regex(DNS_LABEL, 'must be a DNS-1123 label: lower-case letters, digits and -')
  .describe('Flyte domain, e.g. development, staging or production');

export const executionNameSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(63, 'must be at most 63 characters')
  .regex(
    EXECUTION_NAME,
    'must match ^[a-z][a-z0-9-]*$ (lower-case letter first, then lower-case letters, digits, -)',
  )
  .describe('Execution name, unique within project and domain');

/** Path segments of an execution id, named as in the contract's REST paths. */
export const executionPathSchema = z.strictObject({
  'id-project': projectSchema,
  'id-domain': domainSchema,
  'id-name': executionNameSchema,
});

export const projectDomainPathSchema = z.strictObject({
  'id-project': projectSchema,
  'id-domain': domainSchema,
});

const executionIdSchema = z
  .strictObject({
    project: projectSchema,
    domain: domainSchema,
    name: executionNameSchema,
    org: z.string().max(63).optional().describe('Organization; must be empty or on FLYTE_ORGS'),
  })
  .describe('Identifier of an existing execution');

const orgSchema = z.string().max(63).describe('Organization; must be empty or on FLYTE_ORGS');

const launchPlanIdSchema = z
  .looseObject({
    resource_type: z.enum(['LAUNCH_PLAN', 'TASK']).describe('What to launch: LAUNCH_PLAN or TASK'),
    project: projectSchema,
    domain: domainSchema,
    name: noControl(z.string().min(1).max(255)).describe(
      'Launch plan (or task) name, e.g. etl.pipeline.nightly',
    ),
    version: noControl(z.string().min(1).max(255)).describe('Launch plan (or task) version'),
    org: orgSchema.optional(),
  })
  .describe('The launch plan (or task) to execute');

/** core.NodeExecutionIdentifier: flyteadmin reads the node execution and its workflow execution. */
const nodeExecutionIdSchema = z
  .strictObject({
    node_id: noControl(z.string().min(1).max(255)).describe('Node id within the execution, e.g. n0'),
    execution_id: executionIdSchema,
  })
  .describe('Node execution that launched this execution; its project must be on FLYTE_PROJECTS');

/** core.ArtifactID; only the key's project and org are checked (flyteadmin overwrites artifact_ids). */
const artifactIdSchema = z.looseObject({
  artifact_key: z
    .looseObject({
      project: projectSchema.optional(),
      domain: domainSchema.optional(),
      org: orgSchema.optional(),
    })
    .optional(),
});

/** admin.ExecutionMetadata: the identifiers flyteadmin dereferences are typed and allow-listed. */
const executionMetadataSchema = z
  .looseObject({
    reference_execution: executionIdSchema
      .optional()
      .describe('Execution this one recovers/relaunches; its project must be on FLYTE_PROJECTS'),
    parent_node_execution: nodeExecutionIdSchema.optional(),
    artifact_ids: z.array(artifactIdSchema).max(1000).optional(),
  })
  .describe('ExecutionMetadata: mode, reference_execution, parent_node_execution, ...');

/** core.Identity: who the execution runs as. */
const identitySchema = z
  .strictObject({
    k8s_service_account: z
      .string()
      .max(253)
      .optional()
      .describe('Kubernetes service account; must be on FLYTE_SERVICE_ACCOUNTS'),
    iam_role: z.string().max(2048).optional().describe('IAM role; must be on FLYTE_IAM_ROLES'),
    execution_identity: z
      .string()
      .max(2048)
      .optional()
      .describe('Refused when not empty: flyteadmin fills it with the caller identity'),
    oauth2_client: z.unknown().optional().describe('Refused when given: carries a client secret'),
  })
  .describe('Identity the execution runs as');

/** core.SecurityContext: every field of it names a credential. */
const securityContextSchema = z
  .strictObject({
    run_as: identitySchema.optional(),
    secrets: z.array(z.unknown()).optional().describe('Refused when not empty'),
    tokens: z.array(z.unknown()).optional().describe('Refused when not empty'),
  })
  .describe('SecurityContext: run_as is allow-listed; secrets and tokens are refused');

/** admin.AuthRole (deprecated): flyteadmin still runs as it when security_context names no one. */
const authRoleSchema = z
  .strictObject({
    assumable_iam_role: z.string().max(2048).optional().describe('IAM role; must be on FLYTE_IAM_ROLES'),
    kubernetes_service_account: z
      .string()
      .max(253)
      .optional()
      .describe('Kubernetes service account; must be on FLYTE_SERVICE_ACCOUNTS'),
  })
  .describe('Deprecated AuthRole; allow-listed like security_context.run_as');

/** admin.Annotations: put on the execution's pods, where one key names an IAM role (kube2iam, kiam). */
const annotationsSchema = z
  .looseObject({ values: z.record(z.string(), z.string()).optional() })
  .describe("Annotations for the execution's pods; iam.amazonaws.com/role must be on FLYTE_IAM_ROLES");

/** Spec fields beyond those typed here pass through for flyteadmin to validate. */
const executionSpecSchema = z
  .looseObject({
    launch_plan: launchPlanIdSchema,
    metadata: executionMetadataSchema.optional(),
    security_context: securityContextSchema.optional(),
    auth_role: authRoleSchema.optional(),
    annotations: annotationsSchema.optional(),
  })
  .describe('ExecutionSpec: launch_plan is required; metadata, labels, annotations, envs, ... pass through');

const literalMapSchema = z
  .looseObject({ literals: z.record(z.string(), z.unknown()).optional() })
  .describe('core.LiteralMap of inputs, e.g. {"literals":{"x":{"scalar":{"primitive":{"integer":"3"}}}}}');

export const createExecutionBodySchema = z.strictObject({
  project: projectSchema,
  domain: domainSchema,
  name: executionNameSchema.optional().describe('Execution name; generated by Flyte when omitted'),
  spec: executionSpecSchema,
  inputs: literalMapSchema.optional(),
  org: orgSchema.optional(),
});

export const relaunchExecutionBodySchema = z.strictObject({
  id: executionIdSchema,
  name: executionNameSchema.optional().describe('Name of the new execution; generated when omitted'),
  overwrite_cache: z.boolean().optional().describe('Recompute cached outputs instead of reusing them'),
});

export const recoverExecutionBodySchema = z.strictObject({
  id: executionIdSchema,
  name: executionNameSchema.optional().describe('Name of the new execution; generated when omitted'),
  metadata: z
    .looseObject({ parent_node_execution: nodeExecutionIdSchema.optional() })
    .optional()
    .describe('ExecutionMetadata; flyteadmin only takes parent_node_execution from it'),
});

/** Terminate's cause; batch cancellations take the same. */
export const terminateCauseSchema = z
  .string()
  .max(2048, 'must be at most 2048 characters')
  .refine(
    (value) => !CONTROL_BUT_LINE_BREAKS.test(value),
    'must not contain control characters other than tab and line breaks',
  );

/**
 * The whole ExecutionTerminateRequest, as flyteadmin's gateway takes it: its id is the path's
 * (the normalize step refuses one naming another execution), so only `id.org` is read from it.
 */
export const terminateExecutionBodySchema = z
  .strictObject({
    id: z
      .strictObject({
        project: z.string().optional().describe("The path's id-project, when given"),
        domain: z.string().optional().describe("The path's id-domain, when given"),
        name: z.string().optional().describe("The path's id-name, when given"),
        org: orgSchema.optional(),
      })
      .optional()
      .describe('The execution: the one the path names'),
    cause: terminateCauseSchema.optional().describe('Why it is terminated'),
  })
  .optional();

/** `?id.org=`: flyteadmin reads an execution's org from the query (swagger: `id.org`, in query). */
const orgQuery = orgSchema
  .optional()
  .describe('Organization of the execution; must be empty or on FLYTE_ORGS');

/** Get and terminate: only the org. */
export const executionQuerySchema = z.object({ 'id.org': orgQuery });

/**
 * A whole number from a query string (`"25"`) or a JSON number (an MCP argument); documented as
 * an integer with its bounds.
 */
const wholeNumber = (message: string, min: { value: number; message: string }, max: number) =>
  z.preprocess(
    (value) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value),
    z.number({ error: message }).int(message).min(min.value, min.message).max(max, `must be at most ${max}`),
  );

const FILTER_FUNCTIONS = 'eq|ne|gt|gte|lt|lte|contains|not_like|value_in|value_not_in';
/** A value is anything but the grammar's own ( ) + and control characters (a NUL would reach SQL). */
const FILTER_EXPRESSION = `(?:${FILTER_FUNCTIONS})\\([a-z_]+(?:\\.[a-z_]+)?,[^()+\\p{Cc}]*\\)`;
const FILTERS = new RegExp(`^${FILTER_EXPRESSION}(?:\\+${FILTER_EXPRESSION})*$`, 'u');
/** The grammar as a caller may send it (a `+` that arrived as spaces counts): documented for clients. */
export const FILTERS_AS_SENT = `^${FILTER_EXPRESSION}(?:(?:\\+|\\s+)${FILTER_EXPRESSION})*$`;

/**
 * A `+` in a query string decodes to a space, so `eq(a,b)+eq(c,d)` sent unencoded arrives as
 * `eq(a,b) eq(c,d)`; put the `+` back between expressions before checking the grammar.
 */
const filtersSchema = z
  .string()
  .max(4096, 'must be at most 4096 characters')
  .transform((value) => value.replace(/\)\s+(?=[a-z_]+\()/g, ')+'))
  .refine((value) => FILTERS.test(value), {
    message: `must be func(field,value) expressions joined by +, func one of ${FILTER_FUNCTIONS.replaceAll('|', ', ')}; list values joined by ; (no control characters)`,
  })
  .describe('Filter expressions, e.g. eq(phase,RUNNING)+value_in(mode,0;3); send + and ; percent-encoded');

export function listExecutionsQuerySchema(maxLimit: number) {
  return z
    .object({
      limit: wholeNumber('must be a positive integer', { value: 1, message: 'must be at least 1' }, maxLimit)
        .default(100)
        .describe(`Page size, 1-${maxLimit}; default 100`),
      token: z
        .string()
        .regex(/^\d{0,10}$/, 'must be the token of a previous page (a decimal offset)')
        .optional()
        .describe('Paging token from the previous page'),
      filters: filtersSchema.optional(),
      'sort_by.key': z
        .string()
        .regex(/^[a-z_]{1,64}$/, 'must be a column name such as created_at')
        .optional()
        .describe('Sort column, e.g. created_at'),
      'sort_by.direction': z
        .enum(['DESCENDING', 'ASCENDING'])
        .optional()
        .describe(
          'Sort direction: DESCENDING (0) or ASCENDING (1); sortBy.direction and numbers accepted too',
        ),
      'id.org': orgQuery,
    })
    .refine((q) => q['sort_by.direction'] === undefined || q['sort_by.key'] !== undefined, {
      path: ['sort_by.key'],
      message: 'required when sort_by.direction is given',
    });
}

export const metricsQuerySchema = z.object({
  depth: wholeNumber(
    'must be a non-negative integer',
    { value: 0, message: 'must be a non-negative integer' },
    10,
  )
    .optional()
    .describe('Levels of spans to expand, 0-10; default 0 (root span only)'),
  'id.org': orgQuery,
});

/** No route params or query: anything given is ignored, never forwarded. */
export const emptySchema = z.object({});
