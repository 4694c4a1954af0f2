/**
 * MCP argument binding, without a server: each catalog operation's tool (name, title, hints,
 * and which argument fills which part of the REST input), `toToolInput` turning arguments into
 * the `{ params, query, body }` the REST pipeline validates (and what it refuses itself), the
 * path renaming of `arguments.ts`, and `errorResult` naming the arguments an agent sent.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ROLES } from '../../src/auth/roles.js';
import { readStartRunRequest } from '../../src/azureml/start-run-request.js';
import { operations } from '../../src/catalog/index.js';
import { type Operation, operation, resolveSchema, UPLOAD } from '../../src/catalog/operation.js';
import { type RawInput, validateInput } from '../../src/catalog/validate.js';
import { loadSettings, mcpInlineZipLimit } from '../../src/config.js';
import { emptySchema, executionPathSchema, terminateExecutionBodySchema } from '../../src/flyte/schemas.js';
import {
  type ArgumentBinding,
  aliasesUsed,
  isRequired,
  PARAM_ARGUMENT_NAMES,
  QUERY_ARGUMENT_NAMES,
  shapeOf,
  toArgumentPath,
} from '../../src/mcp/arguments.js';
import { toToolInput } from '../../src/mcp/tool-input.js';
import { errorResult } from '../../src/mcp/tool-result.js';
import { deriveTool, deriveTools, type ToolDefinition } from '../../src/mcp/tools.js';
import {
  type FieldError,
  GatewayError,
  JsonTooDeepError,
  UpstreamError,
  ValidationError,
} from '../../src/problems/errors.js';
import type { UploadBody } from '../../src/staging/upload-body.js';
import type { ZipStaging } from '../../src/staging/zip-staging.js';
import { buildZip, example } from '../helpers/azureml-requests.js';
import { thrownBy } from '../helpers/unit-factories.js';

/** The smallest inline cap the settings allow, so the size rule is cheap to reach. */
const MAX_ZIP = 1024;
const settings = loadSettings({ MCP_MAX_INLINE_ZIP_BYTES: String(MAX_ZIP), FLYTE_MAX_LIST_LIMIT: '500' });
const tools = deriveTools(operations, settings);

function toolNamed(name: string): ToolDefinition {
  const tool = tools.find((t) => t.name === name);
  if (!tool) throw new Error(`no tool ${name}`);
  return tool;
}

const FLYTE = { project: 'flytesnacks', domain: 'development' };
const EXECUTION = { ...FLYTE, name: 'nightly-etl-0001' };
const SCOPE = {
  subscriptionId: '00000000-0000-0000-0000-000000000000',
  resourceGroupName: 'rg-ml',
  workspaceName: 'ws-demo',
  experimentName: 'exp-a',
};
const SCOPE_PARAMS = {
  subscriptionid: SCOPE.subscriptionId,
  resourcegroupname: SCOPE.resourceGroupName,
  workspacename: SCOPE.workspaceName,
  experimentname: SCOPE.experimentName,
};
const STAGED_ID = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
const zip = buildZip([{ name: 'train.py', data: 'print("mcp")\n' }]);
const runDefinition = { configuration: { script: 'train.py', target: 'cpu-cluster' } };

const fieldErrorsOf = (error: unknown): FieldError[] => {
  expect(error).toBeInstanceOf(ValidationError);
  return (error as ValidationError).errors;
};

/** The REST field errors of `fn`, renamed to `tool`'s argument names as `args` gave them (spec name or alias). */
const argumentErrorsOf = (
  tool: ToolDefinition,
  error: unknown,
  args: Record<string, unknown> = {},
): FieldError[] =>
  fieldErrorsOf(error).map((e) => ({
    ...e,
    path: toArgumentPath(e.path, tool.bindings, aliasesUsed(tool.bindings, args)),
  }));

// --- the tools ----------------------------------------------------------------------------------

type Expected = {
  argument: string;
  alias?: string;
  target: ArgumentBinding['target'];
  required: boolean;
  restPaths: string[];
};
const param = (argument: string, field: string, alias?: string): Expected => ({
  argument,
  ...(alias ? { alias } : {}),
  target: { part: 'params', field },
  required: true,
  restPaths: [`params.${field}`],
});
const query = (argument: string, field: string, required = false): Expected => ({
  argument,
  target: { part: 'query', field },
  required,
  restPaths: [`query.${field}`],
});
const bodyField = (field: string, required: boolean): Expected => ({
  argument: field,
  target: { part: 'body-field', field },
  required,
  restPaths: [`body.${field}`],
});
const wholeBody = (argument: string, alias?: string): Expected => ({
  argument,
  ...(alias ? { alias } : {}),
  target: { part: 'body' },
  required: true,
  restPaths: ['body'],
});
const flyteExecution = [
  param('id.project', 'id-project', 'project'),
  param('id.domain', 'id-domain', 'domain'),
  param('id.name', 'id-name', 'name'),
];
/** `?id.org=`, which flyteadmin reads for these operations: a field of the `id` argument. */
const idOrg = query('id.org', 'id.org');
const azureExperiment = [
  param('subscriptionId', 'subscriptionid'),
  param('resourceGroupName', 'resourcegroupname'),
  param('workspaceName', 'workspacename'),
  param('experimentName', 'experimentname'),
];
const readOnly = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true };
const writes = { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true };

const EXPECTED_TOOLS: Record<
  string,
  { operationId: string; annotations: ToolDefinition['annotations']; bindings: Expected[] }
