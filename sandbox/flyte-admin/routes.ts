/**
 * The gateway route table (from `admin.proto`'s HTTP bindings) and grpc-gateway's matching rules: literal
 * and `{variable}` segments, one segment per variable. A path that no route matches is 404 code 5
 * `Not Found`; a path some route matches under another method is 501 code 12 `Method Not Allowed` (the
 * gateway maps its 405 to UNIMPLEMENTED). Path variables are field paths into the request message.
 * @module
 */
import { GrpcCode } from './constants.js';
import { badRequest, StatusError } from './status-error.js';

export type OperationName =
  | 'CreateExecution'
  | 'RecoverExecution'
  | 'RelaunchExecution'
  | 'ListExecutions'
  | 'GetExecution'
  | 'TerminateExecution'
  | 'GetExecutionMetrics'
  | 'GetOAuth2Metadata'
  | 'GetPublicClientConfig';

export interface Route {
  operation: OperationName;
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  /** Request message the body / query / path variables decode into. */
  requestType: string;
  /** `body: "*"` bindings decode the whole body; the others read the query string instead. */
  body: boolean;
}

const EXECUTION = '/api/v1/executions/{id.project}/{id.domain}/{id.name}';

const ROUTES: readonly Route[] = [
  {
    operation: 'CreateExecution',
    method: 'POST',
    path: '/api/v1/executions',
    requestType: 'admin.ExecutionCreateRequest',
    body: true,
  },
  {
    operation: 'RecoverExecution',
    method: 'POST',
    path: '/api/v1/executions/recover',
    requestType: 'admin.ExecutionRecoverRequest',
    body: true,
  },
  {
    operation: 'RelaunchExecution',
    method: 'POST',
    path: '/api/v1/executions/relaunch',
    requestType: 'admin.ExecutionRelaunchRequest',
    body: true,
  },
  {
    operation: 'ListExecutions',
    method: 'GET',
    path: '/api/v1/executions/{id.project}/{id.domain}',
    requestType: 'admin.ResourceListRequest',
    body: false,
  },
  {
    operation: 'GetExecution',
    method: 'GET',
    path: EXECUTION,
    requestType: 'admin.WorkflowExecutionGetRequest',
    body: false,
  },
  {
    operation: 'TerminateExecution',
    method: 'DELETE',
    path: EXECUTION,
    requestType: 'admin.ExecutionTerminateRequest',
    body: true,
  },
  {
    operation: 'GetExecutionMetrics',
    method: 'GET',
    path: '/api/v1/metrics/executions/{id.project}/{id.domain}/{id.name}',
    requestType: 'admin.WorkflowExecutionGetMetricsRequest',
    body: false,
  },
  {
    operation: 'GetOAuth2Metadata',
    method: 'GET',
    path: '/.well-known/oauth-authorization-server',
    requestType: 'service.OAuth2MetadataRequest',
    body: false,
  },
  {
    operation: 'GetPublicClientConfig',
    method: 'GET',
    path: '/config/v1/flyte_client',
    requestType: 'service.PublicClientAuthConfigRequest',
    body: false,
  },
];

export interface RouteMatch {
  route: Route;
  /** Field path (`id.project`) → unescaped segment. */
  params: Record<string, string>;
}

function matchPath(pattern: string, segments: readonly string[]): Record<string, string> | undefined {
  const parts = pattern.split('/').slice(1);
  if (parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, part] of parts.entries()) {
    const segment = segments[index] ?? '';
    if (part.startsWith('{') && part.endsWith('}')) params[part.slice(1, -1)] = segment;
    else if (part !== segment) return undefined;
  }
  return params;
}

function unescapeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw badRequest(`invalid URL escape in path segment ${JSON.stringify(segment)}`);
  }
}

/**
 * Finds the route for a request or throws the gateway's routing error.
 * @example
 * matchRoute('GET', '/api/v1/executions/flytesnacks/development').route.operation; // 'ListExecutions'
 * matchRoute('PATCH', '/api/v1/executions'); // throws 501 code 12 'Method Not Allowed'
 */
export function matchRoute(method: string, pathname: string): RouteMatch {
  const segments = pathname.split('/').slice(1);
  let pathKnown = false;
  for (const route of ROUTES) {
    const params = matchPath(route.path, segments);
    if (params === undefined) continue;
    if (route.method !== method) {
      pathKnown = true;
      continue;
    }
    for (const key of Object.keys(params)) params[key] = unescapeSegment(params[key] ?? '');
    return { route, params };
  }
  if (pathKnown) throw new StatusError(GrpcCode.UNIMPLEMENTED, 'Method Not Allowed');
  throw new StatusError(GrpcCode.NOT_FOUND, 'Not Found');
}
