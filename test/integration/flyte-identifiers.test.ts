/**
 * Issue 15: every identifier a Flyte body names is allow-listed, not just its own project.
 * Referenced executions, parent node executions, orgs and the identity to run as are each
 * checked (FLYTE_PROJECTS, FLYTE_ORGS, FLYTE_SERVICE_ACCOUNTS, FLYTE_IAM_ROLES); credential
 * fields are refused. A refusal names the field path and nothing reaches Flyte (the emulator's
 * journal stays empty), over REST and over MCP alike.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { call, type Gateway, startGateway } from '../helpers/gateway.js';
import { problemOf, rawMcp } from '../helpers/mcp-client.js';

// biome-ignore lint/suspicious/noExplicitAny: example bodies are plain JSON
const example = (file: string): any =>
  JSON.parse(readFileSync(join(__dirname, '../../examples', file), 'utf8'));
const EXECUTIONS = '/v1/api/v1/executions';
const FORBIDDEN = 'forbidden-project';
const forbiddenExecution = { project: FORBIDDEN, domain: 'development', name: 'secret-run' };
const allowedExecution = { project: 'flytesnacks', domain: 'development', name: 'nightly-etl-0001' };

const create = example('create-execution.json');
/** The create example with its spec extended. */
const createWith = (spec: Record<string, unknown>, top: Record<string, unknown> = {}) => ({
  ...create,
  ...top,
  spec: { ...create.spec, ...spec },
});

interface RefusedCase {
  title: string;
  path: string;
  body: unknown;
  status: number;
  field: string;
  message?: RegExp;
}