> = {
  'create-workflow-execution': {
    operationId: 'createexecution',
    annotations: writes,
    bindings: [
      bodyField('project', true),
      bodyField('domain', true),
      bodyField('name', false),
      bodyField('spec', true),
      bodyField('inputs', false),
      bodyField('org', false),
    ],
  },
  'recover-workflow-execution': {
    operationId: 'recoverexecution',
    annotations: writes,
    bindings: [bodyField('id', true), bodyField('name', false), bodyField('metadata', false)],
  },
  'relaunch-workflow-execution': {
    operationId: 'relaunchexecution',
    annotations: writes,
    bindings: [bodyField('id', true), bodyField('name', false), bodyField('overwrite_cache', false)],
  },
  'list-workflow-executions': {
    operationId: 'listexecutions',
    annotations: readOnly,
    bindings: [
      param('id.project', 'id-project', 'project'),
      param('id.domain', 'id-domain', 'domain'),
      query('limit', 'limit'),
      query('token', 'token'),
      query('filters', 'filters'),
      query('sortByKey', 'sort_by.key'),
      query('sortDirection', 'sort_by.direction'),
      idOrg,
    ],
  },
  'retrieve-workflow-execution': {
    operationId: 'getexecution',
    annotations: readOnly,
    bindings: [...flyteExecution, idOrg],
  },
  'terminate-workflow-execution': {
    operationId: 'terminateexecution',
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
    // The body's optional `id` repeats the path's: not an argument of its own.
    bindings: [...flyteExecution, idOrg, bodyField('cause', false)],
  },
  'retrieve-execution-metrics': {
    operationId: 'getexecutionmetrics',
    annotations: readOnly,
    bindings: [...flyteExecution, query('depth', 'depth'), idOrg],
  },
  'microsoft-azure-start-run-remote': {
    operationId: 'microsoftazurerunsstartrun',
    annotations: writes,
    bindings: [
      ...azureExperiment,
      query('runId', 'runId'),
      {
        argument: 'runDefinitionFile',
        alias: 'runDefinition',
        target: { part: 'upload' },
        required: true,
        restPaths: ['body.runDefinitionFile', 'body.runDefinition'],
      },
      {
        argument: 'projectZipFile',
        alias: 'projectZipBase64',
        target: { part: 'upload' },
        required: true,
        restPaths: ['body.projectZipFile'],
      },
      {
        argument: 'projectZipFile.stagedZipId',
        alias: 'stagedZipId',
        target: { part: 'upload' },
        required: false,
        restPaths: ['body.stagedZipId'],
      },
    ],
  },
  'microsoft-azure-start-run-snapshot': {
    operationId: 'microsoftazurerunsstartsnapshotrun',
    annotations: writes,
    bindings: [...azureExperiment, query('runId', 'runId'), wholeBody('definition', 'runDefinition')],
  },
  'microsoft-azure-start-run-local': {
    operationId: 'microsoftazurerunsstartlocalrun',
    annotations: writes,
    bindings: [...azureExperiment, query('runId', 'runId'), wholeBody('definition', 'runDefinition')],
  },
  'microsoft-azure-cancel-run': {
    operationId: 'microsoftazurerunscancelrunwithuri',
    annotations: writes,
    bindings: [...azureExperiment, param('runId', 'runid')],
  },
};

describe('deriveTools: one tool per catalog operation', () => {
  it('derives every operation, in catalog order, each tool named once', () => {
    // Assess
    expect(tools.map((t) => t.op)).toEqual([...operations]);
    expect(tools.map((t) => t.name).sort()).toEqual(Object.keys(EXPECTED_TOOLS).sort());
    expect(new Set(tools.map((t) => t.name)).size).toBe(operations.length);
  });

  it.each(Object.entries(EXPECTED_TOOLS))(
    '%s: name, title, description and annotations come from the operation',
    (name, expected) => {
      // Act
      const tool = toolNamed(name);

      // Assess
      expect(tool.op.operationId).toBe(expected.operationId);
      expect(tool.title).toBe(tool.op.tool.title);
      expect(tool.title).not.toBe('');
      expect(tool.description).toBe(tool.op.description);
      expect(tool.annotations).toEqual(expected.annotations);
      expect(tool.maxInlineZipBytes).toBe(MAX_ZIP);
    },
  );

  it.each(Object.entries(EXPECTED_TOOLS))(
    '%s: each argument, the part it binds to, whether it is required, and its REST paths',
    (name, expected) => {
      // Act
      const { bindings } = toolNamed(name);

      // Assess
      expect(bindings.map(({ schema: _, ...rest }) => rest)).toEqual(expected.bindings);
    },
  );

  it.each(Object.keys(EXPECTED_TOOLS))(
    '%s: every binding carries the schema the operation applies to that field',
    (name) => {
      // Prepare
      const tool = toolNamed(name);
      const { op } = tool;
      const shape = (schema: Parameters<typeof resolveSchema>[0]) =>
        shapeOf(resolveSchema(schema, settings), name);

      // Assess
      for (const binding of tool.bindings) {
        const { target } = binding;
        if (target.part === 'params') {
          expect(binding.schema).toBe(shape(op.input.params)[target.field]);
          expect(binding.argument).toBe(PARAM_ARGUMENT_NAMES[target.field] ?? target.field);
        } else if (target.part === 'query') {
          expect(binding.schema).toBe(shape(op.input.query)[target.field]);
          expect(binding.argument).toBe(QUERY_ARGUMENT_NAMES[target.field] ?? target.field);
        } else if (target.part === 'body-field') {
          if (!op.input.body || op.input.body === UPLOAD) throw new Error('a body field needs a JSON body');
          expect(binding.schema).toBe(shape(op.input.body)[target.field]);
        } else if (target.part === 'body') {
          if (!op.input.body || op.input.body === UPLOAD)
            throw new Error('a body argument needs a JSON body');
          expect(binding.schema).toBe(resolveSchema(op.input.body, settings));
        } else {
          const upload = op.tool.upload;
          if (!upload) throw new Error('an upload binding needs tool.upload');
          // The definition: the operation's schema, or the file's text (a union of both).
          if (binding.argument === upload.definition.argument)
            expect((binding.schema as z.ZodUnion).options[0]).toBe(upload.definition.schema);
          else if (binding.argument === `${upload.zipBase64.argument}.${upload.stagedZipId.argument}`)
            expect(binding.schema).toBe(upload.stagedZipId.schema);
          else expect(binding.argument).toBe(upload.zipBase64.argument);
        }
      }
    },
  );

  it('the zip argument is base64 or a staged zip, required, and says its cap and its alternative', () => {
    // Prepare
    const binding = toolNamed('microsoft-azure-start-run-remote').bindings.find(
      (b) => b.argument === 'projectZipFile',
    );

    // Assess
    expect(binding?.required).toBe(true);
    expect(binding?.alias).toBe('projectZipBase64');
    expect(binding?.schema.safeParse(zip.toString('base64')).success).toBe(true);
    expect(binding?.schema.safeParse({ stagedZipId: STAGED_ID }).success).toBe(true);
    expect(binding?.schema.safeParse('not base64!').success).toBe(false);
    expect(binding?.schema.description).toBe(
      `The zip archive of the project folder: base64 of the file (at most ${MAX_ZIP} bytes decoded: ` +
        'MCP_MAX_INLINE_ZIP_BYTES, lowered to fit MAX_JSON_BODY_BYTES), or {"stagedZipId": "..."} naming ' +
        'a zip staged before — larger zips go through an upload slot, POST /v1/uploads',
    );
  });

  it.each(Object.keys(EXPECTED_TOOLS))(
    '%s: the input schema accepts any value but shows each argument, the required ones and no others',
    (name) => {
      // Prepare
      const tool = toolNamed(name);
      const wrong = Object.fromEntries(tool.bindings.map((b) => [b.argument, { not: 'valid' }]));

      // Act
      const json = z.toJSONSchema(tool.inputSchema) as {
        properties: Record<string, Record<string, unknown>>;
        required?: string[];
        additionalProperties?: unknown;
      };

      // Assess: values are the pipeline's to judge, so the protocol layer lets them through
      expect(tool.inputSchema.safeParse(wrong).success).toBe(true);
      expect(tool.inputSchema.safeParse({}).success).toBe(true);
      // The spec's arguments (`id.project` shown inside `id`), then the deprecated aliases.
      const heads = [...new Set(tool.bindings.map((b) => b.argument.split('.')[0]))];
      const aliases = tool.bindings.flatMap((b) => (b.alias ? [b.alias] : []));
      expect(Object.keys(json.properties)).toEqual([...heads, ...aliases]);
      const required = heads.filter((h) =>
        tool.bindings.some((b) => b.required && b.argument.split('.')[0] === h),
      );
      expect(json.required ?? []).toEqual(required);
      for (const alias of aliases) expect(json.properties[alias]?.deprecated).toBe(true);
      expect(json.additionalProperties).toBe(false);
    },
  );

  it('shows an argument with its real JSON Schema and description', () => {
    // Act
    const json = z.toJSONSchema(toolNamed('retrieve-workflow-execution').inputSchema) as {
      properties: Record<string, { properties: Record<string, Record<string, unknown>> }>;
    };

    // Assess
    expect(json.properties.id?.properties.project).toMatchObject({
      type: 'string',
      minLength: 1,
      maxLength: 63,
      description: 'Flyte project id, e.g. flytesnacks',
    });
    expect(json.properties.id?.properties.project?.$schema).toBeUndefined();
  });

  it('caches per settings object and catalog: the same list again, a new one for new settings or ops', () => {
    // Prepare
    const other = loadSettings({ MCP_MAX_INLINE_ZIP_BYTES: '4096' });

    // Act
    const again = deriveTools(operations, settings);
    const forOther = deriveTools(operations, other);
    const fewer = deriveTools(operations.slice(0, 2), other);

    // Assess
    expect(again).toBe(tools);
    expect(forOther).not.toBe(tools);
    expect(forOther.map((t) => t.maxInlineZipBytes)).toEqual(operations.map(() => 4096));
    expect(fewer.map((t) => t.name)).toEqual(['create-workflow-execution', 'recover-workflow-execution']);
    expect(deriveTools(operations, other)).toHaveLength(operations.length);
  });
});

