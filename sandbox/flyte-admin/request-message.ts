/**
 * Assembles the request message of a gateway call the way the generated `admin.pb.gw.go` handlers do:
 * body-bound routes decode the body (`body: "*"`) and ignore the query string; the others parse the query
 * (Go's `ParseForm`, which rejects `;` separators and bad escapes) into fields named by proto or JSON dotted
 * paths, ignoring unknown names; path variables are applied last and win over anything else.
 * @module
 */
import { decodeBody, decodeParameter } from './proto-decode.js';
import type { FieldDescriptor } from './proto-schema.js';
import { REGISTRY } from './proto-types-admin.js';
import { isProtoObject, type ProtoObject } from './proto-value.js';
import type { RouteMatch } from './routes.js';
import { badRequest } from './status-error.js';

/**
 * Go's `url.ParseQuery` strictness on top of `URLSearchParams` (which silently accepts both problems).
 * @example parseQuery('limit=2&filters=eq(phase%2CRUNNING)').get('filters') // 'eq(phase,RUNNING)'
 */
function parseQuery(rawQuery: string): URLSearchParams {
  if (rawQuery.includes(';')) throw badRequest('invalid semicolon separator in query');
  const badEscape = /%(?![0-9A-Fa-f]{2})/.exec(rawQuery);
  if (badEscape)
    throw badRequest(
      `invalid URL escape ${JSON.stringify(rawQuery.slice(badEscape.index, badEscape.index + 3))}`,
    );
  return new URLSearchParams(rawQuery);
}

/** Resolves a dotted path to its leaf field, creating parent messages on the way; undefined if unknown. */
function resolvePath(
  typeName: string,
  target: ProtoObject,
  path: string,
): { parent: ProtoObject; field: FieldDescriptor } | undefined {
  const names = path.split('.');
  let descriptor = REGISTRY.message(typeName);
  let parent = target;
  for (const [index, name] of names.entries()) {
    const field = descriptor.byKey.get(name);
    if (!field) return undefined;
    if (index === names.length - 1) return { parent, field };
    if (field.type.kind !== 'message' || field.label !== 'single') return undefined;
    const child = parent[field.name];
    const next: ProtoObject = isProtoObject(child) ? child : {};
    parent[field.name] = next;
    parent = next;
    descriptor = REGISTRY.message(field.type.name);
  }
  return undefined;
}

function populateQuery(
  typeName: string,
  target: ProtoObject,
  query: URLSearchParams,
  pathFields: Set<string>,
): void {
  for (const key of new Set(query.keys())) {
    // The generated filter skips parameters that are bound from the path.
    if (pathFields.has(key)) continue;
    const resolved = resolvePath(typeName, target, key);
    if (!resolved || resolved.field.label === 'map' || resolved.field.type.kind === 'message') continue;
    const { parent, field } = resolved;
    const values = query.getAll(key);
    if (field.label === 'repeated') {
      parent[field.name] = values.map((value) => decodeParameter(field, value));
      continue;
    }
    if (values.length > 1) {
      throw badRequest(`too many values for field ${JSON.stringify(field.name)}: ${values.join(', ')}`);
    }
    parent[field.name] = decodeParameter(field, values[0] ?? '');
  }
}

/**
 * The canonical request message for a matched route.
 * @param discardUnknown whether the inbound marshaler ignores unknown body fields
 */
export function buildRequestMessage(
  match: RouteMatch,
  rawQuery: string,
  body: string,
  discardUnknown: boolean,
): ProtoObject {
  const { route, params } = match;
  const message = route.body ? decodeBody(route.requestType, body, { discardUnknown }) : {};
  if (!route.body)
    populateQuery(route.requestType, message, parseQuery(rawQuery), new Set(Object.keys(params)));
  for (const [path, value] of Object.entries(params)) {
    const resolved = resolvePath(route.requestType, message, path);
    if (resolved) resolved.parent[resolved.field.name] = value;
  }
  return message;
}
