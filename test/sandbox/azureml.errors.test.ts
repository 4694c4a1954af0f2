import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AzureMlEmulator, startAzureMlEmulator } from '../../sandbox/azureml/index.js';
import { specPath } from '../helpers/shared-paths.js';
import { call, experimentPath, SNAPSHOT } from './helpers/azureml-client.js';

interface Schema {
  $ref?: string;
  type?: string;
  format?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: Schema;
}
const swagger = JSON.parse(readFileSync(specPath('azureml-execution', 'execution.json'), 'utf8')) as {
  definitions: Record<string, Schema>;
};

function resolve(schema: Schema): Schema {
  if (!schema.$ref) return schema;
  const name = schema.$ref.replace('#/definitions/', '');
  const target = swagger.definitions[name];
  if (!target) throw new Error(`unresolved $ref ${schema.$ref}`);
  return target;
}

/**
 * Checks `value` against a swagger schema, following `$ref`s: every declared property is present (the
 * emulator prints nulls rather than omitting), and present values have the declared JSON type. Returns the
 * paths it checked, so the test can show the walk reached the nested definitions.
 */
function conform(schema: Schema, value: unknown, path: string, visited: string[]): void {
  const resolved = resolve(schema);
  visited.push(path);
  if (value === null) return;
  if (resolved.type === 'string') {
    expect(typeof value, path).toBe('string');
    if (resolved.format === 'date-time') expect(Number.isNaN(Date.parse(value as string)), path).toBe(false);
  }
  if (resolved.type === 'array') {
    expect(Array.isArray(value), path).toBe(true);
    for (const [i, item] of (value as unknown[]).entries())
      conform(resolved.items ?? {}, item, `${path}[${i}]`, visited);
  }
  if (resolved.type === 'object') {
    expect(typeof value, path).toBe('object');
    const object = value as Record<string, unknown>;
    for (const [name, property] of Object.entries(resolved.properties ?? {})) {
      expect(object, `${path}.${name}`).toHaveProperty(name);
      conform(property, object[name], `${path}.${name}`, visited);
    }
    if (resolved.additionalProperties)
      for (const [name, item] of Object.entries(object))
        conform(resolved.additionalProperties, item, `${path}.${name}`, visited);
  }
}

let aml: AzureMlEmulator;
beforeAll(async () => {
  aml = await startAzureMlEmulator({ region: 'westeurope', now: () => Date.UTC(2024, 4, 1, 10, 0, 0, 123) });
});
afterAll(() => aml.close());

