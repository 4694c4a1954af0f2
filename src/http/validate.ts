/**
 * @module
 * Validates each part of a request (route params, query, body) against its own schema and
 * reports every failure with its full path (`params.id-name`, `body.spec.launch_plan.version`),
 * the way envelope parsers prefix issue paths. Nothing reaches an upstream unless all pass.
 */
import type { z } from 'zod';
import { type Operation, type OperationInput, resolveSchema, STREAMED_BODY } from '../catalog/operation.js';
import type { Settings } from '../config.js';
import { type FieldError, ValidationError } from '../problems/errors.js';

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
  const input = {
    params: check('params', resolveSchema(op.input.params, settings)),
    query: check('query', resolveSchema(op.input.query, settings)),
    body: check(
      'body',
      op.input.body && op.input.body !== STREAMED_BODY ? resolveSchema(op.input.body, settings) : undefined,
    ),
  };
  if (errors.length > 0) throw new ValidationError(errors);
  return input;
}

/** zod issues as field errors under `prefix`, with array indexes as `[n]`. */
export function toFieldErrors(prefix: string, error: z.ZodError): FieldError[] {
  return error.issues.flatMap((issue) => {
    const path = formatPath([prefix, ...issue.path]);
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        path: formatPath([prefix, ...issue.path, key]),
        message: 'is not a known field',
      }));
    }
    const missing = issue.code === 'invalid_type' && /received undefined$/.test(issue.message);
    return [{ path, message: missing ? `is required (${issue.expected})` : issue.message }];
  });
}

function formatPath(segments: readonly PropertyKey[]): string {
  return segments.reduce<string>((out, segment) => {
    if (typeof segment === 'number') return `${out}[${segment}]`;
    return out === '' ? String(segment) : `${out}.${String(segment)}`;
  }, '');
}
