/**
 * Routing of the Azure ML emulator: matches the four Execution Service paths (segments spelled exactly as
 * in the swagger, case-sensitive), the Run History read path and nothing else, and validates the path
 * parameters (subscription GUID, experiment name, run id). Parameter values are percent-decoded; ARM
 * names are compared case-insensitively later, by the store.
 * @module
 */
import { EXPERIMENT_NAME_PATTERN, InnerCode, RUN_ID_PATTERN, UUID_PATTERN } from './constants.js';
import { userError, validationError } from './errors.js';

export const Operation = {
  StartRun: 'startrun',
  SnapshotRun: 'snapshotrun',
  StartLocalRun: 'startlocalrun',
  Cancel: 'cancel',
  GetRun: 'getrun',
} as const;
export type Operation = (typeof Operation)[keyof typeof Operation];

/** Where a run lives: ARM scope plus experiment. */
export interface ExperimentScope {
  subscriptionId: string;
  resourceGroupName: string;
  workspaceName: string;
  experimentName: string;
}

export interface RouteMatch {
  operation: Operation;
  method: 'POST' | 'GET';
  scope: ExperimentScope;
  /** From the path (cancel, history); the starts take theirs from the query. */
  runId?: string;
}

/** Segment templates after the service prefix; `{…}` are parameters. */
const SCOPE_TEMPLATE = [
  'subscriptions',
  '{subscriptionId}',
  'resourceGroups',
  '{resourceGroupName}',
  'providers',
  'Microsoft.MachineLearningServices',
  'workspaces',
  '{workspaceName}',
  'experiments',
  '{experimentName}',
];

const ROUTES: { prefix: string[]; tail: string[]; operation: Operation; method: 'POST' | 'GET' }[] = [
  { prefix: ['execution', 'v1.0'], tail: ['startrun'], operation: Operation.StartRun, method: 'POST' },
  { prefix: ['execution', 'v1.0'], tail: ['snapshotrun'], operation: Operation.SnapshotRun, method: 'POST' },
  {
    prefix: ['execution', 'v1.0'],
    tail: ['startlocalrun'],
    operation: Operation.StartLocalRun,
    method: 'POST',
  },
  {
    prefix: ['execution', 'v1.0'],
    tail: ['runId', '{runId}', 'cancel'],
    operation: Operation.Cancel,
    method: 'POST',
  },
  { prefix: ['history', 'v1.0'], tail: ['runs', '{runId}'], operation: Operation.GetRun, method: 'GET' },
];

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw validationError(`Malformed percent-encoding in path segment '${segment}'.`);
  }
}

/** Matches segments against a template, collecting raw (still encoded) parameter values. */
function bind(template: string[], segments: string[]): Record<string, string> | undefined {
  if (template.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, part] of template.entries()) {
    const segment = segments[index] ?? '';
    if (part.startsWith('{')) {
      if (segment === '') return undefined;
      params[part.slice(1, -1)] = segment;
    } else if (part !== segment) return undefined;
  }
  return params;
}

/** Checks a run id against the swagger pattern; 400 naming `target` otherwise. */
export function checkRunId(runId: string, target = 'runId'): string {
  if (!RUN_ID_PATTERN.test(runId))
    throw validationError(
      `The run id '${runId}' is invalid: it must match ^[a-zA-Z0-9][\\w-]{0,255}$.`,
      target,
    );
  return runId;
}

/**
 * Finds the route of `method path` and validates its parameters.
 * @throws AzureMlError 404 for unknown paths, 405 for a known path with another method, 400 for bad params
 * @example matchRoute('POST', '/execution/v1.0/subscriptions/…/experiments/exp/startrun').operation // 'startrun'
 */
export function matchRoute(method: string, path: string): RouteMatch {
  const segments = path.split('/').slice(1);
  for (const route of ROUTES) {
    const params = bind([...route.prefix, ...SCOPE_TEMPLATE, ...route.tail], segments);
    if (!params) continue;
    if (method !== route.method)
      throw userError(
        405,
        InnerCode.MethodNotAllowed,
        `The HTTP method ${method} is not allowed on ${path}.`,
        null,
        {
          allow: route.method,
        },
      );
    const scope: ExperimentScope = {
      subscriptionId: decode(params.subscriptionId ?? ''),
      resourceGroupName: decode(params.resourceGroupName ?? ''),
      workspaceName: decode(params.workspaceName ?? ''),
      experimentName: decode(params.experimentName ?? ''),
    };
    if (!UUID_PATTERN.test(scope.subscriptionId))
      throw validationError(
        `The subscription id '${scope.subscriptionId}' is not a valid GUID.`,
        'subscriptionId',
      );
    if (!EXPERIMENT_NAME_PATTERN.test(scope.experimentName))
      throw validationError(
        `The experiment name '${scope.experimentName}' is invalid: use 1-250 letters, digits, '_' or '-', starting with a letter or digit.`,
        'experimentName',
      );
    const match: RouteMatch = { operation: route.operation, method: route.method, scope };
    if (params.runId !== undefined) match.runId = checkRunId(decode(params.runId));
    return match;
  }
  throw userError(404, InnerCode.NotFoundError, `No API matches ${method} ${path}.`);
}
