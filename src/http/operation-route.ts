/**
 * @module
 * A catalog operation as a REST route: inside the request frame, read the JSON body under its
 * cap (or hand an upload body over unread), `invoke` the operation, and stream the upstream's
 * 2xx answer back unchanged with its end-to-end headers. Failures are the frame's to render.
 */
import { invoke } from '../catalog/invoke.js';
import { type Operation, type OperationServices, resolveSchema, UPLOAD } from '../catalog/operation.js';
import { readJsonBody } from '../shared/read-json-body.js';
import type { UploadBody } from '../staging/upload-body.js';
import type { UpstreamResponse } from '../upstream/http-client.js';
import { bufferedResponse } from './buffered-response.js';
import { discard, frame } from './frame.js';
import { QUERY_NAMES_IGNORE_CASE, queryNamesOf, queryRecord } from './query.js';
import type { RouteEntry } from './route.js';

/** End-to-end headers of an upstream answer that the caller may see; everything else stays. */
const PASSTHROUGH_HEADERS = [
  'content-type',
  'content-length',
  'content-encoding',
  'content-disposition',
  'etag',
  'last-modified',
];

/** Contract path `/v1/api/{id-project}` → Functions route `v1/api/{id-project}`. */
export function routeOf(op: Pick<Operation, 'rest'>): string {
  return op.rest.path.replace(/^\//, '');
}

/**
 * @example
 * const entry = operationRoute(getExecution, getServices); // GET v1/api/v1/executions/{id-project}/...
 */
export function operationRoute(op: Operation, servicesOf: () => OperationServices): RouteEntry {
  return {
    name: op.operationId,
    methods: [op.rest.method],
    route: routeOf(op),
    authLevel: 'function',
    operation: op,
    // Checked before the body is read (an upload from a caller without it is never staged).
    role: op.role,
    // Strict query schemas (catalog/validate.ts): an unknown parameter is a 400 naming it.
    checksQuery: true,
    handler: frame(
      op.operationId,
      async (request, { correlation, log, note }) => {
        const services = servicesOf();
        // Before the body is read: a query that means two things is refused at once.
        const query = queryRecord(request.query, {
          known: queryNamesOf(resolveSchema(op.input.query, services.settings)),
          ignoreCase: QUERY_NAMES_IGNORE_CASE[op.capability],
        });
        const body =
          op.input.body === UPLOAD
            ? ({ from: 'stream', stream: request.body, headers: request.headers } satisfies UploadBody)
            : op.input.body
              ? await readJsonBody(
                  request.body,
                  request.headers,
                  services.settings.MAX_JSON_BODY_BYTES,
                  services.settings.MAX_JSON_DEPTH,
                )
              : await discard(request.body);
        const raw = { params: request.params, query, body };
        const { answer } = await invoke(op, raw, {
          services,
          caller: request.caller,
          owner: request.owner,
          correlation,
          log,
          signal: request.signal,
          note,
        });
        return passOn(answer);
      },
      { readsBody: true },
    ),
  };
}

/**
 * The operation on its upstream's own path (`upstreamPath`), for DROP_IN_ROUTES: the same
 * route under a second function name, so validation, guards, auth and logging are the same.
 * @example
 * const entry = dropInRoute(getExecution, getServices); // GET api/v1/executions/{id-project}/...
 */
export function dropInRoute(op: Operation, servicesOf: () => OperationServices): RouteEntry | undefined {
  const upstreamPath = op.upstreamPath;
  if (upstreamPath === undefined) return undefined;
  return {
    ...operationRoute(op, servicesOf),
    name: `dropin-${op.operationId}`,
    route: upstreamPath,
    dropIn: true,
  };
}

async function passOn(answer: UpstreamResponse): Promise<Response> {
  const empty = answer.status === 204 || answer.status === 205;
  const headers: Record<string, string> = {};
  for (const name of PASSTHROUGH_HEADERS) {
    const value = answer.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  if (answer.bytes && !empty) return bufferedResponse(answer.bytes, { status: answer.status, headers });
  if (empty) await answer.body.cancel();
  return new Response(empty ? null : answer.body, { status: answer.status, headers });
}