describe('the inline zip cap is what fits MAX_JSON_BODY_BYTES', () => {
  it('MCP_MAX_INLINE_ZIP_BYTES over what a JSON body can carry as base64 is lowered, in the schema too', () => {
    // Prepare: 1 MiB of JSON carries (1 MiB - 64 KiB of envelope) / 4 * 3 decoded bytes.
    const tight = loadSettings({
      MCP_MAX_INLINE_ZIP_BYTES: String(8 * 1024 * 1024),
      MAX_JSON_BODY_BYTES: '1048576',
    });
    const remote = operations.find((op) => op.tool.name === 'microsoft-azure-start-run-remote') as Operation;

    // Act
    const tool = deriveTool(remote, tight);

    // Assess
    expect(tool.maxInlineZipBytes).toBe(mcpInlineZipLimit(tight));
    expect(tool.maxInlineZipBytes).toBe(737_280);
    const zipArgument = tool.bindings.find((b) => b.argument === 'projectZipFile');
    expect(zipArgument?.schema.description).toContain('at most 737280 bytes decoded');
    expect(
      fieldErrorsOf(
        thrownBy(() =>
          toToolInput(tool, {
            ...SCOPE,
            runDefinition: {},
            projectZipBase64: Buffer.alloc(737_281).toString('base64'),
          }),
        ),
      ),
    ).toEqual([
      {
        path: 'projectZipBase64',
        message: expect.stringContaining('at most 737280 bytes (MCP_MAX_INLINE_ZIP_BYTES'),
      },
    ]);
  });
});

describe('deriveTool refuses an operation it cannot turn into arguments', () => {
  const base = {
    operationId: 'synthetic',
    capability: 'flyte' as const,
    description: 'A synthetic operation',
    rest: { method: 'POST' as const, path: '/v1/synthetic/{id-project}' },
    tool: {
      name: 'synthetic-tool',
      title: 'Synthetic',
      hints: { readOnly: false, destructive: false, idempotent: false },
    },
    idempotent: false,
    role: ROLES.read,
    call: async () => {
      throw new Error('never called');
    },
    openapi: { success: () => ({}) },
  };

  it.each<{ case: string; op: Operation; message: string }>([
    {
      case: 'params that are not an object',
      op: operation({ ...base, input: { params: z.string(), query: emptySchema } }),
      message: 'tool synthetic-tool: tool arguments need an object schema',
    },
    {
      case: 'a body that is an array',
      op: operation({
        ...base,
        input: { params: emptySchema, query: emptySchema, body: z.array(z.string()) },
      }),
      message: 'tool synthetic-tool: tool arguments need an object schema',
    },
    {
      case: 'a required body field named like the object of renamed route params',
      op: operation({
        ...base,
        input: {
          params: z.strictObject({ 'id-project': z.string() }),
          query: emptySchema,
          body: z.object({ id: z.string() }),
        },
      }),
      message: 'tool synthetic-tool: two arguments named id',
    },
    {
      case: 'a query field named like a renamed route param',
      op: operation({
        ...base,
        input: { params: executionPathSchema, query: z.object({ 'id.name': z.string() }) },
      }),
      message: 'tool synthetic-tool: two arguments named id.name',
    },
    {
      case: 'an upload body without tool.upload',
      op: operation({ ...base, input: { params: emptySchema, query: emptySchema, body: UPLOAD } }),
      message: 'tool synthetic-tool: an upload body needs tool.upload',
    },
  ])('$case', ({ op, message }) => {
    // Act
    const error = thrownBy(() => deriveTool(op, settings));

    // Assess
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe(message);
  });

  it('looks through an optional body object, and takes a whole optional body as one argument', () => {
    // Prepare
    const fields = operation({
      ...base,
      input: { params: emptySchema, query: emptySchema, body: terminateExecutionBodySchema },
    });
    const whole = operation({
      ...base,
      tool: { ...base.tool, bodyArgument: 'payload' },
      input: { params: emptySchema, query: emptySchema, body: terminateExecutionBodySchema },
    });

    // Act
    const byField = deriveTool(fields, settings).bindings;
    const byWhole = deriveTool(whole, settings).bindings;

    // Assess
    expect(byField.map((b) => [b.argument, b.target, b.required])).toEqual([
      ['id', { part: 'body-field', field: 'id' }, false],
      ['cause', { part: 'body-field', field: 'cause' }, false],
    ]);
    expect(byWhole.map((b) => [b.argument, b.target, b.required, b.restPaths])).toEqual([
      ['payload', { part: 'body' }, false, ['body']],
    ]);
  });
});

// --- arguments.ts -------------------------------------------------------------------------------

