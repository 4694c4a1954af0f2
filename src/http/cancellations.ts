/**
 * @module
 * The REST side of batch cancellation. `POST /v1/cancellations` validates every target with
 * its single-run operation's schemas and allow-list (one bad target refuses the batch, each
 * named by index, and nothing is queued), marks copies of an earlier target (cancelled once,
 * reported at every index), records every target as `pending`, splits the
 * batch into queue messages within the 64 KiB limit, and answers 202 with the status URL.
 * `GET /v1/cancellations/{batchId}` is the report: counts, one page of targets, rejected
 * messages.
 */
import { randomUUID } from 'node:crypto';
import { authorize } from '../auth/identify.js';
import { ROLES } from '../auth/roles.js';
import { firstCopies } from '../cancellations/duplicates.js';
import { batchIdSchema, type EncodedMessage, encodeMessages } from '../cancellations/messages.js';
import { type CancellationServices, forEachConcurrently } from '../cancellations/processor.js';
import type { CancellationQueue } from '../cancellations/queue.js';
import {
  batchRequestSchema,
  CANCELLATIONS_ROUTE,
  REPORT_ROUTE,
  reportQuerySchema,
} from '../cancellations/schemas.js';
import { type CancellationStore, pendingRecord, type TargetRecord } from '../cancellations/store.js';
import { assertTargetsAllowed, CANCEL_OPERATIONS, cappedValidationError } from '../cancellations/targets.js';
import { GatewayError, ProblemTypes, ValidationError } from '../problems/errors.js';
import { toFieldErrors } from '../shared/field-errors.js';
import { readJsonBody } from '../shared/read-json-body.js';
import { reportOpenApi, submitBatchOpenApi } from './cancellations.openapi.js';
import { frame } from './frame.js';
import { queryRecord } from './query.js';
import type { RouteEntry } from './route.js';
import { serverUrlOf } from './server-url.js';

/** 404 for a batch id nobody has used. */
class BatchNotFoundError extends GatewayError {
  override name = 'BatchNotFoundError';
  constructor(batchId: string) {
    super(404, ProblemTypes.notFound, 'Not found', { detail: `There is no cancellation batch ${batchId}.` });
  }
}

/**
 * The two routes, each with its OpenAPI fragment.
 * @example
 * table.push(...cancellationRoutes(getServices));
 */
export function cancellationRoutes(servicesOf: () => CancellationServices): RouteEntry[] {
  return [
    {
      name: 'cancellations',
      methods: ['POST'],
      route: CANCELLATIONS_ROUTE,
      authLevel: 'function',
      role: ROLES.cancel,
      handler: submitBatchHandler(servicesOf),
      openapi: submitBatchOpenApi,
    },
    {
      name: 'cancellationreport',
      methods: ['GET'],
      route: REPORT_ROUTE,
      authLevel: 'function',
      role: ROLES.read,
      checksQuery: true, // reportQuerySchema is strict
      handler: batchReportHandler(servicesOf),
      openapi: reportOpenApi,
    },
  ];
}

function submitBatchHandler(servicesOf: () => CancellationServices) {
  return frame(
    'cancellations',
    async (request, { log }) => {
      const services = servicesOf();
      const { settings } = services;
      const body = await readJsonBody(
        request.body,
        request.headers,
        settings.MAX_JSON_BODY_BYTES,
        settings.MAX_JSON_DEPTH,
      );
      const parsed = batchRequestSchema(settings).safeParse(body ?? {});
      if (!parsed.success) throw cappedValidationError(toFieldErrors('body', parsed.error));
      const { cause, targets } = parsed.data;
      // Each target is its single-run cancel operation: the caller needs that operation's role.
      for (const kind of new Set(targets.map((t) => t.kind))) {
        const op = CANCEL_OPERATIONS[kind];
        authorize(request.caller, op.role, op.operationId);
      }
      assertTargetsAllowed(targets, settings, 'body.targets');
      for (const kind of new Set(targets.map((t) => t.kind))) services.upstream(kind); // 503 when not configured
      const { store, queue } = services.cancellations();

      const batchId = randomUUID();
      const statusUrl = `${serverUrlOf(request)}/${CANCELLATIONS_ROUTE}/${batchId}`;
      // A copy of an earlier target is cancelled once, with it, and reported at its own index.
      const copies = firstCopies(targets.map((target, index) => ({ index, target })));
      const indexed = targets.map((target, index) => {
        const sameAs = copies.get(index);
        return sameAs === undefined ? { ...target, index } : { ...target, index, sameAs };
      });
      await store
        .createBatch({
          batchId,
          total: targets.length,
          source: 'rest',
          ...(request.caller
            ? { submittedBy: { objectId: request.caller.objectId, appId: request.caller.appId } }
            : {}),
          createdAt: new Date().toISOString(),
          ...(cause === undefined ? {} : { cause }),
        })
        .catch((error: unknown) => {
          throw new GatewayError(503, ProblemTypes.upstreamUnreachable, 'Storage unavailable', {
            detail: 'The batch could not be recorded in Table Storage; nothing was queued.',
            cause: error,
          });
        });
      // Per message: its targets are on record as pending, then it is queued; the first
      // messages are being processed while the later ones are still written.
      const messages = encodeMessages(batchId, cause, indexed);
      const { queued, unqueued, failure } = await enqueueAll(store, queue, batchId, messages);
      if (failure) {
        await recordUnqueued(store, batchId, unqueued);
        log.error('cancellations.enqueue_failed', { batchId, queued, total: targets.length });
        const partly = new GatewayError(503, ProblemTypes.upstreamUnreachable, 'Batch partly queued', {
          detail: `Only ${queued} of ${targets.length} targets could be queued; the rest are recorded as failed. See statusUrl.`,
          cause: failure,
        });
        Object.assign(partly.extensions, { batchId, statusUrl });
        throw partly;
      }
      log.info('cancellations.accepted', { batchId, total: targets.length, messages: messages.length });
      return Response.json(
        { batchId, total: targets.length, statusUrl },
        { status: 202, headers: { location: statusUrl } },
      );
    },
    { readsBody: true },
  );
}

