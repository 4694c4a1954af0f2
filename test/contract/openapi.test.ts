/**
 * The OpenAPI document is generated from the catalog: it is a valid OpenAPI 3.1 document,
 * it lists every catalog operation (path, method, operationId) and the gateway's own routes
 * and nothing else, and it agrees with the capability specs' REST surface.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { operations } from '../../src/catalog/index.js';
import { buildOpenApiDocument } from '../../src/openapi/document.js';
import { type Doc, operationsOf } from '../helpers/openapi-cases.js';
import { specPath } from '../helpers/shared-paths.js';
import { unitSettings } from '../helpers/unit-factories.js';

const settings = unitSettings();
const doc: Doc = buildOpenApiDocument(operations, settings, 'https://gw.example.net');
const GATEWAY_ROUTES = ['GET /v1/health health', 'POST /v1/uploads uploadslot', 'POST /mcp mcp'];

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

  it.each(operations.map((op) => ({ seed: op.seed, op })))('documents $seed', ({ op }) => {
    // Act
    const documented = doc.paths[op.rest.path]?.[op.rest.method.toLowerCase()];

    // Assess
    expect(documented).toMatchObject({ operationId: op.seed, summary: op.description });
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
      ...operations.map((op) => `${op.rest.method} ${op.rest.path} ${op.seed}`),
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
    const again = buildOpenApiDocument(operations, settings, 'http://127.0.0.1:7071');

    // Assess
    expect(again.paths).toBe(doc.paths);
    expect(again.servers).toStrictEqual([{ url: 'http://127.0.0.1:7071' }]);
  });
});
