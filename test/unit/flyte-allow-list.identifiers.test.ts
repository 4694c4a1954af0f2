import { describe, expect, it } from 'vitest';
import { createExecution } from '../../src/catalog/flyte.js';
import { validateInput } from '../../src/catalog/validate.js';
import { loadSettings } from '../../src/config.js';
import {
  assertReferencesAllowed,
  createExecutionReferences,
  type FlyteAllowLists,
  recoverExecutionReferences,
  relaunchExecutionReferences,
} from '../../src/flyte/allow-list.js';
import {
  createExecutionBodySchema,
  recoverExecutionBodySchema,
  relaunchExecutionBodySchema,
} from '../../src/flyte/schemas.js';
import { NotAllowedError } from '../../src/problems/errors.js';

const LISTS: FlyteAllowLists = {
  projects: ['flytesnacks'],
  domains: ['*'],
  orgs: [],
  serviceAccounts: [],
  iamRoles: [],
};
const launchPlan = {
  resource_type: 'LAUNCH_PLAN',
  project: 'flytesnacks',
  domain: 'development',
  name: 'etl',
  version: 'v1',
};
const other = { project: 'other', domain: 'development', name: 'run' };

/** 'allowed', or the paths of the refused fields. */
const verdict = (
  kind: 'create' | 'recover' | 'relaunch',
  body: unknown,
  lists: FlyteAllowLists = LISTS,
): 'allowed' | string[] => {
  try {
    if (kind === 'create') {
      assertReferencesAllowed(createExecutionReferences(createExecutionBodySchema.parse(body)), lists);
    } else if (kind === 'recover') {
      assertReferencesAllowed(recoverExecutionReferences(recoverExecutionBodySchema.parse(body)), lists);
    } else {
      assertReferencesAllowed(relaunchExecutionReferences(relaunchExecutionBodySchema.parse(body)), lists);
    }
    return 'allowed';
  } catch (error) {
    const e = error as { status: number; type: string; errors: { path: string }[] };
    expect(e.status).toBe(403);
    expect(e.type).toBe('forbidden');
    return e.errors.map((x) => x.path);
  }
};
const createBody = (spec: Record<string, unknown> = {}, top: Record<string, unknown> = {}) => ({
  project: 'flytesnacks',
  domain: 'development',
  spec: { launch_plan: launchPlan, ...spec },
  ...top,
});

describe('assertReferencesAllowed', () => {
  it('names the field path and the setting in the detail, and lists every refusal', () => {
    // Act
    const act = () =>
      assertReferencesAllowed(
        [
          { path: 'body.a.project', kind: 'project', value: 'other' },
          { path: 'body.b.org', kind: 'org', value: 'acme' },
          { path: 'body.c.secrets', kind: 'refused', value: [{}] },
        ],
        LISTS,
      );
    // Assess
    expect(act).toThrow(
      expect.objectContaining({
        status: 403,
        detail: `body.a.project: Flyte project "other" is not on this gateway's allow-list (FLYTE_PROJECTS).`,
        errors: [
          {
            path: 'body.a.project',
            message: `Flyte project "other" is not on this gateway's allow-list (FLYTE_PROJECTS).`,
          },
          {
            path: 'body.b.org',
            message: `Flyte org "acme" is not on this gateway's allow-list (FLYTE_ORGS).`,
          },
          {
            path: 'body.c.secrets',
            message: 'body.c.secrets is not accepted by this gateway; leave it out.',
          },
        ],
      }),
    );
  });

  it.each([
    { case: 'empty org, account and role', kind: 'org' as const, value: '' },
    { case: 'absent service account', kind: 'k8s_service_account' as const, value: undefined },
    { case: 'empty refused list', kind: 'refused' as const, value: [] },
    { case: 'empty refused object', kind: 'refused' as const, value: {} },
  ])('lets $case through', ({ kind, value }) => {
    // Act + Assess
    expect(() => assertReferencesAllowed([{ path: 'body.x', kind, value }], LISTS)).not.toThrow();
  });

  it('* allows any value of its list', () => {
    // Act + Assess
    expect(() =>
      assertReferencesAllowed(
        [
          { path: 'p', kind: 'project', value: 'x' },
          { path: 'o', kind: 'org', value: 'x' },
          { path: 's', kind: 'k8s_service_account', value: 'x' },
          { path: 'i', kind: 'iam_role', value: 'x' },
        ],
        { projects: ['*'], domains: ['*'], orgs: ['*'], serviceAccounts: ['*'], iamRoles: ['*'] },
      ),
    ).not.toThrow();
  });
});

