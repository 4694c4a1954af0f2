/**
 * @module
 * The request schemas of the two batch-cancellation routes, apart from their handlers so the
 * OpenAPI document can be built from them without importing the HTTP layer.
 */
import { z } from 'zod';
import type { Settings } from '../config.js';
import { OUTCOMES } from './store.js';
import { causeSchema, type Target, targetSchema } from './targets.js';

export const CANCELLATIONS_ROUTE = 'v1/cancellations';
export const REPORT_ROUTE = 'v1/cancellations/{batchId}';

const batchSchemas = new WeakMap<Settings, z.ZodType<{ cause?: string; targets: Target[] }>>();

/** The POST body's schema; its target cap is a setting. */
export function batchRequestSchema(settings: Settings) {
  let schema = batchSchemas.get(settings);
  if (!schema) {
    schema = z.strictObject({
      cause: causeSchema.optional(),
      targets: z
        .array(targetSchema)
        .min(1, 'must hold at least one target')
        .max(
          settings.MAX_BATCH_TARGETS,
          `must hold at most ${settings.MAX_BATCH_TARGETS} targets (MAX_BATCH_TARGETS)`,
        ),
    });
    batchSchemas.set(settings, schema);
  }
  return schema;
}

export const reportQuerySchema = z.strictObject({
  outcome: z.enum(OUTCOMES).optional(),
  token: z
    .string()
    .regex(/^t\d{7}$/, 'must be a nextToken from an earlier page')
    .optional(),
  limit: z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().min(1).max(1000))
    .default(100),
});
