/**
 * @module
 * One rule for query strings on every route: a parameter the route does not know is refused
 * with 400 naming it, never dropped — an ignored misspelling (`run_id`) would make each retry of
 * a start mint a new run id instead of being refused as a duplicate. The host's `code` (a
 * function key) belongs to no route: `bindRoute` takes it out first. A name given twice with
 * different values is refused too (which one would a retry mean?). On Azure ML routes names
 * match whatever their case, as the Execution Service (ASP.NET) binds them: `runid`, `runId`
 * and `RUNID` are one parameter; flyteadmin's grpc-gateway matches names exactly.
 */
import { z } from 'zod';
import type { Capability } from '../catalog/operation.js';
import { type FieldError, ValidationError } from '../problems/errors.js';
import { refuse } from './frame.js';
import type { RouteEntry, RouteHandler } from './route.js';

/** Whether each upstream's own query binding ignores the case of names. */
export const QUERY_NAMES_IGNORE_CASE: Record<Capability, boolean> = { azureml: true, flyte: false };

const unknownField = (name: string): FieldError => ({
  path: `query.${name}`,
  message: 'is not a known field',
});

/**
 * The route's handler, refusing any query parameter unless the route checks its query itself
 * (`checksQuery`).
 * @example
 * const handler = queryChecked(healthRoute(settingsOf)); // GET /v1/health?x=1 → 400 query.x
 */
export function queryChecked(entry: RouteEntry): RouteHandler {
  if (entry.checksQuery) return entry.handler;
  return (request, sink) => {
    const names = [...new Set(request.query.keys())];
    if (names.length === 0) return entry.handler(request, sink);
    return refuse(request, new ValidationError(names.map(unknownField)), sink);
  };
}

/**
 * The query as one value per name, for a schema to check; with `ignoreCase`, each name spelt
 * like one of `known` in another case is read as that one. Throws `ValidationError` for a name
 * (in any of its spellings) given with two different values.
 * @example
 * queryRecord(new URLSearchParams('runid=a'), { known: ['runId'], ignoreCase: true }) // { runId: 'a' }
 */
export function queryRecord(
  query: URLSearchParams,
  options: { known?: readonly string[]; ignoreCase?: boolean } = {},
): Record<string, string> {
  const canonical = new Map((options.known ?? []).map((name) => [name.toLowerCase(), name]));
  const values = new Map<string, string>();
  const conflicting = new Map<string, Set<string>>();
  const spellings = new Map<string, Set<string>>();
  for (const [name, value] of query) {
    const key = options.ignoreCase ? (canonical.get(name.toLowerCase()) ?? name) : name;
    spellings.set(key, (spellings.get(key) ?? new Set()).add(name));
    const earlier = values.get(key);
    if (earlier === undefined) values.set(key, value);
    else if (earlier !== value) conflicting.set(key, spellings.get(key) as Set<string>);
  }
  if (conflicting.size > 0) {
    throw new ValidationError(
      [...conflicting].map(([key, names]) => ({
        path: `query.${key}`,
        message: `is given more than once with different values (as ${[...names].join(', ')})`,
      })),
    );
  }
  return Object.fromEntries(values);
}

/** The parameter names a query schema knows (none unless it is an object schema). */
export function queryNamesOf(schema: z.ZodType): string[] {
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}
