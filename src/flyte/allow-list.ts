/**
 * @module
 * The Flyte allow-lists. A project outside `FLYTE_PROJECTS` gets 403 and the upstream is never
 * called; `*` allows every project. Request bodies name more than their own project (referenced
 * executions, parent node executions, orgs, the identity to run as): every such identifier is
 * checked here too (`FLYTE_DOMAINS`, `FLYTE_ORGS`, `FLYTE_SERVICE_ACCOUNTS`, `FLYTE_IAM_ROLES`),
 * and credential fields no allow-list could vouch for are refused.
 */
import type { z } from 'zod';
import { NotAllowedError } from '../problems/errors.js';
import type {
  createExecutionBodySchema,
  recoverExecutionBodySchema,
  relaunchExecutionBodySchema,
} from './schemas.js';

/**
 * @example
 * assertProjectsAllowed(['flytesnacks'], ['flytesnacks', 'ml']); // ok
 * assertProjectsAllowed(['other'], ['flytesnacks']); // throws NotAllowedError
 */
export function assertProjectsAllowed(projects: readonly string[], allowed: readonly string[]): void {
  if (allowed.includes('*')) return;
  for (const project of new Set(projects)) {
    if (!allowed.includes(project)) {
      throw new NotAllowedError(
        `Flyte project "${project}" is not on this gateway's allow-list (FLYTE_PROJECTS).`,
      );
    }
  }
}

/** The allow-lists a Flyte request body is checked against (from the settings). */
export interface FlyteAllowLists {
  /** FLYTE_PROJECTS */
  projects: readonly string[];
  /** FLYTE_DOMAINS (`*` by default) */
  domains: readonly string[];
  /** FLYTE_ORGS; the empty org is always allowed. */
  orgs: readonly string[];
  /** FLYTE_SERVICE_ACCOUNTS */
  serviceAccounts: readonly string[];
  /** FLYTE_IAM_ROLES */
  iamRoles: readonly string[];
}

/**
 * One identifier found in a body: its field path (`body.spec.metadata.reference_execution.project`),
 * the allow-list it must be on, and its value. `refused` names a field no value of which is let
 * through (a credential the gateway cannot vouch for).
 */
export interface FlyteReference {
  path: string;
  kind: 'project' | 'domain' | 'org' | 'k8s_service_account' | 'iam_role' | 'refused';
  value: unknown;
}

const LISTS = {
  project: { setting: 'FLYTE_PROJECTS', what: 'Flyte project', of: (l: FlyteAllowLists) => l.projects },
  domain: { setting: 'FLYTE_DOMAINS', what: 'Flyte domain', of: (l: FlyteAllowLists) => l.domains },
  org: { setting: 'FLYTE_ORGS', what: 'Flyte org', of: (l: FlyteAllowLists) => l.orgs },
  k8s_service_account: {
    setting: 'FLYTE_SERVICE_ACCOUNTS',
    what: 'Kubernetes service account',
    of: (l: FlyteAllowLists) => l.serviceAccounts,
  },
  iam_role: { setting: 'FLYTE_IAM_ROLES', what: 'IAM role', of: (l: FlyteAllowLists) => l.iamRoles },
} as const;

/** Not given, empty string, empty list or empty object: flyteadmin treats it as unset. */
const isUnset = (value: unknown): boolean =>
  value === undefined ||
  value === null ||
  value === '' ||
  (Array.isArray(value) && value.length === 0) ||
  (typeof value === 'object' && !Array.isArray(value) && Object.keys(value as object).length === 0);

/**
 * Checks every identifier of a body against its allow-list; a project and a domain are always
 * checked, an org, service account or IAM role only when not empty (empty means "the default"
 * to flyteadmin). Refuses with one 403 naming every refused field path.
 *
 * @example
 * assertReferencesAllowed(
 *   [{ path: 'body.spec.metadata.reference_execution.project', kind: 'project', value: 'other' }],
 *   { projects: ['flytesnacks'], domains: ['*'], orgs: [], serviceAccounts: [], iamRoles: [] },
 * ); // throws NotAllowedError: body.spec.metadata.reference_execution.project: Flyte project "other" ...
 */