describe('create/recover/relaunch bodies', () => {
  it.each([
    {
      case: 'reference_execution in another project',
      kind: 'create' as const,
      body: createBody({ metadata: { mode: 'RECOVERED', reference_execution: other } }),
      refused: ['body.spec.metadata.reference_execution.project'],
    },
    {
      case: 'parent_node_execution in another project',
      kind: 'create' as const,
      body: createBody({ metadata: { parent_node_execution: { node_id: 'n0', execution_id: other } } }),
      refused: ['body.spec.metadata.parent_node_execution.execution_id.project'],
    },
    {
      case: 'run_as a service account, an IAM role and an execution identity',
      kind: 'create' as const,
      body: createBody({
        security_context: {
          run_as: { k8s_service_account: 'sa', iam_role: 'role', execution_identity: 'me' },
        },
      }),
      refused: [
        'body.spec.security_context.run_as.k8s_service_account',
        'body.spec.security_context.run_as.iam_role',
        'body.spec.security_context.run_as.execution_identity',
      ],
    },
    {
      case: 'orgs everywhere',
      kind: 'create' as const,
      body: createBody(
        {
          launch_plan: { ...launchPlan, org: 'o' },
          metadata: { reference_execution: { ...other, project: 'flytesnacks', org: 'o' } },
        },
        { org: 'o' },
      ),
      refused: ['body.org', 'body.spec.launch_plan.org', 'body.spec.metadata.reference_execution.org'],
    },
    {
      case: 'recover parent_node_execution in another project',
      kind: 'recover' as const,
      body: {
        id: { ...other, project: 'flytesnacks' },
        metadata: { parent_node_execution: { node_id: 'n0', execution_id: other } },
      },
      refused: ['body.metadata.parent_node_execution.execution_id.project'],
    },
    {
      case: 'relaunch with an org',
      kind: 'relaunch' as const,
      body: { id: { ...other, project: 'flytesnacks', org: 'o' } },
      refused: ['body.id.org'],
    },
  ])('refuses $case', ({ kind, body, refused }) => {
    // Act + Assess
    expect(verdict(kind, body)).toEqual(refused);
  });

  it('allows a plain create, and listed identities and orgs', () => {
    // Act + Assess
    expect(verdict('create', createBody({ metadata: { mode: 'MANUAL' } }))).toBe('allowed');
    expect(
      verdict(
        'create',
        createBody(
          { security_context: { run_as: { k8s_service_account: 'sa', iam_role: 'role' } } },
          { org: 'o' },
        ),
        {
          projects: ['flytesnacks'],
          domains: ['*'],
          orgs: ['o'],
          serviceAccounts: ['sa'],
          iamRoles: ['role'],
        },
      ),
    ).toBe('allowed');
  });

  it.each([
    {
      case: 'unknown run_as field',
      spec: { security_context: { run_as: { other: 'x' } } },
      path: ['spec', 'security_context', 'run_as'],
    },
  ])('the schema refuses a $case (400, not a silent pass-through)', ({ spec, path }) => {
    // Act
    const result = createExecutionBodySchema.safeParse(createBody(spec));
    // Assess
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path.slice(0, path.length)).toEqual(path);
  });
});

/**
 * protobuf's default JSON (camelCase names, enum numbers) is read by the create operation's
 * normalize step before the schemas, so a camelCase key is checked exactly like its proto name.
 */
