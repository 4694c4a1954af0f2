/**
 * @module
 * zod issues as the gateway's field errors: each with its full path under a prefix
 * (`params.id-name`, `body.spec.launch_plan.version`, `targets[3].runId`), the way envelope
 * parsers prefix issue paths, and unknown keys named one by one.
 */
import type { z } from 'zod';
import type { FieldError } from '../problems/errors.js';

/**
 * @example
 * toFieldErrors('body', schema.safeParse(body).error) // [{ path: 'body.spec', message: 'is required (object)' }]
 */
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