export function assertReferencesAllowed(references: readonly FlyteReference[], lists: FlyteAllowLists): void {
  const errors: { path: string; message: string }[] = [];
  for (const { path, kind, value } of references) {
    if (kind === 'refused') {
      if (!isUnset(value)) {
        errors.push({ path, message: `${path} is not accepted by this gateway; leave it out.` });
      }
      continue;
    }
    if (kind !== 'project' && kind !== 'domain' && isUnset(value)) continue;
    const list = LISTS[kind];
    const allowed = list.of(lists);
    if (typeof value === 'string' && (allowed.includes('*') || allowed.includes(value))) continue;
    errors.push({
      path,
      message: `${list.what} ${JSON.stringify(value)} is not on this gateway's allow-list (${list.setting}).`,
    });
  }
  const first = errors[0];
  if (first) throw new NotAllowedError(`${first.path}: ${first.message}`, errors);
}

/** The pod annotation kube2iam and kiam take the IAM role from. */
const POD_IAM_ROLE = 'iam.amazonaws.com/role';

/** The parts of the request bodies read here, as the schemas type them. */
interface ExecutionIdLike {
  project: string;
  domain: string;
  org?: string | undefined;
}
interface NodeExecutionIdLike {
  execution_id: ExecutionIdLike;
}

const executionIdReferences = (path: string, id: ExecutionIdLike | undefined): FlyteReference[] =>
  id === undefined
    ? []
    : [
        { path: `${path}.project`, kind: 'project', value: id.project },
        { path: `${path}.domain`, kind: 'domain', value: id.domain },
        { path: `${path}.org`, kind: 'org', value: id.org },
      ];

const nodeExecutionReferences = (path: string, id: NodeExecutionIdLike | undefined): FlyteReference[] =>
  id === undefined ? [] : executionIdReferences(`${path}.execution_id`, id.execution_id);

/**
 * Every identifier of an ExecutionCreateRequest, with the flyteadmin behaviour that makes it
 * matter (flyteadmin/pkg/manager/impl/execution_manager.go):
 * - `project`, `org`: the execution is created there (launchExecution, workflowExecutionID).
 * - `spec.launch_plan.project/org`: the launch plan (or task) is read and run
 *   (launchExecution → util.GetLaunchPlanModel; launchSingleTaskExecution).
 * - `spec.metadata.reference_execution`: with mode RECOVERED flyteadmin sets
 *   executionParameters.RecoveryExecution to it, and propeller copies that execution's node
 *   outputs into the new one: another project's data.
 * - `spec.metadata.parent_node_execution`: getInheritedExecMetadata reads that node execution
 *   and its workflow execution, inherits its principal, nesting and cluster label, and links the
 *   new execution under it (ParentNodeExecutionID/SourceExecutionID).
 * - `spec.metadata.artifact_ids[].artifact_key`: overwritten by launchExecution today, checked
 *   all the same so no project identifier passes unchecked.
 * - `spec.security_context.run_as.k8s_service_account/iam_role` and the deprecated
 *   `spec.auth_role.*`: getExecutionConfig (util.MergeIntoExecConfig, resolveAuthRole,
 *   resolveSecurityCtx) puts the request's identity before the launch plan's and the project's,
 *   so the workflow runs as it.
 * - `spec.annotations.values["iam.amazonaws.com/role"]`: execution annotations are put on its
 *   pods, and on clusters with kube2iam or kiam this pod annotation is the IAM role they run as.
 * - `spec.security_context.run_as.execution_identity`: flyteadmin fills it from the caller's
 *   identity only when empty (getExecutionConfig), so a value impersonates someone: refused.
 * - `run_as.oauth2_client`, `secrets`, `tokens`: credentials stored with the execution and
 *   handed to the workflow (CreateExecutionModel keeps the SecurityContext): refused.
 */