describe('toArgumentPath', () => {
  it.each([
    ['retrieve-workflow-execution', 'params.id-project', 'id.project'],
    ['retrieve-workflow-execution', 'params.id-name', 'id.name'],
    ['retrieve-workflow-execution', 'query.id.org', 'id.org'],
    ['list-workflow-executions', 'query.sort_by.key', 'sortByKey'],
    ['list-workflow-executions', 'query.sort_by.direction', 'sortDirection'],
    ['list-workflow-executions', 'query.limit', 'limit'],
    ['create-workflow-execution', 'body.spec.launch_plan.version', 'spec.launch_plan.version'],
    ['create-workflow-execution', 'body.inputs.literals', 'inputs.literals'],
    ['create-workflow-execution', 'body.project', 'project'],
    ['recover-workflow-execution', 'body.id.name', 'id.name'],
    ['terminate-workflow-execution', 'body.cause', 'cause'],
    ['microsoft-azure-start-run-snapshot', 'body', 'definition'],
    [
      'microsoft-azure-start-run-snapshot',
      'body.configuration.nodeCount',
      'definition.configuration.nodeCount',
    ],
    ['microsoft-azure-start-run-local', 'body[0]', 'definition[0]'],
    ['microsoft-azure-start-run-snapshot', 'query.runId', 'runId'],
    ['microsoft-azure-cancel-run', 'params.runid', 'runId'],
    ['microsoft-azure-cancel-run', 'params.subscriptionid', 'subscriptionId'],
    ['microsoft-azure-start-run-remote', 'body.runDefinitionFile', 'runDefinitionFile'],
    [
      'microsoft-azure-start-run-remote',
      'body.runDefinitionFile.configuration.arguments',
      'runDefinitionFile.configuration.arguments',
    ],
    [
      'microsoft-azure-start-run-remote',
      'body.runDefinition.configuration.nodeCount',
      'runDefinitionFile.configuration.nodeCount',
    ],
    ['microsoft-azure-start-run-remote', 'body.projectZipFile', 'projectZipFile'],
    ['microsoft-azure-start-run-remote', 'body.stagedZipId', 'projectZipFile.stagedZipId'],
    // Paths that belong to no argument stay as they are.
    ['microsoft-azure-start-run-remote', 'body', 'body'],
    ['create-workflow-execution', 'body', 'body'],
    ['retrieve-workflow-execution', 'params.id-projects', 'params.id-projects'],
    ['retrieve-workflow-execution', 'query.limit', 'query.limit'],
    ['retrieve-workflow-execution', 'headers.x-request-id', 'headers.x-request-id'],
  ])('%s: %s → %s', (name, path, expected) => {
    // Act
    const renamed = toArgumentPath(path, toolNamed(name).bindings);

    // Assess
    expect(renamed).toBe(expected);
  });

  it.each([
    ['retrieve-workflow-execution', { project: 'p', domain: 'd', name: 'n' }, 'params.id-project', 'project'],
    ['retrieve-workflow-execution', { id: { project: 'p' }, domain: 'd' }, 'params.id-project', 'id.project'],
    ['retrieve-workflow-execution', { id: { project: 'p' }, domain: 'd' }, 'params.id-domain', 'domain'],
    [
      'microsoft-azure-start-run-snapshot',
      { runDefinition: {} },
      'body.snapshotId',
      'runDefinition.snapshotId',
    ],
    ['microsoft-azure-start-run-remote', { stagedZipId: 'x' }, 'body.stagedZipId', 'stagedZipId'],
    [
      'microsoft-azure-start-run-remote',
      { projectZipBase64: 'x' },
      'body.projectZipFile',
      'projectZipBase64',
    ],
  ])('%s given %j: %s → %s (the name the agent used)', (name, args, path, expected) => {
    // Prepare
    const { bindings } = toolNamed(name);

    // Act
    const renamed = toArgumentPath(path, bindings, aliasesUsed(bindings, args));

    // Assess
    expect(renamed).toBe(expected);
  });

  it('takes the longest REST path that matches', () => {
    // Prepare
    const bindings: ArgumentBinding[] = [
      {
        argument: 'whole',
        target: { part: 'body' },
        schema: z.unknown(),
        required: false,
        restPaths: ['body'],
      },
      {
        argument: 'inner',
        target: { part: 'body-field', field: 'a' },
        schema: z.unknown(),
        required: false,
        restPaths: ['body.a'],
      },
    ];

    // Act
    const paths = ['body.a.b', 'body.a[2]', 'body.ab', 'body', 'body.b'].map((p) =>
      toArgumentPath(p, bindings),
    );

    // Assess
    expect(paths).toEqual(['inner.b', 'inner[2]', 'whole.ab', 'whole', 'whole.b']);
  });
});

describe('isRequired', () => {
  it.each<[string, z.ZodType, boolean]>([
    ['a string', z.string(), true],
    ['a nullable string', z.string().nullable(), true],
    ['an object', z.object({ a: z.string() }), true],
    ['an optional string', z.string().optional(), false],
    ['a string with a default', z.string().default('x'), false],
    ['unknown', z.unknown(), false],
    ['the optional terminate body', terminateExecutionBodySchema, false],
  ])('%s: %s', (_case, schema, expected) => {
    // Act
    const required = isRequired(schema);

    // Assess
    expect(required).toBe(expected);
  });
});

describe('shapeOf', () => {
  it.each<[string, z.ZodType, string[]]>([
    ['an object', z.object({ a: z.string(), b: z.number() }), ['a', 'b']],
    ['a strict object', executionPathSchema, ['id-project', 'id-domain', 'id-name']],
    ['an optional object', terminateExecutionBodySchema, ['id', 'cause']],
    ['an object optional twice', z.object({ c: z.string() }).optional().optional(), ['c']],
    ['a refined object', z.object({ d: z.string() }).refine(() => true), ['d']],
    ['an empty object', emptySchema, []],
  ])('%s: its fields', (_case, schema, fields) => {
    // Act
    const shape = shapeOf(schema, 'tool t');

    // Assess
    expect(Object.keys(shape)).toEqual(fields);
  });

  it.each<[string, z.ZodType]>([
    ['a string', z.string()],
    ['an array of objects', z.array(z.object({ a: z.string() }))],
    ['a union of objects', z.union([z.object({ a: z.string() }), z.object({ b: z.string() })])],
    ['a nullable object', z.object({ a: z.string() }).nullable()],
  ])('%s: refused, naming the tool', (_case, schema) => {
    // Act
    const error = thrownBy(() => shapeOf(schema, 'tool t'));

    // Assess
    expect((error as Error).message).toBe('tool t: tool arguments need an object schema');
  });
});

// --- toToolInput → validateInput ------------------------------------------------------------------

/** Staging that must not be touched: the definition and the id are checked before it is. */
const noStaging = new Proxy({} as ZipStaging, {
  get: (_, method) => () => {
    throw new Error(`staging.${String(method)} must not be reached`);
  },
});

