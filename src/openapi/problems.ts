/**
 * @module
 * The problem+json part of the document: one shared `Problem` schema (RFC 9457 members, the
 * gateway's `correlationId`, field `errors`, the `upstream` answer, the start extensions
 * `runId`/`stagedZipId` and the partly-queued batch extensions `batchId`/`statusUrl`), one
 * shared response per status, and which statuses an operation can answer.
 */
import { ProblemTypes } from '../problems/errors.js';
import { PROBLEM_CONTENT_TYPE } from '../problems/to-problem.js';
import type { JsonSchema } from '../shared/json-schema.js';

export const problemSchema: JsonSchema = {
  type: 'object',
  description: 'An RFC 9457 problem: every failure the gateway answers has this shape.',
  required: ['type', 'title', 'status', 'detail', 'correlationId'],
  properties: {
    type: {
      type: 'string',
      description: 'Stable problem type; match on this, not on the title.',
      enum: Object.values(ProblemTypes).map((slug) => `/problems/${slug}`),
    },
    title: { type: 'string', description: 'Short summary of the problem type' },
    status: { type: 'integer', description: 'The HTTP status of this answer' },
    detail: { type: 'string', description: 'What went wrong, safe to show' },
    correlationId: { type: 'string', description: 'Request id to quote when reporting the problem' },
    instance: { type: 'string', description: 'The request path' },
    errors: {
      type: 'array',
      description: 'Field errors of a validation-failed problem',
      items: {
        type: 'object',
        required: ['path', 'message'],
        properties: {
          path: { type: 'string', examples: ['body.spec.launch_plan.version'] },
          message: { type: 'string' },
        },
      },
    },
    upstream: {
      type: 'object',
      description:
        "A summary of the upstream's failed answer, never the answer itself: its status, the allow-listed " +
        'fields of its body in its own shape (Flyte: `{code, message}`; Azure ML: `{error: {code, message}, ' +
        'correlation}`; the message only on 4xx, cut at any stack trace, secrets redacted, at most 500 ' +
        'characters) and its request id header. Details, innerError, debugInfo and non-JSON bodies are ' +
        'never relayed.',
      required: ['status'],
      properties: { status: { type: 'integer' }, body: { type: 'object' }, requestId: { type: 'string' } },
    },
    runId: {
      type: 'string',
      description:
        'Extension on failed Azure ML starts: the run id used; retry with ?runId= to stay idempotent',
    },
    stagedZipId: {
      type: 'string',
      description: 'Extension on failed startrun: the staged zip, reusable as {runDefinition, stagedZipId}',
    },
    batchId: {
      type: 'string',
      description: 'Extension on a partly queued batch cancellation: the batch that was recorded',
    },
    statusUrl: {
      type: 'string',
      format: 'uri',
      description: 'Extension on a partly queued batch cancellation: its report',
    },
  },
  // Other members may appear (RFC 9457 extensions; JSON Schema allows them without saying so); an
  // explicit `additionalProperties: true` would type every member as unknown in generated clients.
};

const DESCRIPTIONS: Record<number, string> = {
  400: 'Validation failed, or malformed JSON or multipart body',
  403: 'The target is not on the allow-list (or the upstream refused)',
  404: 'Not found (unknown route, or the upstream has no such resource)',
  409: 'Conflict reported by the upstream (e.g. a run id already used)',
  413: 'The request body exceeds its limit',
  415: 'The body has a media type the operation does not take',
  429: 'The upstream rate limited the call',
  500: 'The gateway failed unexpectedly',
  502: 'The upstream failed, could not be reached, or no upstream credential could be obtained',
  503: 'The upstream is not configured in this deployment',
  504: 'The upstream did not answer in time',
};

/** `components.responses`: one problem response per status, named `Problem<status>`. */
export function problemResponses(): Record<string, JsonSchema> {
  return Object.fromEntries(
    Object.entries(DESCRIPTIONS).map(([status, description]) => [
      `Problem${status}`,
      {
        description,
        ...(status === '429'
          ? {
              headers: {
                'Retry-After': {
                  description: "The upstream's Retry-After, passed through",
                  schema: { type: 'string' },
                },
              },
            }
          : {}),
        content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } } },
      },
    ]),
  );
}

/**
 * The problem statuses of an operation (upstream-facing unless `upstream` is false).
 * @example
 * problemRefs({ body: true, upstream: true }) // { '400': { $ref: '#/components/responses/Problem400' }, ... }
 */
export function problemRefs(options: { body: boolean; upstream: boolean; conflict?: boolean }) {
  const statuses = [400, 403, 404];
  if (options.conflict) statuses.push(409);
  if (options.body) statuses.push(413, 415);
  if (options.upstream) statuses.push(429);
  statuses.push(500);
  if (options.upstream) statuses.push(502, 503, 504);
  return Object.fromEntries(
    statuses.map((s) => [String(s), { $ref: `#/components/responses/Problem${s}` }]),
  ) as Record<string, { $ref: string }>;
}
