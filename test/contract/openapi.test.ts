/**
 * The OpenAPI document is generated from the catalog: it is a valid OpenAPI 3.1 document,
 * it lists every catalog operation (path, method, operationId) and the gateway's own routes
 * and nothing else, and it agrees with the capability specs' REST surface.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { routeTable } from '../../src/app.js';
import { batchRequestSchema } from '../../src/cancellations/schemas.js';
import { OUTCOMES } from '../../src/cancellations/store.js';
import { operations } from '../../src/catalog/index.js';
import { buildOpenApiDocument } from '../../src/openapi/document.js';
import { CANCELLATIONS_TAG } from '../../src/openapi/tags.js';
import { createServices } from '../../src/services.js';
import { toJsonSchema } from '../../src/shared/json-schema.js';
import { type Doc, operationsOf } from '../helpers/openapi-cases.js';
import { specPath } from '../helpers/shared-paths.js';
import { unitSettings } from '../helpers/unit-factories.js';

const settings = unitSettings();
const services = createServices(settings);
const routes = routeTable(operations, () => services);
const doc: Doc = buildOpenApiDocument(routes, settings, 'https://gw.example.net');
const GATEWAY_ROUTES = [
  'GET /v1/health health',
  'POST /v1/uploads uploadslot',
  'POST /v1/cancellations cancellations',
  'GET /v1/cancellations/{batchId} cancellationreport',
  'POST /mcp mcp',
  'GET /mcp mcpstream',
  'DELETE /mcp mcpendsession',
];

interface RestSpec {
  capability: {
    exposes: Array<{
      type: string;
      resources?: Array<{ path: string; operations: Array<{ method: string; name: string }> }>;
    }>;
  };
}

const contractRest = ['admin-executions.yaml', 'execution-service-execution.yaml'].flatMap((file) => {
  const spec = parse(readFileSync(specPath('capabilities', file), 'utf8')) as RestSpec;
  return spec.capability.exposes
    .filter((e) => e.type === 'rest')
    .flatMap((e) => e.resources ?? [])
    .flatMap((r) => r.operations.map((o) => `${o.method} ${r.path} ${o.name}`));
});

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    // Act
    const { Validator } = await import('@seriousme/openapi-schema-validator');
    const result = await new Validator().validate(doc);

    // Assess
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.servers).toStrictEqual([{ url: 'https://gw.example.net' }]);
  });

  it.each(operations.map((op) => ({ seed: op.operationId, op })))('documents $seed', ({ op }) => {
    // Act
    const documented = doc.paths[op.rest.path]?.[op.rest.method.toLowerCase()];

    // Assess
    expect(documented).toMatchObject({ operationId: op.operationId, summary: op.description });
    expect(documented.security).toStrictEqual([{ functionKey: [] }, { functionKeyQuery: [] }]);
    const pathNames = [...op.rest.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    const pathParams = documented.parameters.filter((p: Doc) => p.in === 'path');
    expect(pathParams.map((p: Doc) => p.name).sort()).toStrictEqual(pathNames.sort());
    expect(pathParams.every((p: Doc) => p.required === true)).toBe(true);
    for (const status of ['400', '429', '502', '503', '504']) {
      expect(documented.responses[status]).toBeDefined();
    }
  });

  it('lists the catalog and the gateway routes, nothing else', () => {
    // Act
    const listed = operationsOf(doc).map((o) => `${o.method} ${o.path} ${o.op.operationId}`);

    // Assess
    const expected = [
      ...operations.map((op) => `${op.rest.method} ${op.rest.path} ${op.operationId}`),
      ...GATEWAY_ROUTES,
    ];
    expect(listed.sort()).toStrictEqual(expected.sort());
  });

  it('matches the REST paths, methods and names of the capability specs', () => {
    // Act
    const catalogRest = operationsOf(doc)
      .filter((o) => !GATEWAY_ROUTES.includes(`${o.method} ${o.path} ${o.op.operationId}`))
      .map((o) => `${o.method} ${o.path} ${o.op.operationId}`);

    // Assess
    expect(catalogRest.sort()).toStrictEqual([...contractRest].sort());
  });

  it('describes startrun as multipart (definition and zip) or JSON naming a staged zip', () => {
    // Act
    const startrun = operationsOf(doc).find((o) => o.op.operationId === 'microsoftazurerunsstartrun')?.op;

    // Assess
    const multipart = startrun?.requestBody.content['multipart/form-data'];
    expect(multipart.schema.required).toStrictEqual(['runDefinitionFile', 'projectZipFile']);
    expect(multipart.schema.properties.projectZipFile.contentMediaType).toBe('application/zip');
    expect(startrun?.requestBody.content['application/json'].schema.required).toEqual(
      expect.arrayContaining(['runDefinition', 'stagedZipId']),
    );
    expect(startrun?.responses['415']).toBeDefined();
  });

  it('describes the batch cancellation POST from its zod schema, answering 202 with a Location', () => {
    // Act
    const post = doc.paths['/v1/cancellations']?.post;

    // Assess
    expect(post).toMatchObject({ operationId: 'cancellations', tags: [CANCELLATIONS_TAG] });
    expect(post.security).toStrictEqual([{ functionKey: [] }, { functionKeyQuery: [] }]);
    expect(post.requestBody.content['application/json'].schema).toStrictEqual(
      toJsonSchema(batchRequestSchema(settings)),
    );
    expect(post.responses['202'].headers.Location).toBeDefined();
    expect(post.responses['202'].content['application/json'].schema.required).toStrictEqual([
      'batchId',
      'total',
      'statusUrl',
    ]);
    expect(Object.keys(post.responses).sort()).toStrictEqual(
      ['202', '400', '403', '413', '415', '500', '503'].sort(),
    );
  });

  it('describes the batch report with its path and query parameters and every outcome', () => {
    // Act
    const get = doc.paths['/v1/cancellations/{batchId}']?.get;

    // Assess
    expect(get).toMatchObject({ operationId: 'cancellationreport', tags: [CANCELLATIONS_TAG] });
    expect(get.parameters.map((p: Doc) => `${p.in} ${p.name} ${p.required}`)).toStrictEqual([
      'path batchId true',
      'query outcome false',
      'query token false',
      'query limit false',
    ]);
    const report = get.responses['200'].content['application/json'].schema;
    expect(Object.keys(report.properties.counts.properties)).toStrictEqual([...OUTCOMES]);
    expect(report.properties.targets.items.oneOf.map((t: Doc) => t.properties.kind.const)).toStrictEqual([
      'flyte',
      'azureml',
    ]);
    expect(get.responses['404']).toBeDefined();
  });

  it('gives the cancellation routes problem answers with the shared Problem schema', () => {
    // Act
    const answers = ['post', 'get'].flatMap((method) => {
      const path = method === 'post' ? '/v1/cancellations' : '/v1/cancellations/{batchId}';
      return Object.entries(doc.paths[path][method].responses as Record<string, Doc>).filter(
        ([status]) => Number(status) >= 400,
      );
    });

    // Assess
    for (const [, answer] of answers) {
      const schema = answer.$ref
        ? doc.components.responses[answer.$ref.split('/').at(-1)].content['application/problem+json'].schema
        : answer.content['application/problem+json'].schema;
      expect(schema).toStrictEqual({ $ref: '#/components/schemas/Problem' });
    }
    expect(doc.components.schemas.Problem.properties).toHaveProperty('statusUrl');
  });

  it('gives every problem answer the shared Problem schema, and 429 a Retry-After header', () => {
    // Act
    const responses = doc.components.responses as Record<string, Doc>;

    // Assess
    for (const response of Object.values(responses)) {
      expect(response.content['application/problem+json'].schema).toStrictEqual({
        $ref: '#/components/schemas/Problem',
      });
    }
    expect(responses.Problem429?.headers['Retry-After']).toBeDefined();
    expect(doc.components.schemas.Problem.required).toEqual(
      expect.arrayContaining(['type', 'title', 'status', 'detail', 'correlationId']),
    );
  });

  it.each([
    ['createexecution', 'adminExecutionCreateResponse'],
    ['recoverexecution', 'adminExecutionCreateResponse'],
    ['relaunchexecution', 'adminExecutionCreateResponse'],
    ['listexecutions', 'adminExecutionList'],
    ['getexecution', 'adminExecution'],
    ['terminateexecution', 'adminExecutionTerminateResponse'],
    ['getexecutionmetrics', 'adminWorkflowExecutionGetMetricsResponse'],
    ['microsoftazurerunsstartrun', 'StartRunResult'],
    ['microsoftazurerunsstartsnapshotrun', 'StartRunResult'],
    ['microsoftazurerunscancelrunwithuri', 'StartRunResult'],
  ])("answers %s with the upstream's %s and everything it references", (operationId, definition) => {
    // Act
    const op = operationsOf(doc).find((o) => o.op.operationId === operationId)?.op;
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map(
      (m) => m[1],
    );

    // Assess
    expect(op?.responses['200'].content['application/json'].schema).toStrictEqual({
      $ref: `#/components/schemas/${definition}`,
    });
    for (const name of refs) expect(doc.components.schemas, name).toHaveProperty([name as string]);
    expect(JSON.stringify(doc)).not.toContain('#/definitions/');
  });

  it('takes only the reachable closure of the upstream definitions, as protojson writes them', () => {
    // Act
    const schemas: Doc = doc.components.schemas;
    const closure = schemas.adminExecutionClosure.properties;

    // Assess
    expect(Object.keys(schemas).length).toBeLessThan(100);
    expect(schemas).not.toHaveProperty('adminProject');
    expect(closure.error.anyOf).toStrictEqual([
      { $ref: '#/components/schemas/coreExecutionError' },
      { type: 'null' },
    ]);
    expect(closure.created_at).toMatchObject({ type: ['string', 'null'], format: 'date-time' });
    expect(closure.duration.type).toStrictEqual(['string', 'null']);
    expect(closure.phase).toMatchObject({ $ref: '#/components/schemas/coreWorkflowExecutionPhase' });
    expect(schemas.corePrimitive.properties.integer).toMatchObject({ type: 'string', format: 'int64' });
    expect(schemas.adminExecutionMetadata.properties.nesting).toMatchObject({
      type: 'integer',
      minimum: 0,
      maximum: 4294967295,
    });
    expect(schemas.StartRunResult).toMatchObject({
      required: ['runId'],
      properties: { runId: { type: 'string' } },
    });
  });

  it("makes nullable exactly the singular message fields of flyteidl's protos that protojson writes as null", () => {
    // Prepare: flyteidl's own protos (@flyteorg/flyteidl)
    const protos = join(__dirname, '../../node_modules/@flyteorg/flyteidl/protos');
    const root = new protobuf.Root();
    root.resolvePath = (_origin, target) => (target.startsWith('google/') ? target : join(protos, target));
    root.loadSync(['flyteidl/admin/execution.proto'], { keepCase: true });
    root.resolveAll();
    const schemas = doc.components.schemas as Record<string, Doc>;

    // Act: each documented message's fields against its proto
    const wrong: string[] = [];
    let checked = 0;
    for (const [name, schema] of Object.entries(schemas)) {
      const match = /^(admin|core)([A-Z]\w*)$/.exec(name);
      const type = match ? root.lookup(`flyteidl.${match[1]}.${match[2]}`) : null;
      if (!(type instanceof protobuf.Type) || !schema.properties) continue;
      for (const field of type.fieldsArray) {
        const documented = schema.properties[field.name];
        if (!documented) continue;
        checked++;
        const message = field.resolvedType instanceof protobuf.Type && !field.repeated && !field.map;
        const nullable =
          (documented.anyOf ?? []).some((s: Doc) => s.type === 'null') ||
          (Array.isArray(documented.type) && documented.type.includes('null'));
        if (message && !field.partOf && !nullable)
          wrong.push(`${name}.${field.name} is a message but not nullable`);
        if (!message && nullable) wrong.push(`${name}.${field.name} is nullable but not a message`);
      }
    }

    // Assess
    expect(checked).toBeGreaterThan(100);
    expect(wrong).toStrictEqual([]);
  });

  it('carries the limits the gateway enforces on parameters and bodies', () => {
    // Act
    const list = doc.paths['/v1/api/v1/executions/{id-project}/{id-domain}'].get;
    const metrics = doc.paths['/v1/api/v1/metrics/executions/{id-project}/{id-domain}/{id-name}'].get;
    const param = (op: Doc, name: string) => op.parameters.find((p: Doc) => p.name === name);
    const create = doc.paths['/v1/api/v1/executions'].post;

    // Assess
    expect(param(list, 'limit').schema).toMatchObject({
      type: 'integer',
      minimum: 1,
      maximum: settings.FLYTE_MAX_LIST_LIMIT,
      default: 100,
    });
    expect(param(metrics, 'depth').schema).toMatchObject({ type: 'integer', minimum: 0, maximum: 10 });
    expect(param(list, 'sort_by.direction').description).toMatch(/needs sort_by.key/);
    const filters = new RegExp(param(list, 'filters').schema.pattern, 'u');
    expect(filters.test('eq(phase,RUNNING)+value_in(mode,0;3)')).toBe(true);
    expect(filters.test('eq(phase,RUNNING) eq(name,x)')).toBe(true);
    expect(filters.test('drop(phase,RUNNING)')).toBe(false);
    expect(filters.test('eq(phase,RUN\u0000NING)')).toBe(false);
    expect(param(list, 'id-project').schema.pattern).toBe('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$');
    expect(create.requestBody.description).toContain(`${settings.MAX_JSON_BODY_BYTES} bytes`);
  });

  it('documents /mcp: stateless, JSON answers, 406 without text/event-stream in Accept, 405 on GET and DELETE', () => {
    // Act
    const mcp = doc.paths['/mcp'];

    // Assess
    expect(mcp.post.description).toMatch(/application\/json and text\/event-stream/);
    expect(mcp.post.description).toMatch(/Stateless/);
    expect(mcp.post.responses['406'].content['application/json'].schema).toStrictEqual({
      $ref: '#/components/schemas/JsonRpcError',
    });
    expect(mcp.post.responses['413']).toStrictEqual({ $ref: '#/components/responses/Problem413' });
    expect(mcp.get.responses['405'].headers.Allow).toBeDefined();
    expect(mcp.delete.responses['405']).toBeDefined();
  });

  it('builds the static part once per settings', () => {
    // Act
    const again = buildOpenApiDocument(routes, settings, 'http://127.0.0.1:7071');

    // Assess
    expect(again.paths).toBe(doc.paths);
    expect(again.servers).toStrictEqual([{ url: 'http://127.0.0.1:7071' }]);
  });
});

describe('the document under AUTH_MODE=entra', () => {
  const entra = unitSettings({
    AUTH_MODE: 'entra',
    ENTRA_TENANT_ID: '11111111-2222-3333-4444-555555555555',
    ENTRA_AUDIENCES: 'api://execution-gateway',
  });
  const entraServices = createServices(entra);
  const entraDoc = buildOpenApiDocument(
    routeTable(operations, () => entraServices),
    entra,
    'https://gw.example.net',
  );

  it('is a valid OpenAPI 3.1 document with an OpenID Connect scheme for the tenant', async () => {
    // Act
    const { Validator } = await import('@seriousme/openapi-schema-validator');
    const result = await new Validator().validate(entraDoc);

    // Assess
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect((entraDoc.components as Doc['components']).securitySchemes.entraId).toMatchObject({
      type: 'openIdConnect',
      openIdConnectUrl:
        'https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555/v2.0/.well-known/openid-configuration',
    });
  });

  it.each(operations.map((op) => [op.operationId, op] as const))(
    '%s requires a key and a token with its role',
    (_id, op) => {
      // Act
      const security = (entraDoc.paths as Record<string, Record<string, { security: unknown }>>)[
        op.rest.path
      ]?.[op.rest.method.toLowerCase()]?.security;

      // Assess
      expect(security).toEqual([
        { functionKey: [], entraId: [op.role] },
        { functionKeyQuery: [], entraId: [op.role] },
      ]);
    },
  );

  it('the batch and upload routes carry their own roles too', () => {
    // Act
    const paths = entraDoc.paths as Record<string, Record<string, { security: unknown }>>;

    // Assess
    const roleOf = (path: string, method: string) =>
      ((paths[path]?.[method]?.security ?? []) as { entraId: string[] }[]).map((s) => s.entraId);
    expect(roleOf('/v1/cancellations', 'post')).toEqual([['Executions.Cancel'], ['Executions.Cancel']]);
    expect(roleOf('/v1/cancellations/{batchId}', 'get')).toEqual([['Executions.Read'], ['Executions.Read']]);
    expect(roleOf('/v1/uploads', 'post')).toEqual([['Executions.Run'], ['Executions.Run']]);
  });
});

describe('the document with function keys off (FUNCTION_KEYS=off, AUTH_MODE=entra)', () => {
  const keyless = unitSettings({
    AUTH_MODE: 'entra',
    FUNCTION_KEYS: 'off',
    ENTRA_TENANT_ID: '11111111-2222-3333-4444-555555555555',
    ENTRA_AUDIENCES: 'api://execution-gateway',
  });
  const services = createServices(keyless);
  const doc = buildOpenApiDocument(
    routeTable(operations, () => services),
    keyless,
    'https://gw.example.net',
  );

  it('names no key anywhere: every keyed route needs a token with its role, and only that', async () => {
    // Act
    const { Validator } = await import('@seriousme/openapi-schema-validator');
    const result = await new Validator().validate(doc);
    const text = JSON.stringify(doc);

    // Assess
    expect(result.errors ?? []).toEqual([]);
    expect(Object.keys((doc.components as Doc['components']).securitySchemes)).toEqual(['entraId']);
    expect(text).not.toMatch(/functionKey|x-functions-key/);
    expect(doc.security).toEqual([{ entraId: [] }]);
    const paths = doc.paths as Record<string, Record<string, { security?: unknown }>>;
    for (const op of operations) {
      expect(paths[op.rest.path]?.[op.rest.method.toLowerCase()]?.security).toEqual([{ entraId: [op.role] }]);
    }
    expect(paths['/v1/cancellations']?.post?.security).toEqual([{ entraId: ['Executions.Cancel'] }]);
  });
});