describe('good arguments bind to the REST input, which validates', () => {
  it.each<{ name: string; args: Record<string, unknown>; raw: RawInput; validated?: unknown }>([
    {
      name: 'create-workflow-execution',
      args: example('create-execution.json'),
      raw: { params: {}, query: {}, body: example('create-execution.json') },
    },
    {
      name: 'recover-workflow-execution',
      args: example('recover-execution.json'),
      raw: { params: {}, query: {}, body: example('recover-execution.json') },
    },
    {
      name: 'relaunch-workflow-execution',
      args: example('relaunch-execution.json'),
      raw: { params: {}, query: {}, body: example('relaunch-execution.json') },
    },
    {
      name: 'list-workflow-executions',
      args: {
        ...FLYTE,
        limit: 50,
        token: '100',
        filters: 'eq(phase,RUNNING)',
        sortByKey: 'created_at',
        sortDirection: 'DESCENDING',
      },
      raw: {
        params: { 'id-project': 'flytesnacks', 'id-domain': 'development' },
        query: {
          limit: '50',
          token: '100',
          filters: 'eq(phase,RUNNING)',
          'sort_by.key': 'created_at',
          'sort_by.direction': 'DESCENDING',
        },
        body: undefined,
      },
      validated: {
        params: { 'id-project': 'flytesnacks', 'id-domain': 'development' },
        query: {
          limit: 50,
          token: '100',
          filters: 'eq(phase,RUNNING)',
          'sort_by.key': 'created_at',
          'sort_by.direction': 'DESCENDING',
        },
        body: undefined,
      },
    },
    {
      name: 'list-workflow-executions',
      args: FLYTE,
      raw: {
        params: { 'id-project': 'flytesnacks', 'id-domain': 'development' },
        query: {},
        body: undefined,
      },
      validated: {
        params: { 'id-project': 'flytesnacks', 'id-domain': 'development' },
        query: { limit: 100 },
        body: undefined,
      },
    },
    {
      name: 'retrieve-workflow-execution',
      args: EXECUTION,
      raw: {
        params: { 'id-project': 'flytesnacks', 'id-domain': 'development', 'id-name': 'nightly-etl-0001' },
        query: {},
        body: undefined,
      },
    },
    {
      name: 'terminate-workflow-execution',
      args: { ...EXECUTION, cause: 'cancelled by ops' },
      raw: {
        params: { 'id-project': 'flytesnacks', 'id-domain': 'development', 'id-name': 'nightly-etl-0001' },
        query: {},
        body: { cause: 'cancelled by ops' },
      },
    },
    {
      name: 'terminate-workflow-execution',
      args: EXECUTION,
      raw: {
        params: { 'id-project': 'flytesnacks', 'id-domain': 'development', 'id-name': 'nightly-etl-0001' },
        query: {},
        body: {},
      },
    },
    {
      name: 'retrieve-execution-metrics',
      args: { ...EXECUTION, depth: 2 },
      raw: {
        params: { 'id-project': 'flytesnacks', 'id-domain': 'development', 'id-name': 'nightly-etl-0001' },
        query: { depth: '2' },
        body: undefined,
      },
      validated: {
        params: { 'id-project': 'flytesnacks', 'id-domain': 'development', 'id-name': 'nightly-etl-0001' },
        query: { depth: 2 },
        body: undefined,
      },
    },
    {
      name: 'microsoft-azure-start-run-snapshot',
      args: { ...SCOPE, runId: 'run-1', runDefinition: example('snapshot-run-definition.json') },
      raw: { params: SCOPE_PARAMS, query: { runId: 'run-1' }, body: example('snapshot-run-definition.json') },
    },
    {
      name: 'microsoft-azure-start-run-local',
      args: { ...SCOPE, runDefinition: example('local-run-definition.json') },
      raw: { params: SCOPE_PARAMS, query: {}, body: example('local-run-definition.json') },
    },
    {
      name: 'microsoft-azure-cancel-run',
      args: { ...SCOPE, runId: 'run-1' },
      raw: { params: { ...SCOPE_PARAMS, runid: 'run-1' }, query: {}, body: undefined },
    },
    {
      name: 'microsoft-azure-start-run-remote',
      args: { ...SCOPE, runId: 'run-1', runDefinition, stagedZipId: STAGED_ID },
      raw: {
        params: SCOPE_PARAMS,
        query: { runId: 'run-1' },
        body: { from: 'staged', definition: runDefinition, stagedZipId: STAGED_ID },
      },
    },
  ])('$name with $args', ({ name, args, raw, validated }) => {
    // Prepare
    const tool = toolNamed(name);

    // Act
    const bound = toToolInput(tool, args);
    const input = validateInput(tool.op, bound, settings);

    // Assess
    expect(bound).toEqual(raw);
    expect(input).toEqual(validated ?? raw);
  });

  it('startrun with the zip inline: the bytes decoded, the body passed on unread', () => {
    // Prepare
    const tool = toolNamed('microsoft-azure-start-run-remote');

    // Act
    const bound = toToolInput(tool, { ...SCOPE, runDefinition, projectZipBase64: zip.toString('base64') });
    const input = validateInput(tool.op, bound, settings);

    // Assess
    expect(bound.params).toEqual(SCOPE_PARAMS);
    expect(bound.query).toEqual({});
    const body = bound.body as Extract<UploadBody, { from: 'bytes' }>;
    expect(body.from).toBe('bytes');
    expect(body.definition).toBe(runDefinition);
    expect(Buffer.from(body.zip)).toEqual(zip);
    expect(input.body).toBe(bound.body);
  });

  it('a query value given as a number or a boolean is sent as its string', () => {
    // Prepare
    const tool = toolNamed('list-workflow-executions');

    // Act
    const bound = toToolInput(tool, { ...FLYTE, limit: 7, token: true });

    // Assess
    expect(bound.query).toEqual({ limit: '7', token: 'true' });
  });

  it('an argument given as undefined counts as left out', () => {
    // Prepare
    const tool = toolNamed('retrieve-execution-metrics');

    // Act
    const bound = toToolInput(tool, { ...EXECUTION, depth: undefined });

    // Assess
    expect(bound.query).toEqual({});
  });
});

