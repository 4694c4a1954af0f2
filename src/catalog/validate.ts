/**
 * @module
 * Validates each part of an operation's input (route params, query, body) against its own
 * schema and reports every failure with its full path (`params.id-name`,
 * `body.spec.launch_plan.version`). Nothing reaches an upstream unless all pass. An `UPLOAD`
 * body passes through unread: the operation reads and checks it after its guard.
 */
import type { z } from 'zod';
import type { Settings } from '../config.js';
import { type FieldError, ValidationError } from '../problems/errors.js';
import { toFieldErrors } from '../shared/field-errors.js';
import { type Operation, type OperationInput, resolveSchema, UPLOAD } from './operation.js';

/** An operation's input as a surface has it: strings from a path and query, any body. */
export interface RawInput {
  params: Record<string, string>;
  query: Record<string, string>;
  body: unknown;
}

/**
 * @example
 * const input = validateInput(getExecution, { params, query: {}, body: undefined }, settings);
 */
export function validateInput(
  op: Operation,
  raw: RawInput,
  settings: Settings,
): OperationInput<unknown, unknown, unknown> {
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
    query: check('query', resolveSchema(op.input.query, settings)),
    body: body === UPLOAD ? raw.body : check('body', body ? resolveSchema(body, settings) : undefined),
  };
  if (errors.length > 0) throw new ValidationError(errors);
  return input;
}
