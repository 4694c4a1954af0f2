/**
 * The OpenAPI document is generated from the catalog: it is a valid OpenAPI 3.1 document,
 * it lists every catalog operation (path, method, operationId) and the gateway's own routes
 * and nothing else, and it agrees with the capability specs' REST surface.
 */
import { readFileSync } from 'node:fs';
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