describe('bad argument values fail validation under the argument names', () => {
  it.each<{ name: string; args: Record<string, unknown>; errors: FieldError[] }>([
    {
      name: 'retrieve-workflow-execution',
      args: { ...EXECUTION, project: 'Bad_Name' },
      errors: [
        {
          path: 'project',
          message:
            'must be a DNS-1123 label: lower-case letters, digits and -, starting and ending alphanumeric',
        },
      ],
    },
    {
      name: 'retrieve-workflow-execution',
      args: { project: 'flytesnacks' },
      errors: [
        { path: 'id.domain', message: 'is required (string)' },
        { path: 'id.name', message: 'is required (string)' },
      ],
    },
    {
      name: 'list-workflow-executions',
      args: { ...FLYTE, limit: 0, sortDirection: 'ASCENDING' },
      errors: [
        { path: 'limit', message: 'must be at least 1' },
        { path: 'sortByKey', message: 'required when sort_by.direction is given' },
      ],
    },
    {
      name: 'list-workflow-executions',
      args: { ...FLYTE, limit: 501, sortByKey: 'Created At' },
      errors: [
        { path: 'limit', message: 'must be at most 500' },
        { path: 'sortByKey', message: 'must be a column name such as created_at' },
      ],
    },
    {
      name: 'create-workflow-execution',
      args: (() => {
        const body = example('create-execution.json');
        delete body.spec.launch_plan.version;
        return body;
      })(),
      errors: [{ path: 'spec.launch_plan.version', message: 'is required (string)' }],
    },
    {
      name: 'create-workflow-execution',
      args: {},
      errors: [
        { path: 'project', message: 'is required (string)' },
        { path: 'domain', message: 'is required (string)' },
        { path: 'spec', message: 'is required (object)' },
      ],
    },
    {
      name: 'recover-workflow-execution',
      args: { id: { ...EXECUTION, name: 'Run_1' } },
      errors: [
        {
          path: 'id.name',
          message:
            'must match ^[a-z][a-z0-9-]*$ (lower-case letter first, then lower-case letters, digits, -)',
        },
      ],
    },
    {
      name: 'relaunch-workflow-execution',
      args: { id: { ...EXECUTION, extra: 1 }, overwrite_cache: 'yes' },
      errors: [
        { path: 'id.extra', message: 'is not a known field' },
        { path: 'overwrite_cache', message: 'Invalid input: expected boolean, received string' },
      ],
    },
    {
      name: 'terminate-workflow-execution',
      args: { ...EXECUTION, cause: 'x'.repeat(2049) },
      errors: [{ path: 'cause', message: 'must be at most 2048 characters' }],
    },
    {
      name: 'retrieve-execution-metrics',
      args: { ...EXECUTION, depth: 11 },
      errors: [{ path: 'depth', message: 'must be at most 10' }],
    },
    {
      name: 'retrieve-execution-metrics',
      args: { ...EXECUTION, depth: -1 },
      errors: [{ path: 'depth', message: 'must be a non-negative integer' }],
    },
    {
      name: 'microsoft-azure-start-run-snapshot',
      args: { ...SCOPE, runDefinition: { configuration: { nodeCount: 0 } } },
      errors: [
        { path: 'runDefinition.configuration.nodeCount', message: 'Too small: expected number to be >=1' },
        { path: 'runDefinition.snapshotId', message: 'is required for snapshotrun' },
      ],
    },
    {
      name: 'microsoft-azure-start-run-local',
      args: SCOPE,
      errors: [{ path: 'definition', message: 'is required (object)' }],
    },
    {
      name: 'microsoft-azure-cancel-run',
      args: { ...SCOPE, subscriptionId: 'not-a-uuid', runId: '-r' },
      errors: [
        { path: 'subscriptionId', message: 'must be a UUID' },
        { path: 'runId', message: 'must match ^[a-zA-Z0-9][\\w-]{0,255}$' },
      ],
    },
    {
      name: 'microsoft-azure-start-run-remote',
      args: { ...SCOPE, experimentName: '-', runId: 'a b', runDefinition, stagedZipId: STAGED_ID },
      errors: [
        {
          path: 'experimentName',
          message: 'must be 1-256 letters, digits, _ or -, starting with a letter or digit',
        },
        { path: 'runId', message: 'must match ^[a-zA-Z0-9][\\w-]{0,255}$' },
      ],
    },
  ])('$name with $args', ({ name, args, errors }) => {
    // Prepare
    const tool = toolNamed(name);
    const bound = toToolInput(tool, args);

    // Act
    const error = thrownBy(() => validateInput(tool.op, bound, settings));

    // Assess
    expect(argumentErrorsOf(tool, error, args)).toEqual(errors);
  });

  it.each<{ case: string; args: Record<string, unknown>; errors: FieldError[] }>([
    {
      case: 'a bad definition with the zip inline',
      args: { runDefinition: { configuration: { nodeCount: 0 } }, projectZipBase64: zip.toString('base64') },
      errors: [
        { path: 'runDefinition.configuration.nodeCount', message: 'Too small: expected number to be >=1' },
      ],
    },
    {
      case: 'no definition with the zip inline',
      args: { projectZipBase64: zip.toString('base64') },
      errors: [{ path: 'runDefinitionFile', message: 'is required (object)' }],
    },
    {
      case: 'a bad definition with a staged zip',
      args: { runDefinition: { configuration: { arguments: [1] } }, stagedZipId: STAGED_ID },
      errors: [
        {
          path: 'runDefinition.configuration.arguments[0]',
          message: 'Invalid input: expected string, received number',
        },
      ],
    },
    {
      case: 'a staged zip id that the gateway never gave',
      args: { runDefinition, stagedZipId: 'my-zip' },
      errors: [{ path: 'stagedZipId', message: 'must be an id returned by the gateway' }],
    },
  ])('startrun: $case is named by its arguments, before staging is touched', async ({ args, errors }) => {
    // Prepare
    const tool = toolNamed('microsoft-azure-start-run-remote');
    const input = validateInput(tool.op, toToolInput(tool, { ...SCOPE, ...args }), settings);

    // Act
    const error = await readStartRunRequest(
      input.body as UploadBody,
      noStaging,
      settings.MAX_JSON_BODY_BYTES,
    ).then(
      () => undefined,
      (e: unknown) => e,
    );

    // Assess
    expect(argumentErrorsOf(tool, error, args)).toEqual(errors);
  });
});

// --- what toToolInput refuses itself ---------------------------------------------------------------