const refused: RefusedCase[] = [
  {
    title: 'create: RECOVERED from an execution in a forbidden project',
    path: EXECUTIONS,
    body: createWith({ metadata: { mode: 'RECOVERED', reference_execution: forbiddenExecution } }),
    status: 403,
    field: 'body.spec.metadata.reference_execution.project',
    message: /Flyte project "forbidden-project" is not on this gateway's allow-list \(FLYTE_PROJECTS\)/,
  },
  {
    title: 'create: parent_node_execution in a forbidden project',
    path: EXECUTIONS,
    body: createWith({
      metadata: {
        mode: 'CHILD_WORKFLOW',
        parent_node_execution: { node_id: 'n0', execution_id: forbiddenExecution },
      },
    }),
    status: 403,
    field: 'body.spec.metadata.parent_node_execution.execution_id.project',
  },
  {
    title: 'create: artifact id of a forbidden project',
    path: EXECUTIONS,
    body: createWith({
      metadata: {
        artifact_ids: [{ artifact_key: { project: FORBIDDEN, domain: 'development', name: 'a' } }],
      },
    }),
    status: 403,
    field: 'body.spec.metadata.artifact_ids.0.artifact_key.project',
  },
  {
    title: 'create: run_as another Kubernetes service account',
    path: EXECUTIONS,
    body: createWith({ security_context: { run_as: { k8s_service_account: 'cluster-admin' } } }),
    status: 403,
    field: 'body.spec.security_context.run_as.k8s_service_account',
    message: /Kubernetes service account "cluster-admin" .*\(FLYTE_SERVICE_ACCOUNTS\)/,
  },
  {
    title: 'create: a pod IAM role annotation (kube2iam/kiam) off the list',
    path: EXECUTIONS,
    body: createWith({ annotations: { values: { 'iam.amazonaws.com/role': 'arn:aws:iam::1:role/admin' } } }),
    status: 403,
    field: 'body.spec.annotations.values.iam.amazonaws.com/role',
    message: /IAM role "arn:aws:iam::1:role\/admin" .*\(FLYTE_IAM_ROLES\)/,
  },
  {
    title: 'create: run_as another IAM role',
    path: EXECUTIONS,
    body: createWith({ security_context: { run_as: { iam_role: 'arn:aws:iam::1:role/admin' } } }),
    status: 403,
    field: 'body.spec.security_context.run_as.iam_role',
    message: /\(FLYTE_IAM_ROLES\)/,
  },
  {
    title: 'create: run_as an execution identity',
    path: EXECUTIONS,
    body: createWith({ security_context: { run_as: { execution_identity: 'someone-else' } } }),
    status: 403,
    field: 'body.spec.security_context.run_as.execution_identity',
  },
  {
    title: 'create: run_as an OAuth2 client',
    path: EXECUTIONS,
    body: createWith({
      security_context: { run_as: { oauth2_client: { client_id: 'c', client_secret: { group: 'g' } } } },
    }),
    status: 403,
    field: 'body.spec.security_context.run_as.oauth2_client',
  },
  {
    title: 'create: security_context.secrets',
    path: EXECUTIONS,
    body: createWith({ security_context: { secrets: [{ group: 'other-team', key: 'token' }] } }),
    status: 403,
    field: 'body.spec.security_context.secrets',
  },
  {
    title: 'create: security_context.tokens',
    path: EXECUTIONS,
    body: createWith({ security_context: { tokens: [{ name: 't', client: { client_id: 'c' } }] } }),
    status: 403,
    field: 'body.spec.security_context.tokens',
  },
  {
    title: 'create: deprecated auth_role service account',
    path: EXECUTIONS,
    body: createWith({ auth_role: { kubernetes_service_account: 'cluster-admin' } }),
    status: 403,
    field: 'body.spec.auth_role.kubernetes_service_account',
  },
  {
    title: 'create: deprecated auth_role IAM role',
    path: EXECUTIONS,
    body: createWith({ auth_role: { assumable_iam_role: 'arn:aws:iam::1:role/admin' } }),
    status: 403,
    field: 'body.spec.auth_role.assumable_iam_role',
  },
  {
    title: 'create: an org in the body',
    path: EXECUTIONS,
    body: createWith({}, { org: 'other-org' }),
    status: 403,
    field: 'body.org',
    message: /Flyte org "other-org" .*\(FLYTE_ORGS\)/,
  },
  {
    title: 'create: an org on the launch plan',
    path: EXECUTIONS,
    body: createWith({ launch_plan: { ...create.spec.launch_plan, org: 'other-org' } }),
    status: 403,
    field: 'body.spec.launch_plan.org',
  },
  {
    title: 'create: an org on the reference execution',
    path: EXECUTIONS,
    body: createWith({
      metadata: { mode: 'RECOVERED', reference_execution: { ...allowedExecution, org: 'other-org' } },
    }),
    status: 403,
    field: 'body.spec.metadata.reference_execution.org',
  },
  {
    title: 'create: camelCase referenceExecution (protojson JSON name, checked as its proto name)',
    path: EXECUTIONS,
    body: createWith({ metadata: { mode: 'RECOVERED', referenceExecution: forbiddenExecution } }),
    status: 403,
    field: 'body.spec.metadata.reference_execution.project',
  },
  {
    title: 'create: camelCase securityContext (protojson JSON name, checked as its proto name)',
    path: EXECUTIONS,
    body: createWith({ securityContext: { runAs: { k8sServiceAccount: 'cluster-admin' } } }),
    status: 403,
    field: 'body.spec.security_context.run_as.k8s_service_account',
  },
  {
    title: 'create: unknown security_context field',
    path: EXECUTIONS,
    body: createWith({ security_context: { run_as: {}, other: 1 } }),
    status: 400,
    field: 'body.spec.security_context.other',
  },
  {
    title: 'recover: parent_node_execution in a forbidden project',
    path: `${EXECUTIONS}/recover`,
    body: {
      ...example('recover-execution.json'),
      metadata: { parent_node_execution: { node_id: 'n0', execution_id: forbiddenExecution } },
    },
    status: 403,
    field: 'body.metadata.parent_node_execution.execution_id.project',
  },
  {
    title: 'recover: an org on the id',
    path: `${EXECUTIONS}/recover`,
    body: { ...example('recover-execution.json'), id: { ...allowedExecution, org: 'other-org' } },
    status: 403,
    field: 'body.id.org',
  },
  {
    title: 'recover: camelCase parentNodeExecution (protojson JSON name, checked as its proto name)',
    path: `${EXECUTIONS}/recover`,
    body: {
      ...example('recover-execution.json'),
      metadata: { parentNodeExecution: { nodeId: 'n0', executionId: forbiddenExecution } },
    },
    status: 403,
    field: 'body.metadata.parent_node_execution.execution_id.project',
  },
  {
    title: 'relaunch: an org on the id',
    path: `${EXECUTIONS}/relaunch`,
    body: { ...example('relaunch-execution.json'), id: { ...allowedExecution, org: 'other-org' } },
    status: 403,
    field: 'body.id.org',
  },
];