export function createExecutionReferences(body: z.infer<typeof createExecutionBodySchema>): FlyteReference[] {
  const { spec } = body;
  const runAs = spec.security_context?.run_as;
  return [
    { path: 'body.project', kind: 'project', value: body.project },
    { path: 'body.domain', kind: 'domain', value: body.domain },
    { path: 'body.org', kind: 'org', value: body.org },
    { path: 'body.spec.launch_plan.project', kind: 'project', value: spec.launch_plan.project },
    { path: 'body.spec.launch_plan.domain', kind: 'domain', value: spec.launch_plan.domain },
    { path: 'body.spec.launch_plan.org', kind: 'org', value: spec.launch_plan.org },
    ...executionIdReferences('body.spec.metadata.reference_execution', spec.metadata?.reference_execution),
    ...nodeExecutionReferences(
      'body.spec.metadata.parent_node_execution',
      spec.metadata?.parent_node_execution,
    ),
    ...(spec.metadata?.artifact_ids ?? []).flatMap((artifact, i): FlyteReference[] => {
      const key = artifact.artifact_key;
      const path = `body.spec.metadata.artifact_ids.${i}.artifact_key`;
      return key === undefined
        ? []
        : [
            ...(key.project === undefined
              ? []
              : [{ path: `${path}.project`, kind: 'project' as const, value: key.project }]),
            ...(key.domain === undefined
              ? []
              : [{ path: `${path}.domain`, kind: 'domain' as const, value: key.domain }]),
            { path: `${path}.org`, kind: 'org', value: key.org },
          ];
    }),
    {
      path: 'body.spec.security_context.run_as.k8s_service_account',
      kind: 'k8s_service_account',
      value: runAs?.k8s_service_account,
    },
    { path: 'body.spec.security_context.run_as.iam_role', kind: 'iam_role', value: runAs?.iam_role },
    {
      path: 'body.spec.security_context.run_as.execution_identity',
      kind: 'refused',
      value: runAs?.execution_identity,
    },
    { path: 'body.spec.security_context.run_as.oauth2_client', kind: 'refused', value: runAs?.oauth2_client },
    { path: 'body.spec.security_context.secrets', kind: 'refused', value: spec.security_context?.secrets },
    { path: 'body.spec.security_context.tokens', kind: 'refused', value: spec.security_context?.tokens },
    {
      path: 'body.spec.auth_role.kubernetes_service_account',
      kind: 'k8s_service_account',
      value: spec.auth_role?.kubernetes_service_account,
    },
    {
      path: 'body.spec.auth_role.assumable_iam_role',
      kind: 'iam_role',
      value: spec.auth_role?.assumable_iam_role,
    },
    {
      path: `body.spec.annotations.values.${POD_IAM_ROLE}`,
      kind: 'iam_role',
      value: spec.annotations?.values?.[POD_IAM_ROLE],
    },
  ];
}

/**
 * An ExecutionRecoverRequest (RecoverExecution): `id` is read and re-run in its own project, and
 * only `metadata.parent_node_execution` is taken from the metadata (then as for create).
 */
export function recoverExecutionReferences(
  body: z.infer<typeof recoverExecutionBodySchema>,
): FlyteReference[] {
  return [
    ...executionIdReferences('body.id', body.id),
    ...nodeExecutionReferences('body.metadata.parent_node_execution', body.metadata?.parent_node_execution),
  ];
}

/**
 * An ExecutionRelaunchRequest (RelaunchExecution): only `id` names anything; the new execution
 * takes the stored spec of that (allowed) execution, identity included.
 */
export function relaunchExecutionReferences(
  body: z.infer<typeof relaunchExecutionBodySchema>,
): FlyteReference[] {
  return executionIdReferences('body.id', body.id);
}