describe('toToolInput refuses what no operation input can carry', () => {
  const refusal = (name: string, args: Record<string, unknown>) =>
    fieldErrorsOf(thrownBy(() => toToolInput(toolNamed(name), args)));

  it.each<{ name: string; args: Record<string, unknown>; errors: FieldError[] }>([
    {
      name: 'retrieve-workflow-execution',
      args: { ...EXECUTION, bogus: true },
      errors: [{ path: 'bogus', message: 'is not a known field' }],
    },
    {
      name: 'retrieve-workflow-execution',
      args: { 'id-project': 'flytesnacks', domain: 'development', name: 'x1' },
      errors: [{ path: 'id-project', message: 'is not a known field' }],
    },
    {
      name: 'list-workflow-executions',
      args: { ...FLYTE, 'sort_by.key': 'created_at' },
      errors: [{ path: 'sort_by.key', message: 'is not a known field' }],
    },
    {
      name: 'microsoft-azure-start-run-snapshot',
      args: { ...SCOPE, runDefinition: {}, configuration: {} },
      errors: [{ path: 'configuration', message: 'is not a known field' }],
    },
    {
      name: 'retrieve-workflow-execution',
      args: { ...EXECUTION, name: 7 },
      errors: [{ path: 'name', message: 'must be a string' }],
    },
    {
      name: 'retrieve-workflow-execution',
      args: { project: null, domain: ['development'], name: { value: 'x' } },
      errors: [
        { path: 'project', message: 'must be a string' },
        { path: 'domain', message: 'must be a string' },
        { path: 'name', message: 'must be a string' },
      ],
    },
    {
      name: 'microsoft-azure-cancel-run',
      args: { ...SCOPE, runId: 12 },
      errors: [{ path: 'runId', message: 'must be a string' }],
    },
    {
      name: 'list-workflow-executions',
      args: { ...FLYTE, limit: { n: 5 }, filters: ['eq(phase,RUNNING)'], token: null },
      errors: [
        { path: 'limit', message: 'must be a string or a number' },
        { path: 'token', message: 'must be a string or a number' },
        { path: 'filters', message: 'must be a string or a number' },
      ],
    },
    {
      name: 'retrieve-execution-metrics',
      args: { ...EXECUTION, depth: [1], extra: 1, project: 3 },
      errors: [
        { path: 'extra', message: 'is not a known field' },
        { path: 'project', message: 'must be a string' },
        { path: 'depth', message: 'must be a string or a number' },
      ],
    },
  ])('$name with $args', ({ name, args, errors }) => {
    // Act
    const refused = refusal(name, args);

    // Assess
    expect(refused).toEqual(errors);
  });

  it('a refusal is a 400 validation-failed problem', () => {
    // Act
    const error = thrownBy(() => toToolInput(toolNamed('retrieve-workflow-execution'), { bogus: 1 }));

    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({
      status: 400,
      type: 'validation-failed',
      detail: 'bogus: is not a known field',
    });
  });

  describe('startrun: the zip inline or a staged zip, one of them', () => {
    const remote = 'microsoft-azure-start-run-remote';
    const start = (args: Record<string, unknown>) => ({ ...SCOPE, runDefinition, ...args });
    /** Base64 of `n` bytes starting with a zip signature. */
    const ZIP_OVER_CAP =
      `must decode to at most ${MAX_ZIP} bytes (MCP_MAX_INLINE_ZIP_BYTES, lowered to fit ` +
      'MAX_JSON_BODY_BYTES as base64); stage larger zips (POST /v1/uploads) and give stagedZipId';
    const zipOfSize = (n: number) => {
      const bytes = Buffer.alloc(n, 0x41);
      zip.copy(bytes, 0, 0, 4);
      return bytes;
    };
    const bodyOf = (args: Record<string, unknown>) => toToolInput(toolNamed(remote), start(args)).body;

    it.each<{ case: string; args: Record<string, unknown>; errors: FieldError[] }>([
      {
        case: 'neither',
        args: {},
        errors: [
          {
            path: 'projectZipFile',
            message: 'is required: base64 of the zip, or {"stagedZipId": "..."} naming a zip staged before',
          },
        ],
      },
      {
        case: 'both',
        args: { projectZipBase64: zip.toString('base64'), stagedZipId: STAGED_ID },
        errors: [
          { path: 'stagedZipId', message: 'must not be given with projectZipBase64 (give one of them)' },
        ],
      },
      {
        case: 'a zip that is not a string',
        args: { projectZipBase64: [...zip] },
        errors: [{ path: 'projectZipBase64', message: 'must be a base64 string' }],
      },
      {
        case: 'a zip with characters outside base64',
        args: { projectZipBase64: 'not base64!' },
        errors: [{ path: 'projectZipBase64', message: 'must be a base64 string' }],
      },
      {
        case: 'a zip in base64url',
        args: { projectZipBase64: 'UEsDBA-_' },
        errors: [{ path: 'projectZipBase64', message: 'must be a base64 string' }],
      },
      {
        case: 'a zip with padding in the middle',
        args: { projectZipBase64: 'UE==sDBA' },
        errors: [{ path: 'projectZipBase64', message: 'must be a base64 string' }],
      },
      {
        case: 'a zip whose length cannot be base64 (4n+1)',
        args: { projectZipBase64: 'UEsDB' },
        errors: [{ path: 'projectZipBase64', message: 'must be a base64 string' }],
      },
      {
        case: 'a zip one byte over the cap',
        args: { projectZipBase64: zipOfSize(MAX_ZIP + 1).toString('base64') },
        errors: [
          {
            path: 'projectZipBase64',
            message: ZIP_OVER_CAP,
          },
        ],
      },
      {
        case: 'a zip one byte over the cap, unpadded',
        args: {
          projectZipBase64: zipOfSize(MAX_ZIP + 1)
            .toString('base64')
            .replace(/=+$/, ''),
        },
        errors: [
          {
            path: 'projectZipBase64',
            message: ZIP_OVER_CAP,
          },
        ],
      },
      {
        case: 'an unknown argument beside a bad zip',
        args: { projectZip: 'x', projectZipBase64: 7 },
        errors: [
          { path: 'projectZip', message: 'is not a known field' },
          { path: 'projectZipBase64', message: 'must be a base64 string' },
        ],
      },
      {
        case: 'the zip and its alias with different values',
        args: { projectZipFile: zip.toString('base64'), projectZipBase64: 'UEsDBA==' },
        errors: [
          {
            path: 'projectZipFile',
            message:
              'conflicts with projectZipBase64 (its deprecated alias), which has another value: give one of them',
          },
        ],
      },
      {
        case: 'a staged zip object with another field',
        args: { projectZipFile: { stagedZipId: STAGED_ID, bytes: 'x' } },
        errors: [{ path: 'projectZipFile.bytes', message: 'is not a known field' }],
      },
    ])('$case: refused', ({ args, errors }) => {
      // Act
      const refused = refusal(remote, start(args));

      // Assess
      expect(refused).toEqual(errors);
    });

    it.each([
      ['padded', zipOfSize(MAX_ZIP).toString('base64')],
      ['unpadded', zipOfSize(MAX_ZIP).toString('base64').replace(/=+$/, '')],
      ['wrapped at 76 characters (MIME)', zipOfSize(MAX_ZIP).toString('base64').replace(/.{76}/g, '$&\r\n')],
    ])('a zip of exactly the cap, %s: decoded whole', (_case, text) => {
      // Act
      const body = bodyOf({ projectZipBase64: text }) as Extract<UploadBody, { from: 'bytes' }>;

      // Assess
      expect(body.from).toBe('bytes');
      expect(Buffer.from(body.zip)).toEqual(zipOfSize(MAX_ZIP));
    });

    it('an empty zip string decodes to no bytes (the reader then refuses it as not a zip)', () => {
      // Act
      const body = bodyOf({ projectZipBase64: '' }) as Extract<UploadBody, { from: 'bytes' }>;

      // Assess
      expect(body).toEqual({ from: 'bytes', definition: runDefinition, zip: Buffer.alloc(0) });
    });

    it('a staged zip id is passed on as given, for the reader to check', () => {
      // Act
      const body = bodyOf({ stagedZipId: 42 });

      // Assess
      expect(body).toEqual({ from: 'staged', definition: runDefinition, stagedZipId: 42 });
    });
  });
});

// --- argument depth -----------------------------------------------------------------------------

