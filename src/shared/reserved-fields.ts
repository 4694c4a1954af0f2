/**
 * @module
 * Names the Functions host reserves. It binds every query parameter and top-level JSON body
 * field into the trigger's metadata beside its own `Headers` and `Query` entries; one of those
 * names (in any case) displaces the entry, and `@azure/functions` then hands the function
 * empty headers, or the field's value as headers (docs/functions-host.md, 3.4). Such a request
 * is refused on every host, so that what the app reads from headers is the caller's headers.
 */
import type { FieldError } from '../problems/errors.js';

const RESERVED = /^(headers|query)$/i;

/**
 * One error per reserved name among `names`, under `part` (`query` or `body`).
 * @example
 * reservedFieldErrors('query', new URLSearchParams('Headers=%7B%7D').keys()) // [{ path: 'query.Headers', ... }]
 */
export function reservedFieldErrors(part: 'query' | 'body', names: Iterable<string>): FieldError[] {
  return [...new Set(names)]
    .filter((name) => RESERVED.test(name))
    .map((name) => ({
      path: `${part}.${name}`,
      message: "is reserved: the Functions host would take it for the request's headers",
    }));
}
