/**
 * @module
 * The OpenAPI fragments of the batch cancellation routes (their security comes from each route's role):
 * `POST /v1/cancellations` and its report `GET /v1/cancellations/{batchId}`. The request body, the path parameter and the
 * report's query come from the zod schemas the handlers validate with; the report's targets
 * are the request's target kinds plus what was recorded for each.
 */
import { z } from 'zod';
import { batchIdSchema } from '../cancellations/messages.js';
import { batchRequestSchema, reportQuerySchema } from '../cancellations/schemas.js';
import { OUTCOMES } from '../cancellations/store.js';
import { targetSchema } from '../cancellations/targets.js';
import type { Settings } from '../config.js';
import { problemRefs } from '../openapi/problems.js';
import { CANCELLATIONS_TAG } from '../openapi/tags.js';
import { type JsonSchema, type ParameterObject, parametersOf, toJsonSchema } from '../shared/json-schema.js';

const PROBLEM = { $ref: '#/components/schemas/Problem' };

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: PROBLEM } },
});

/** What the query parameters cannot say in JSON Schema (a string turned into a number). */
const QUERY_NOTES: Record<string, string> = {
  outcome: 'Only targets with this outcome',
  token: 'The `nextToken` of an earlier page',
  limit: 'Targets per page, 1 to 1000 (default 100)',
};

function queryParameters(): ParameterObject[] {
  return parametersOf(reportQuerySchema, 'query').map((p) => ({
    ...p,
    description: p.description ?? QUERY_NOTES[p.name],
    ...(p.name === 'limit' ? { schema: { ...p.schema, examples: ['100'] } } : {}),
  }));
}

const OUTCOME = {
  type: 'string',
  enum: [...OUTCOMES],
  description:
    'pending: not cancelled yet; cancelled; alreadyFinished: the run had ended; notFound: no such ' +
    'run; failed: the upstream refused or kept failing (see detail)',
};

/** A reported target: one of the request's target shapes plus its recorded outcome. */
function reportTargetSchema(): JsonSchema {
  const variants = (toJsonSchema(targetSchema).oneOf ?? []) as JsonSchema[];
  return {
    oneOf: variants.map((variant) => ({
      ...variant,
      properties: {
        index: { type: 'integer', minimum: 0, description: 'Position of the target in the batch' },
        ...(variant.properties as JsonSchema),
        outcome: OUTCOME,
        attempts: { type: 'integer', minimum: 0, description: 'Upstream calls made for it so far' },
        status: { type: 'integer', description: 'Status of the last upstream answer' },
        detail: { type: 'string', description: 'Why it failed, or what the upstream said last' },
        duplicateOf: {
          type: 'integer',
          minimum: 0,
          description:
            'Index of the same target earlier in the batch: cancelled once, with that one, whose outcome, attempts and detail this one reports',
        },
      },
      required: ['index', ...((variant.required ?? []) as string[]), 'outcome', 'attempts'],
    })),
  };
}

const count = { type: 'integer', minimum: 0 };

function reportSchema(): JsonSchema {
  return {
    type: 'object',
    required: ['batchId', 'total', 'done', 'createdAt', 'counts', 'targets'],
    properties: {
      batchId: { type: 'string' },
      total: { type: 'integer', minimum: 0, description: 'Targets in the batch' },
      done: { type: 'boolean', description: 'True once no target is pending' },
      cause: { type: 'string' },
      createdAt: { type: 'string', format: 'date-time' },
      counts: {
        type: 'object',
        description: 'Targets per outcome, over the whole batch',
        required: [...OUTCOMES],
        properties: Object.fromEntries(OUTCOMES.map((o) => [o, count])),
      },
      targets: { type: 'array', description: 'One page of targets, by index', items: reportTargetSchema() },
      rejectedMessages: {
        type: 'array',
        description: 'Queue messages of this batch that were rejected as a whole',
        items: {
          type: 'object',
          required: ['messageId', 'reason', 'at'],
          properties: {
            messageId: { type: 'string' },
            reason: { type: 'string' },
            at: { type: 'string', format: 'date-time' },
          },
        },
      },
      nextToken: { type: 'string', description: 'Pass as `token` for the next page; absent on the last' },
    },
  };
}

/** `POST /v1/cancellations`. */
export function submitBatchOpenApi(settings: Settings): Record<string, JsonSchema> {
  const refs = problemRefs({ body: true, upstream: false });
  return {
    post: {
      operationId: 'cancellations',
      tags: [CANCELLATIONS_TAG],
      summary: 'Cancel a batch of Flyte executions and Azure ML runs',
      description:
        `Validates every target (at most ${settings.MAX_BATCH_TARGETS}) with the schemas and allow-lists ` +
        'of its single-run cancel operation (terminateexecution, microsoftazurerunscancelrunwithuri): ' +
        'one bad target refuses the whole batch and nothing is queued. Accepted targets are recorded as ' +
        'pending and cancelled in the background; follow `statusUrl` (also the `Location` header) for ' +
        'the report.',
      requestBody: {
        required: true,
        content: { 'application/json': { schema: toJsonSchema(batchRequestSchema(settings)) } },
      },
      responses: {
        '202': {
          description: 'The batch was recorded and queued',
          headers: {
            Location: {
              description: 'The report URL (same as statusUrl)',
              schema: { type: 'string', format: 'uri' },
            },
          },
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['batchId', 'total', 'statusUrl'],
                properties: {
                  batchId: { type: 'string' },
                  total: { type: 'integer', minimum: 1, description: 'Targets in the batch' },
                  statusUrl: { type: 'string', format: 'uri', description: 'GET for the report' },
                },
              },
            },
          },
        },
        '400': refs['400'],
        '403': problem(
          'Targets are not on the allow-lists; `errors` names each by index (`body.targets[2]`). ' +
            'Nothing was queued.',
        ),
        '413': refs['413'],
        '415': refs['415'],
        '500': refs['500'],
        '503': problem(
          'Storage or a targeted upstream is not configured (nothing was queued), or storage failed ' +
            'part way: then the problem carries `batchId` and `statusUrl`, and the unqueued targets ' +
            'are reported as failed.',
        ),
      },
    },
  };
}

/** `GET /v1/cancellations/{batchId}`. */
export function reportOpenApi(): Record<string, JsonSchema> {
  const refs = problemRefs({ body: true, upstream: false });
  return {
    get: {
      operationId: 'cancellationreport',
      tags: [CANCELLATIONS_TAG],
      summary: 'Report of a batch cancellation',
      description:
        'Counts per outcome over the whole batch, one page of targets (optionally only one outcome), ' +
        'and any queue messages rejected for this batch. Follow `nextToken` for the next page.',
      parameters: [
        ...parametersOf(z.strictObject({ batchId: batchIdSchema }), 'path').map((p) => ({
          ...p,
          description: 'The batchId the batch was accepted with',
        })),
        ...queryParameters(),
      ],
      responses: {
        '200': {
          description: 'The batch report',
          content: { 'application/json': { schema: reportSchema() } },
        },
        '400': refs['400'],
        '404': problem('There is no batch with this id'),
        '500': refs['500'],
        '503': problem('Storage is not configured in this deployment'),
      },
    },
  };
}
