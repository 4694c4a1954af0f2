/**
 * @module
 * Request bodies and success answers of catalog operations. JSON bodies come from the body
 * schema; the one streamed body (startrun) is `multipart/form-data` with a JSON
 * `runDefinitionFile` and a zip `projectZipFile`, or JSON `{ runDefinition, stagedZipId }`
 * naming a zip staged earlier.
 */

import { runDefinitionSchema, stagedStartRunSchema } from '../azureml/schemas.js';
import { startLocalRun, startRun } from '../catalog/azureml.js';
import { type Operation, resolveSchema, STREAMED_BODY } from '../catalog/operation.js';
import { inlineZipLimit, type Settings } from '../config.js';
import { acceptsNothing, type JsonSchema, toJsonSchema } from './json-schema.js';

/** Streamed bodies by operation name; an operation that streams its body must be described here. */
const STREAMED: Record<string, (settings: Settings) => JsonSchema> = {
  [startRun.seed]: (settings) => ({
    required: true,
    description:
      'The run definition and the project zip as multipart parts, or (for a zip staged by an upload ' +
      `slot or a failed start) JSON naming the staged zip. A zip sent inline may take ${inlineZipLimit(settings)} ` +
      'bytes (413 above it); the whole request at most ' +
      `${settings.FUNCTIONS_REQUEST_BODY_SIZE_LIMIT} bytes, the Functions host's limit, over which the host ` +
      'itself answers 500 before the gateway runs. Send larger zips (up to ' +
      `${settings.MAX_PROJECT_ZIP_BYTES} bytes) through an upload slot: POST /v1/uploads, PUT the zip to ` +
      'its uploadUrl, then this operation with {"runDefinition", "stagedZipId"}.',
    content: {
      'multipart/form-data': {
        schema: {
          type: 'object',
          required: ['runDefinitionFile', 'projectZipFile'],
          properties: {
            runDefinitionFile: { ...toJsonSchema(runDefinitionSchema), description: 'RunDefinition (JSON)' },
            projectZipFile: {
              type: 'string',
              format: 'binary',
              contentMediaType: 'application/zip',
              description: 'The project folder as a zip',
            },
          },
        },
        encoding: {
          runDefinitionFile: { contentType: 'application/json' },
          projectZipFile: { contentType: 'application/zip, application/octet-stream' },
        },
      },
      'application/json': { schema: toJsonSchema(stagedStartRunSchema) },
    },
  }),
};

/**
 * The OpenAPI request body of an operation, or `undefined` when it takes none.
 * @example
 * requestBodyOf(createExecution, settings)?.content['application/json'].schema
 */
export function requestBodyOf(op: Operation, settings: Settings): JsonSchema | undefined {
  const body = op.input.body;
  if (body === undefined) return undefined;
  if (body === STREAMED_BODY) {
    const describe = STREAMED[op.seed];
    if (!describe) throw new Error(`No OpenAPI description for the streamed body of ${op.seed}`);
    return describe(settings);
  }
  const schema = resolveSchema(body, settings);
  return {
    required: !acceptsNothing(schema),
    content: { 'application/json': { schema: toJsonSchema(schema) } },
  };
}

const json = (description: string, schema: JsonSchema) => ({
  description,
  content: { 'application/json': { schema } },
});

/**
 * The success answer of an operation: Flyte's object unchanged, `{runId}` for Azure ML starts,
 * the upstream's stream for startlocalrun.
 * @example
 * successOf(getExecution) // { '200': { description: ..., content: { 'application/json': ... } } }
 */
export function successOf(op: Operation, settings: Settings): Record<string, JsonSchema> {
  if (op.capability === 'flyte') {
    return { '200': json('The Flyte Admin answer, unchanged', { type: 'object' }) };
  }
  if (op.seed === startLocalRun.seed) {
    return {
      '200': {
        description: 'The Execution Service answer, streamed unchanged',
        content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
      },
    };
  }
  const query = toJsonSchema(resolveSchema(op.input.query, settings));
  if ((query.properties as Record<string, unknown> | undefined)?.runId) {
    return {
      '200': json('The run was started', {
        type: 'object',
        required: ['runId'],
        properties: { runId: { type: 'string' } },
      }),
    };
  }
  return { '200': json('The Execution Service answer, unchanged', { type: 'object' }) };
}
