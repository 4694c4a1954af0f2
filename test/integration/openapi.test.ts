/**
 * `GET /v1/openapi.json` over real HTTP on both surfaces: the document names the address the
 * caller used, and its request body schemas agree with the gateway: a body the schema
 * accepts is not refused as invalid over REST, and a body it rejects is (400
 * validation-failed).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operations } from '../../src/catalog/index.js';
import { call, type Gateway, SURFACES, startGateway } from '../helpers/gateway.js';
import { bodyCases, bodyValidator, type Doc } from '../helpers/openapi-cases.js';

const VALIDATION_FAILED = '/problems/validation-failed';

describe.each(SURFACES)('the OpenAPI document on %s', (surface) => {
  let gw: Gateway;
  let doc: Doc;

  beforeAll(async () => {
    gw = await startGateway({ surface, azureml: true });
    doc = (await call(gw, 'GET', '/v1/openapi.json')).json();
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('is served anonymously as JSON, with the gateway as its server', async () => {
    // Act
    const res = await call(gw, 'GET', '/v1/openapi.json');

    // Assess
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.json().openapi).toBe('3.1.0');
    expect(res.json().servers).toStrictEqual([{ url: gw.url }]);
    const ids = Object.values(res.json().paths as Record<string, Doc>).flatMap((item) =>
      Object.values(item).map((op) => op.operationId),
    );
    expect(ids).toEqual(expect.arrayContaining(operations.map((op) => op.operationId)));
  });

  it('names the forwarded address behind a proxy', async () => {
    // Act
    const res = await call(gw, 'GET', '/v1/openapi.json', undefined, {
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'gw.example.net',
    });

    // Assess
    expect(res.json().servers).toStrictEqual([{ url: 'https://gw.example.net' }]);
  });

  describe.each(bodyCases(surface))('$operationId ($method)', (c) => {
    it('accepts the valid body in the schema and over REST', async () => {
      // Prepare
      const accepts = bodyValidator(doc, c.operationId);
      const body = await c.valid(gw);

      // Act
      const res = await call(gw, c.method, c.path, body);

      // Assess
      expect(accepts(body)).toBe(true);
      const refused = res.status === 400 && res.json().type === VALIDATION_FAILED;
      expect(refused, `${res.status} ${res.text}`).toBe(false);
    });

    it('rejects the invalid body in the schema and over REST', async () => {
      // Prepare
      const accepts = bodyValidator(doc, c.operationId);

      // Act
      const res = await call(gw, c.method, c.path, c.invalid);

      // Assess
      expect(accepts(c.invalid)).toBe(false);
      expect(res.status, res.text).toBe(400);
      expect(res.json().type).toBe(VALIDATION_FAILED);
    });
  });
});
