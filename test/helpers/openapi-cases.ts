/**
 * Helpers for the OpenAPI suites: the operation object of an `operationId`, its request body
 * schema compiled with Ajv (draft 2020-12, the dialect of OpenAPI 3.1 and of zod's output),
 * and one valid and one invalid request per JSON-body operation and for the batch cancellation
 * POST, sent the same way over REST.
 * @example
 * const accepts = bodyValidator(doc, 'createexecution');
 * expect(accepts(createBody('x'))).toBe(true);
 */
import { BlockBlobClient } from '@azure/storage-blob';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { experimentPath, projectZip } from './azureml-requests.js';
import { azuremlTarget, flyteTarget } from './cancellations.js';
import { createBody, EXECUTIONS } from './flyte-requests.js';
import { call, type Gateway } from './gateway.js';

// biome-ignore lint/suspicious/noExplicitAny: the document is walked by tests, shapes are asserted
export type Doc = Record<string, any>;

/** Every operation of the document as `{ path, method, op }`. */
export function operationsOf(doc: Doc): { path: string; method: string; op: Doc }[] {
  return Object.entries(doc.paths as Record<string, Doc>).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => ({ path, method: method.toUpperCase(), op: op as Doc })),
  );
}

/** A validator for the request body of `operationId` in `mediaType`. */
export function bodyValidator(doc: Doc, operationId: string, mediaType = 'application/json') {
  const found = operationsOf(doc).find((o) => o.op.operationId === operationId);
  const schema = found?.op.requestBody?.content?.[mediaType]?.schema;
  if (!schema) throw new Error(`${operationId} has no ${mediaType} request body`);
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  const validate = ajv.compile(schema);
  return (body: unknown) => validate(body) === true;
}

export interface BodyCase {
  operationId: string;
  method: string;
  path: string;
  /** A body both the schema and the gateway accept (may stage a zip first). */
  valid: (gw: Gateway) => Promise<unknown>;
  /** A body both the schema and the gateway refuse. */
  invalid: unknown;
}

const missing = { project: 'flytesnacks', domain: 'development', name: 'oa-missing' };
const snapshotId = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';

/** Stages `examples/project.zip` through an upload slot; returns its `stagedZipId`. */
async function stagedZip(gw: Gateway): Promise<string> {
  const slot = (await call(gw, 'POST', '/v1/uploads')).json() as { uploadId: string; uploadUrl: string };
  await new BlockBlobClient(slot.uploadUrl).uploadData(projectZip());
  return slot.uploadId;
}

/** One valid and one invalid body per JSON-body operation; `tag` keeps names unique per run. */
export function bodyCases(tag: string): BodyCase[] {
  return [
    {
      operationId: 'createexecution',
      method: 'POST',
      path: EXECUTIONS,
      valid: async () => createBody(`oa-${tag}`),
      invalid: { ...createBody(`oa-${tag}-x`), extra: true },
    },
    {
      operationId: 'recoverexecution',
      method: 'POST',
      path: `${EXECUTIONS}/recover`,
      valid: async () => ({ id: missing }),
      invalid: { id: { project: 'flytesnacks', domain: 'development' } },
    },
    {
      operationId: 'relaunchexecution',
      method: 'POST',
      path: `${EXECUTIONS}/relaunch`,
      valid: async () => ({ id: missing, overwrite_cache: true }),
      invalid: { id: missing, overwrite_cache: 'yes' },
    },
    {
      operationId: 'terminateexecution',
      method: 'DELETE',
      path: `${EXECUTIONS}/flytesnacks/development/oa-missing`,
      valid: async () => ({ cause: 'no longer needed' }),
      invalid: { cause: 5 },
    },
    {
      operationId: 'microsoftazurerunsstartsnapshotrun',
      method: 'POST',
      path: `${experimentPath()}/snapshotrun`,
      valid: async () => ({ snapshotId, configuration: { script: 'train.py' } }),
      invalid: { snapshotId: 'not-a-uuid' },
    },
    {
      operationId: 'microsoftazurerunsstartlocalrun',
      method: 'POST',
      path: `${experimentPath()}/startlocalrun`,
      valid: async () => ({ configuration: { script: 'train.py', target: 'local' } }),
      invalid: { configuration: { nodeCount: 0 } },
    },
    {
      operationId: 'microsoftazurerunsstartrun',
      method: 'POST',
      path: `${experimentPath()}/startrun`,
      valid: async (gw) => ({
        runDefinition: { configuration: { script: 'train.py' } },
        stagedZipId: await stagedZip(gw),
      }),
      invalid: { runDefinition: { configuration: { script: 'train.py' } }, stagedZipId: '../etc' },
    },
    {
      operationId: 'cancellations',
      method: 'POST',
      path: '/v1/cancellations',
      valid: async () => ({
        cause: 'openapi agreement',
        targets: [flyteTarget(`oa-${tag}`), azuremlTarget(`oa-${tag}`)],
      }),
      invalid: { targets: [flyteTarget(`oa-${tag}`), { kind: 'slurm', jobId: '42' }] },
    },
  ];
}
