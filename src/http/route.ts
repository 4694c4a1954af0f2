/**
 * @module
 * What a route is, on web-standard types: the request a host hands over, the request bound to
 * the route's own template, handlers, and a route entry (function name, methods, template,
 * auth level, handler, and the OpenAPI fragment it documents itself with). Hosts call the
 * handler bound to its template (`bindRoute`).
 */
import type { Caller } from '../auth/caller.js';
import type { Role } from '../auth/roles.js';
import type { Operation } from '../catalog/operation.js';
import type { Settings } from '../config.js';
import type { JsonSchema } from '../shared/json-schema.js';
import type { LogSink } from '../shared/log.js';

/**
 * The parts of an HTTP request a host hands over; both Functions' HttpRequest and the local
 * host provide them. No route values: under the real host `request.params` also holds query
 * and JSON body fields, so each route binds its own (`RoutedRequest`).
 */
export interface GatewayRequest {
  method: string;
  url: string;
  /** `url` as the host already parsed it to route (the local host); otherwise parsed where needed. */
  parsedUrl?: URL;
  headers: Headers;
  body: ReadableStream<Uint8Array> | null;
  /** Aborted when the caller goes away, so the upstream call is abandoned too (local host). */
  signal?: AbortSignal;
}

/** A request bound to the route that serves it (bind-route.ts). */
export interface RoutedRequest extends GatewayRequest {
  /** The template the route is bound to, with the host's route prefix (`/v1/health`). */
  route: string;
  /** The route template's values, taken from the URL path. */
  params: Record<string, string>;
  /** The query string without the host's `code` (function key). */
  query: URLSearchParams;
  /** The Entra ID caller, under AUTH_MODE=entra on keyed routes (authenticate.ts). */
  caller?: Caller;
  /** Whose staged zips this request may use, on keyed routes (auth/owner.ts). */
  owner?: string;
}

/** What a host calls. */
export type GatewayHandler = (request: GatewayRequest, sink: LogSink) => Promise<Response>;
/** What a route implements: the request comes bound to the route's own template. */
export type RouteHandler = (request: RoutedRequest, sink: LogSink) => Promise<Response>;

export const ALL_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;
export type RouteMethod = (typeof ALL_METHODS)[number];

/** One route as written beside its handler. */
export interface RouteEntry {
  /** Function name (the operation id for catalog operations). */
  name: string;
  methods: readonly RouteMethod[];
  /** Functions route template, relative to host.json's routePrefix, no leading slash. */
  route: string;
  authLevel: 'anonymous' | 'function';
  /** The app role the whole route needs (AUTH_MODE=entra); operations check their own. */
  role?: Role;
  handler: RouteHandler;
  /** The catalog operation it serves: the document derives its part from the operation. */
  operation?: Operation;
  /** Its OpenAPI path item (`{ get: {...} }`) when not an operation; absent for routes the document does not list. */
  openapi?: (settings: Settings) => Record<string, JsonSchema>;
  /**
   * The route checks its query string itself, against strict schemas (catalog operations, the
   * batch report). Otherwise it takes no query parameter, and any but the host's `code` is
   * refused with 400 before it runs (query.ts).
   */
  checksQuery?: true;
  /**
   * Serves `operation` on its upstream's own path (DROP_IN_ROUTES): the same pipeline under a
   * second function name. Left out of the OpenAPI document, whose operationIds name the
   * gateway's own routes.
   */
  dropIn?: true;
}

/** A route as hosts register it: its handler bound to its template. */
export interface RouteDefinition extends Omit<RouteEntry, 'handler'> {
  handler: GatewayHandler;
}