describe('Flyte identifiers are allow-listed (issue 15)', () => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(() => gw.close());
  beforeEach(() => gw.emulator.reset());

  it.each(refused)(
    '$title: $status naming $field, no upstream call',
    async ({ path, body, status, field, message }) => {
      // Act
      const res = await call(gw, 'POST', path, body);
      // Assess
      expect(res.status).toBe(status);
      const problem = res.json();
      expect(problem.type).toBe(status === 403 ? '/problems/forbidden' : '/problems/validation-failed');
      expect(problem.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path: field })]));
      if (status === 403) expect(problem.detail).toMatch(new RegExp(`^${field.replaceAll('.', '\\.')}: `));
      if (message) expect(problem.detail).toMatch(message);
      expect(gw.emulator.requests).toHaveLength(0);
    },
  );

  it('create: every refused field is listed, not only the first', async () => {
    // Act
    const res = await call(
      gw,
      'POST',
      EXECUTIONS,
      createWith(
        {
          metadata: { mode: 'RECOVERED', reference_execution: forbiddenExecution },
          security_context: { run_as: { k8s_service_account: 'cluster-admin' } },
        },
        { org: 'other-org' },
      ),
    );
    // Assess
    expect(res.status).toBe(403);
    expect(res.json().errors.map((e: { path: string }) => e.path)).toEqual([
      'body.org',
      'body.spec.metadata.reference_execution.project',
      'body.spec.security_context.run_as.k8s_service_account',
    ]);
    expect(gw.emulator.requests).toHaveLength(0);
  });

  it('create: identifiers that are allowed, empty or the default still reach Flyte', async () => {
    // Act
    const body = createWith(
      {
        metadata: {
          mode: 'RECOVERED',
          reference_execution: { ...allowedExecution, org: '' },
          parent_node_execution: { node_id: 'n0', execution_id: allowedExecution },
        },
        security_context: {
          run_as: { k8s_service_account: '', iam_role: '', execution_identity: '' },
          secrets: [],
        },
        auth_role: {},
      },
      { org: '' },
    );
    const res = await call(gw, 'POST', EXECUTIONS, body);
    // Assess
    expect(res.status).toBe(200);
    expect(gw.emulator.requests).toHaveLength(1);
    expect(JSON.parse(gw.emulator.requests[0]?.body ?? '')).toEqual(body);
  });

  it('MCP create-workflow-execution: the same guard answers isError 403, no upstream call', async () => {
    // Prepare
    const args = createWith({ metadata: { mode: 'RECOVERED', reference_execution: forbiddenExecution } });
    const request = {
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'create-workflow-execution', arguments: args },
    };
    // Act
    const res = await rawMcp(gw, 'POST', JSON.stringify(request));
    // Assess
    expect(res.status).toBe(200);
    expect(res.json().result.isError).toBe(true);
    const problem = problemOf(res.json().result);
    expect(problem).toMatchObject({ status: 403, type: '/problems/forbidden' });
    // MCP names fields relative to the tool arguments (the spread body); allow either spelling.
    expect(problem.detail).toMatch(/^(body\.)?spec\.metadata\.reference_execution\.project: /);
    expect(gw.emulator.requests).toHaveLength(0);
  });
});