describe('error bodies', () => {
  it('conform to the swagger ErrorResponse, walked through $ref, plus the §5 extras', async () => {
    // Act
    const res = await call(aml.url, 'POST', `${experimentPath()}/runId/exp-a_1_x/cancel`);
    // Assess
    expect(res.status).toBe(404);
    const visited: string[] = [];
    conform({ $ref: '#/definitions/ErrorResponse' }, res.json, 'body', visited);
    expect(visited).toEqual(
      expect.arrayContaining([
        'body.error.code',
        'body.error.innerError.code',
        'body.error.innerError.innerError',
        'body.correlation.operation',
      ]),
    );
    const declared = (name: string) => Object.keys(swagger.definitions[name]?.properties ?? {});
    expect(Object.keys(res.json).sort()).toEqual([...declared('ErrorResponse'), 'componentName'].sort());
    expect(Object.keys(res.json.error).sort()).toEqual(
      [
        ...declared('RootError'),
        'severity',
        'messageFormat',
        'messageParameters',
        'referenceCode',
        'detailsUri',
        'debugInfo',
        'additionalInfo',
      ].sort(),
    );
    expect(res.json).toEqual({
      error: {
        code: 'UserError',
        severity: null,
        message: 'Run exp-a_1_x was not found in experiment exp-a.',
        messageFormat: null,
        messageParameters: null,
        referenceCode: null,
        detailsUri: null,
        target: 'runId',
        details: [],
        innerError: { code: 'NotFoundError', innerError: null },
        debugInfo: null,
        additionalInfo: null,
      },
      correlation: {
        operation: expect.stringMatching(/^[0-9a-f]{32}$/),
        request: expect.stringMatching(/^[0-9a-f]{16}$/),
      },
      environment: 'westeurope',
      location: 'westeurope',
      time: '2024-05-01T10:00:00.1230000+00:00',
      componentName: 'execution',
    });
  });

  it('carry x-ms-response-type: error, a fresh x-ms-request-id and the echoed client request id', async () => {
    const headers = { 'x-ms-client-request-id': '6f1c0d6e-2b7a-4a57-9d0e-3c1b1b2f0a11' };
    const first = await call(aml.url, 'POST', `${experimentPath()}/snapshotrun`, { json: {}, headers });
    const second = await call(aml.url, 'POST', `${experimentPath()}/snapshotrun`, { json: {} });
    expect(first.status).toBe(400);
    expect(first.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(first.headers.get('x-ms-response-type')).toBe('error');
    expect(first.headers.get('x-ms-client-request-id')).toBe('6f1c0d6e-2b7a-4a57-9d0e-3c1b1b2f0a11');
    expect(first.headers.get('x-ms-request-id')).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(second.headers.get('x-ms-request-id')).not.toBe(first.headers.get('x-ms-request-id'));
    expect(second.headers.get('x-ms-client-request-id')).toBeNull();
    expect(first.json.correlation.operation).not.toBe(second.json.correlation.operation);
  });

  it('are not sent for successes: those carry x-ms-request-id but no x-ms-response-type', async () => {
    const res = await call(aml.url, 'POST', `${experimentPath()}/snapshotrun?runId=ok_1`, {
      json: { snapshotId: SNAPSHOT },
      headers: { 'x-ms-client-request-id': 'abc' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-ms-response-type')).toBeNull();
    expect(res.headers.get('x-ms-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get('x-ms-client-request-id')).toBe('abc');
  });
});

describe('routing', () => {
  const base = experimentPath();
  it.each([
    ['a lower-cased resourceGroups segment', `${base.replace('resourceGroups', 'resourcegroups')}/startrun`],
    ['a differently cased operation', `${base}/StartRun`],
    ['a trailing slash', `${base}/startrun/`],
    ['a missing experiment', `${base.replace('/experiments/exp-a', '/experiments')}/startrun`],
    ['an unknown operation', `${base}/submit`],
    ['another API version', `${base.replace('v1.0', 'v2.0')}/startrun`],
  ])('answers 404 UserError/NotFoundError for %s', async (_case, path) => {
    const res = await call(aml.url, 'POST', path, { json: { snapshotId: SNAPSHOT } });
    expect(res.status).toBe(404);
    expect(res.json.error).toMatchObject({ code: 'UserError', innerError: { code: 'NotFoundError' } });
    expect(res.json.error.message).toBe(`No API matches POST ${path}.`);
  });

  it('ignores api-version and decodes percent-encoded names', async () => {
    const path = `${experimentPath({ rg: 'rg%28prod%29' })}/snapshotrun?api-version=2019-11-01&runId=enc_1`;
    const res = await call(aml.url, 'POST', path, { json: { snapshotId: SNAPSHOT } });
    expect(res.status).toBe(200);
    expect(aml.runs.getRun('ws-ml', 'exp-a', 'enc_1')?.resourceGroupName).toBe('rg(prod)');
  });

  it('answers 400 for an experiment name the service would reject', async () => {
    const res = await call(aml.url, 'POST', `${experimentPath({ exp: 'bad.name' })}/snapshotrun`, {
      json: { snapshotId: SNAPSHOT },
    });
    expect(res.status).toBe(400);
    expect(res.json.error.target).toBe('experimentName');
  });
});