describe('toToolInput refuses arguments nested deeper than MAX_JSON_DEPTH', () => {
  const DEPTH = settings.MAX_JSON_DEPTH;
  /** A value of `levels` nested arrays and objects around a scalar (`levels` 0 is the scalar). */
  const nested = (levels: number): unknown => {
    let value: unknown = 'leaf';
    for (let i = 0; i < levels; i += 1) value = i % 2 === 0 ? [value] : { next: value };
    return value;
  };
  const create = toolNamed('create-workflow-execution');
  const tooDeep = (argument: string, limit = DEPTH) => ({
    status: 400,
    type: 'malformed-json',
    limit,
    detail: `The arguments object, at ${argument}, nests objects and arrays deeper than ${limit} levels (MAX_JSON_DEPTH).`,
  });

  it('arguments of exactly MAX_JSON_DEPTH levels (the arguments object is level 1) are bound', () => {
    // Act
    const raw = toToolInput(create, { ...FLYTE, spec: nested(DEPTH - 1) });

    // Assess
    expect(raw.body).toEqual({ ...FLYTE, spec: nested(DEPTH - 1) });
  });

  it.each([
    ['one level over', DEPTH],
    ['100,000 levels (measured without recursion)', 100_000],
  ])('%s: a 400 naming the argument and the limit, before any other check', (_case, levels) => {
    // Act
    const error = thrownBy(() => toToolInput(create, { ...FLYTE, bogus: 1, spec: nested(levels) }));

    // Assess
    expect(error).toBeInstanceOf(JsonTooDeepError);
    expect(error).toMatchObject(tooDeep('spec'));
  });

  it('a deep runDefinition is refused before the inline zip is decoded', () => {
    // Act
    const error = thrownBy(() =>
      toToolInput(toolNamed('microsoft-azure-start-run-remote'), {
        ...SCOPE,
        runDefinition: nested(DEPTH),
        projectZipBase64: 'not base64!',
      }),
    );

    // Assess
    expect(error).toMatchObject(tooDeep('runDefinition'));
  });

  it('the limit follows the settings', () => {
    // Prepare
    const tight = deriveTool(create.op, loadSettings({ MAX_JSON_DEPTH: '8' }));

    // Act
    const bound = toToolInput(tight, { ...FLYTE, spec: nested(7) });
    const error = thrownBy(() => toToolInput(tight, { ...FLYTE, spec: nested(8) }));

    // Assess
    expect(bound.body).toMatchObject({ spec: nested(7) });
    expect(error).toMatchObject(tooDeep('spec', 8));
  });
});

// --- errorResult ------------------------------------------------------------------------------------

describe('errorResult', () => {
  const structured = (result: ReturnType<typeof errorResult>) => {
    expect(result.isError).toBe(true);
    const [content] = result.content as { type: string; text: string }[];
    expect(content?.type).toBe('text');
    const parsed = JSON.parse(content?.text ?? '');
    expect(result.structuredContent).toEqual(parsed);
    return parsed;
  };

  it('renames REST field paths to the argument names, keeping the rest of the problem', () => {
    // Prepare
    const tool = toolNamed('list-workflow-executions');
    const error = new ValidationError([
      { path: 'params.id-project', message: 'is required (string)' },
      { path: 'query.sort_by.key', message: 'required when sort_by.direction is given' },
      { path: 'query.limit', message: 'must be at least 1' },
      { path: 'somewhere.else', message: 'stays' },
    ]);

    // Act
    const problem = structured(errorResult(error, 'req-7', tool));

    // Assess
    expect(problem).toMatchObject({
      type: '/problems/validation-failed',
      title: 'Request validation failed',
      status: 400,
      correlationId: 'req-7',
    });
    expect(problem.errors).toEqual([
      { path: 'id.project', message: 'is required (string)' },
      { path: 'sortByKey', message: 'required when sort_by.direction is given' },
      { path: 'limit', message: 'must be at least 1' },
      { path: 'somewhere.else', message: 'stays' },
    ]);
    // The detail names the first error by its argument too.
    expect(problem.detail).toMatch(/^id\.project: is required \(string\)/);
    expect(problem.detail).not.toContain('params.');
    expect(problem.retryAfter).toBeUndefined();
  });

  it('startrun: multipart and JSON field paths become runDefinitionFile, projectZipFile, projectZipFile.stagedZipId', () => {
    // Prepare
    const tool = toolNamed('microsoft-azure-start-run-remote');
    const error = new ValidationError([
      { path: 'body.runDefinitionFile.configuration.nodeCount', message: 'a' },
      { path: 'body.runDefinition', message: 'b' },
      { path: 'body.projectZipFile', message: 'c' },
      { path: 'body.stagedZipId', message: 'd' },
      { path: 'query.runId', message: 'e' },
    ]);

    // Act
    const problem = structured(errorResult(error, 'req-8', tool));

    // Assess
    expect(problem.errors.map((e: FieldError) => e.path)).toEqual([
      'runDefinitionFile.configuration.nodeCount',
      'runDefinitionFile',
      'projectZipFile',
      'projectZipFile.stagedZipId',
      'runId',
    ]);
  });

  it('carries Retry-After of a rate-limited upstream answer as retryAfter', () => {
    // Prepare
    const error = new UpstreamError('Flyte Admin', { status: 429, body: { message: 'slow down' } }, '30');

    // Act
    const problem = structured(errorResult(error, 'req-9', toolNamed('retrieve-workflow-execution')));

    // Assess
    expect(problem).toMatchObject({
      type: '/problems/upstream-rate-limited',
      status: 429,
      retryAfter: '30',
      upstream: { status: 429, body: { message: 'slow down' } },
      correlationId: 'req-9',
    });
    expect(problem.errors).toBeUndefined();
  });

  it('keeps the extensions of a failed start, and a retryAfter extension over the header', () => {
    // Prepare
    const error = new GatewayError(503, 'upstream-error', 'Upstream error', {
      headers: { 'Retry-After': '5' },
    });
    Object.assign(error.extensions, { stagedZipId: STAGED_ID, runId: 'run-1', retryAfter: 'from-extension' });

    // Act
    const problem = structured(errorResult(error, 'req-10', toolNamed('microsoft-azure-start-run-remote')));

    // Assess
    expect(problem).toMatchObject({
      status: 503,
      stagedZipId: STAGED_ID,
      runId: 'run-1',
      retryAfter: 'from-extension',
    });
  });

  it('an unexpected error is a bare 500 that quotes nothing of it', () => {
    // Prepare
    const error = new Error('secret connection string AccountKey=abc');

    // Act
    const result = errorResult(error, 'req-11', toolNamed('retrieve-workflow-execution'));
    const problem = structured(result);

    // Assess
    expect(problem).toEqual({
      type: '/problems/internal-error',
      title: 'Internal error',
      status: 500,
      detail: 'The gateway failed to handle the request. Quote the correlation id when reporting it.',
      correlationId: 'req-11',
    });
    expect(JSON.stringify(result)).not.toContain('AccountKey');
  });

  it('a refusal of toToolInput comes out with the argument names it already has', () => {
    // Prepare
    const tool = toolNamed('microsoft-azure-start-run-remote');
    const error = thrownBy(() => toToolInput(tool, { ...SCOPE, runDefinition }));

    // Act
    const problem = structured(errorResult(error, 'req-12', tool, { ...SCOPE, runDefinition }));

    // Assess
    expect(problem.errors).toEqual([
      {
        path: 'projectZipFile',
        message: 'is required: base64 of the zip, or {"stagedZipId": "..."} naming a zip staged before',
      },
    ]);
  });
});