describe('Flyte identifiers on the new allow-lists (issue 15)', () => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startGateway({
      env: {
        FLYTE_PROJECTS: 'flytesnacks,shared',
        FLYTE_ORGS: 'acme',
        FLYTE_SERVICE_ACCOUNTS: 'flyte-runner',
        FLYTE_IAM_ROLES: 'arn:aws:iam::1:role/flyte-runner',
      },
    });
  });
  afterAll(() => gw.close());
  beforeEach(() => gw.emulator.reset());

  it('create: listed org, service account, IAM role and referenced project reach Flyte', async () => {
    // Act
    const body = createWith(
      {
        launch_plan: { ...create.spec.launch_plan, org: 'acme' },
        metadata: {
          mode: 'RECOVERED',
          reference_execution: { project: 'shared', domain: 'development', name: 'src-run', org: 'acme' },
        },
        security_context: {
          run_as: { k8s_service_account: 'flyte-runner', iam_role: 'arn:aws:iam::1:role/flyte-runner' },
        },
        auth_role: { kubernetes_service_account: 'flyte-runner' },
      },
      { org: 'acme' },
    );
    const res = await call(gw, 'POST', EXECUTIONS, body);
    // Assess
    expect(res.status).not.toBe(403);
    expect(gw.emulator.requests).toHaveLength(1);
    expect(JSON.parse(gw.emulator.requests[0]?.body ?? '')).toEqual(body);
  });

  it('create: an unlisted service account is still refused', async () => {
    // Act
    const res = await call(
      gw,
      'POST',
      EXECUTIONS,
      createWith({ security_context: { run_as: { k8s_service_account: 'cluster-admin' } } }),
    );
    // Assess
    expect(res.status).toBe(403);
    expect(res.json().errors).toEqual([
      {
        path: 'body.spec.security_context.run_as.k8s_service_account',
        message: `Kubernetes service account "cluster-admin" is not on this gateway's allow-list (FLYTE_SERVICE_ACCOUNTS).`,
      },
    ]);
    expect(gw.emulator.requests).toHaveLength(0);
  });
});

describe('FLYTE_DOMAINS: a domain off the list reaches Flyte nowhere', () => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startGateway({ env: { FLYTE_DOMAINS: 'development,staging' }, azureml: true });
  });
  afterAll(() => gw.close());
  beforeEach(() => gw.emulator.reset());

  const PRODUCTION = `${EXECUTIONS}/flytesnacks/production`;
  const refusedDomain = (path: string) => ({
    path,
    message: `Flyte domain "production" is not on this gateway's allow-list (FLYTE_DOMAINS).`,
  });

  it.each([
    ['GET', PRODUCTION],
    ['GET', `${PRODUCTION}/run-1`],
    ['GET', '/v1/api/v1/metrics/executions/flytesnacks/production/run-1'],
    ['DELETE', `${PRODUCTION}/run-1`],
  ])('%s %s: 403 naming params.id-domain', async (method, path) => {
    // Act
    const res = await call(gw, method, path, method === 'DELETE' ? { cause: 'x' } : undefined);
    // Assess
    expect(res.status, res.text).toBe(403);
    expect(res.json().errors).toEqual([refusedDomain('params.id-domain')]);
    expect(gw.emulator.requests).toHaveLength(0);
  });

  it('create in production, or recovering a production execution: 403 naming the field', async () => {
    // Act
    const created = await call(gw, 'POST', EXECUTIONS, { ...create, domain: 'production' });
    const recovered = await call(gw, 'POST', `${EXECUTIONS}/recover`, {
      ...example('recover-execution.json'),
      id: { ...allowedExecution, domain: 'production' },
    });
    // Assess
    expect([created.status, created.json().errors]).toEqual([403, [refusedDomain('body.domain')]]);
    expect([recovered.status, recovered.json().errors]).toEqual([403, [refusedDomain('body.id.domain')]]);
    expect(gw.emulator.requests).toHaveLength(0);
  });

  it('a batch naming a production execution is refused whole at submission', async () => {
    // Act
    const res = await call(gw, 'POST', '/v1/cancellations', {
      targets: [
        { kind: 'flyte', project: 'flytesnacks', domain: 'development', name: 'ok' },
        { kind: 'flyte', project: 'flytesnacks', domain: 'production', name: 'prod' },
      ],
    });
    // Assess
    expect(res.status, res.text).toBe(403);
    expect(res.json().errors).toEqual([expect.objectContaining({ path: 'body.targets[1]' })]);
    expect(gw.emulator.requests).toHaveLength(0);
  });

  it('a listed domain still reaches Flyte', async () => {
    // Prepare
    gw.emulator.seed({ project: 'flytesnacks', domain: 'staging', name: 'run-1', phase: 'RUNNING' });
    // Act
    const res = await call(gw, 'GET', `${EXECUTIONS}/flytesnacks/staging/run-1`);
    // Assess
    expect(res.status, res.text).toBe(200);
    expect(gw.emulator.requests.map((r) => r.path)).toEqual(['/api/v1/executions/flytesnacks/staging/run-1']);
  });
});