describe('camelCase JSON names meet the same allow-lists', () => {
  const settings = loadSettings({ FLYTE_ENDPOINT: 'http://127.0.0.1:1', FLYTE_PROJECTS: 'flytesnacks' });
  const guarded = (spec: Record<string, unknown>): 'allowed' | string[] => {
    try {
      const body = { project: 'flytesnacks', domain: 'development', spec };
      const input = validateInput(createExecution, { params: {}, query: {}, body }, settings);
      createExecution.guard?.(input as never, settings);
      return 'allowed';
    } catch (error) {
      if (error instanceof NotAllowedError) return (error.errors ?? []).map((e) => e.path);
      throw error;
    }
  };
  const camelLaunchPlan = {
    resourceType: 3,
    project: 'flytesnacks',
    domain: 'development',
    name: 'etl',
    version: 'v1',
  };

  it.each([
    {
      case: 'spec.securityContext.runAs.k8sServiceAccount',
      camel: { launchPlan: camelLaunchPlan, securityContext: { runAs: { k8sServiceAccount: 'admin-sa' } } },
      snake: { launch_plan: launchPlan, security_context: { run_as: { k8s_service_account: 'admin-sa' } } },
      refused: ['body.spec.security_context.run_as.k8s_service_account'],
    },
    {
      case: 'spec.metadata.referenceExecution',
      camel: { launchPlan: camelLaunchPlan, metadata: { referenceExecution: other } },
      snake: { launch_plan: launchPlan, metadata: { reference_execution: other } },
      refused: ['body.spec.metadata.reference_execution.project'],
    },
    {
      case: 'spec.authRole.kubernetesServiceAccount',
      camel: { launchPlan: camelLaunchPlan, authRole: { kubernetesServiceAccount: 'admin-sa' } },
      snake: { launch_plan: launchPlan, auth_role: { kubernetes_service_account: 'admin-sa' } },
      refused: ['body.spec.auth_role.kubernetes_service_account'],
    },
  ])('$case is refused exactly like its snake_case spelling', ({ camel, snake, refused }) => {
    // Act / Assess
    expect(guarded(camel)).toEqual(refused);
    expect(guarded(snake)).toEqual(refused);
  });

  it('spec.launchPlan.resourceType: 3 is a LAUNCH_PLAN', () => {
    // Act
    const input = validateInput(
      createExecution,
      {
        params: {},
        query: {},
        body: { project: 'flytesnacks', domain: 'development', spec: { launchPlan: camelLaunchPlan } },
      },
      settings,
    );
    // Assess
    expect(input.body).toMatchObject({ spec: { launch_plan: { ...launchPlan } } });
    expect(guarded({ launchPlan: camelLaunchPlan })).toBe('allowed');
  });
});

describe('FLYTE_DOMAINS', () => {
  const devOnly: FlyteAllowLists = { ...LISTS, domains: ['development'] };
  const inProduction = { project: 'flytesnacks', domain: 'production', name: 'run' };

  it('every domain a create names is checked: its own, the launch plan, referenced executions, artifacts', () => {
    // Act
    const paths = verdict(
      'create',
      createBody(
        {
          launch_plan: { ...launchPlan, domain: 'production' },
          metadata: {
            mode: 'RECOVERED',
            reference_execution: inProduction,
            parent_node_execution: { node_id: 'n0', execution_id: inProduction },
            artifact_ids: [{ artifact_key: { project: 'flytesnacks', domain: 'production', name: 'a' } }],
          },
        },
        { domain: 'production' },
      ),
      devOnly,
    );

    // Assess
    expect(paths).toEqual([
      'body.domain',
      'body.spec.launch_plan.domain',
      'body.spec.metadata.reference_execution.domain',
      'body.spec.metadata.parent_node_execution.execution_id.domain',
      'body.spec.metadata.artifact_ids.0.artifact_key.domain',
    ]);
  });

  it('recover and relaunch: the id and the parent node execution', () => {
    expect(verdict('recover', { id: inProduction }, devOnly)).toEqual(['body.id.domain']);
    expect(verdict('relaunch', { id: inProduction }, devOnly)).toEqual(['body.id.domain']);
  });

  it('* (the default) allows every domain; a listed one passes', () => {
    expect(verdict('recover', { id: inProduction })).toBe('allowed');
    expect(
      verdict('recover', { id: inProduction }, { ...devOnly, domains: ['development', 'production'] }),
    ).toBe('allowed');
  });
});

describe('the pod IAM role annotation (kube2iam, kiam)', () => {
  const annotated = (role: string) =>
    createBody({ annotations: { values: { 'iam.amazonaws.com/role': role, team: 'ml' } } });

  it('is an IAM role: refused unless on FLYTE_IAM_ROLES', () => {
    expect(verdict('create', annotated('arn:aws:iam::1:role/admin'))).toEqual([
      'body.spec.annotations.values.iam.amazonaws.com/role',
    ]);
    expect(verdict('create', annotated('runner'), { ...LISTS, iamRoles: ['runner'] })).toBe('allowed');
  });

  it('other annotations pass untouched', () => {
    expect(verdict('create', createBody({ annotations: { values: { team: 'ml' } } }))).toBe('allowed');
  });
});