/** Messages being recorded and queued at once. */
const PARALLEL_MESSAGES = 4;

/**
 * Records each message's chunk (every target pending), then queues the message, a few at a
 * time: the first messages are being processed while later ones are still written. After a
 * failure no further message is started.
 */
async function enqueueAll(
  store: CancellationStore,
  queue: CancellationQueue,
  batchId: string,
  messages: readonly EncodedMessage[],
): Promise<{ queued: number; unqueued: EncodedMessage[]; failure?: unknown }> {
  let queued = 0;
  let failure: unknown;
  const unqueued: EncodedMessage[] = [];
  await forEachConcurrently(messages, PARALLEL_MESSAGES, async (message) => {
    if (failure !== undefined) {
      unqueued.push(message);
      return;
    }
    try {
      await store.createChunk(batchId, message.chunk, recordsOf(message, 'pending'));
      await queue.send(message.text);
      queued += message.targets.length;
    } catch (error) {
      failure ??= error;
      unqueued.push(message);
    }
  });
  return { queued, unqueued, ...(failure === undefined ? {} : { failure }) };
}

function recordsOf(message: EncodedMessage, outcome: 'pending' | 'failed'): TargetRecord[] {
  return message.targets.map(({ index, ...target }) => ({
    ...pendingRecord(index, target),
    outcome,
    ...(outcome === 'failed' ? { detail: 'could not be queued' } : {}),
  }));
}

/** Best effort: targets that never reached the queue are failed in the report, not left pending. */
async function recordUnqueued(store: CancellationStore, batchId: string, messages: EncodedMessage[]) {
  for (const message of messages) {
    const failed = recordsOf(message, 'failed');
    await store
      .createChunk(batchId, message.chunk, failed)
      .then((chunk) => store.saveChunk(batchId, chunk, new Map(failed.map((t) => [t.index, t]))))
      .catch(() => undefined);
  }
}

/** GET /v1/cancellations/{batchId}?outcome=failed&token=… */
function batchReportHandler(servicesOf: () => CancellationServices) {
  return frame('cancellationreport', async (request) => {
    const services = servicesOf();
    const id = batchIdSchema.safeParse(request.params.batchId);
    const query = reportQuerySchema.safeParse(queryRecord(request.query));
    const errors = [
      ...(id.success ? [] : toFieldErrors('params.batchId', id.error)),
      ...(query.success ? [] : toFieldErrors('query', query.error)),
    ];
    if (errors.length > 0 || !id.success || !query.success) throw new ValidationError(errors);
    const report = await services.cancellations().store.report(id.data, query.data);
    if (!report) throw new BatchNotFoundError(id.data);
    const { batch, counts, targets, rejectedMessages, nextToken } = report;
    return Response.json({
      batchId: batch.batchId,
      total: batch.total,
      done: counts.pending === 0,
      ...(batch.cause === undefined ? {} : { cause: batch.cause }),
      createdAt: batch.createdAt,
      ...(batch.submittedBy ? { submittedBy: batch.submittedBy } : {}),
      counts,
      targets: targets.map((t) => ({
        index: t.index,
        kind: t.kind,
        ...t.identity,
        outcome: t.outcome,
        attempts: t.attempts,
        ...(t.status === undefined ? {} : { status: t.status }),
        ...(t.detail === undefined ? {} : { detail: t.detail }),
        ...(t.sameAs === undefined ? {} : { duplicateOf: t.sameAs }),
      })),
      ...(rejectedMessages.length > 0 ? { rejectedMessages } : {}),
      ...(nextToken ? { nextToken } : {}),
    });
  });
}
