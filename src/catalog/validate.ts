/**
 * @module
 * Validates each part of an operation's input (route params, query, body) against its own
 * schema and reports every failure with its full path (`params.id-name`,
 * `body.spec.launch_plan.version`). Nothing reaches an upstream unless all pass. An `UPLOAD`
 * body passes through unread: the operation reads and checks it after its guard.
 */
import { z } from 'zod';
import type { Settings } from '../config.js';
import { type FieldError, ValidationError } from '../problems/errors.js';
import { toFieldErrors } from '../shared/field-errors.js';
import { type Operation, type OperationInput, type RawInput, resolveSchema, UPLOAD } from './operation.js';

export type { RawInput } from './operation.js';

/**
 * @example
 * const input = validateInput(getExecution, { params, query: {}, body: undefined }, settings);
 */
export function validateInput(
  op: Operation,
  given: RawInput,
  settings: Settings,
): OperationInput<unknown, unknown, unknown> {
  // Before the schemas: they check one spelling (throws ValidationError).
  const raw = op.input.normalize ? op.input.normalize(given) : given;
  const errors: FieldError[] = [];
  const check = (part: keyof RawInput, schema: z.ZodType | undefined): unknown => {
    if (!schema) return undefined;
    const result = schema.safeParse(raw[part]);
    if (result.success) return result.data;
    errors.push(...toFieldErrors(part, result.error));
    return undefined;
  };
  const body = op.input.body;
  const input = {
    params: check('params', resolveSchema(op.input.params, settings)),
    query: check('query', strictQuery(resolveSchema(op.input.query, settings))),
    body: body === UPLOAD ? raw.body : check('body', body ? resolveSchema(body, settings) : undefined),
  };
  if (errors.length > 0) throw new ValidationError(errors);
  return input;
}

const strictQueries = new WeakMap<z.ZodType, z.ZodType>();

/**
 * A query schema that refuses parameters it does not name (`query.run_id: is not a known
 * field`): dropped, a misspelt `runId` would make every retry of a start mint a new run. It
 * runs on the query as the caller's spellings have been read (src/http/query.ts).
 */
function strictQuery(schema: z.ZodType): z.ZodType {
  if (!(schema instanceof z.ZodObject)) return schema;
  let strict = strictQueries.get(schema);
  if (!strict) {
    strict = schema.strict();
    strictQueries.set(schema, strict);
  }
  return strict;
}
