/**
 * @module
 * The four Azure ML Execution Service operations, read top to bottom like the contract
 * (specs/capabilities/execution-service-execution.yaml). Every start gets a run id (the
 * caller's, or one minted here) so that a repeated request cannot start a second run.
 */
import { assertWorkspaceAllowed } from '../azureml/allow-list.js';
import * as azureml from '../azureml/executions.js';
import {
  type ExperimentPath,
  experimentPathSchema,
  runDefinitionSchema,
  runPathSchema,
  snapshotRunDefinitionSchema,
  startQuerySchema,
} from '../azureml/schemas.js';
import { readStartRunRequest } from '../azureml/start-run-request.js';
import { emptySchema } from '../flyte/schemas.js';
import { GatewayError } from '../problems/errors.js';
import type { UpstreamResponse } from '../upstream/http-client.js';
import { type OperationContext, operation, STREAMED_BODY, type StreamedBody } from './operation.js';

const EXPERIMENT =
  '/v1/execution/v1-0/subscriptions/{subscriptionid}/resourcegroups/{resourcegroupname}' +
  '/providers/microsoft-machinelearningservices/workspaces/{workspacename}/experiments/{experimentname}';

const allow = ({ params }: { params: ExperimentPath }, ctx: OperationContext) =>
  assertWorkspaceAllowed(params, ctx.runtime.settings.AZUREML_WORKSPACES);
const call = (ctx: OperationContext) => ({
  correlation: ctx.correlation,
  signal: ctx.signal,
  retry: ctx.retry,
});
const hints = { readOnly: false, destructive: false, idempotent: false };

/**
 * Adds `extensions` to the problem of a failed start (upstream answer or transport error):
 * the run id it used, so that a retry with the same `?runId=` is refused as a duplicate if
 * the upstream did start the run, and for startrun the staged zip's id.
 */
async function reportOnFailure(
  extensions: Record<string, string>,
  start: () => Promise<UpstreamResponse>,
): Promise<UpstreamResponse> {
  try {
    const answer = await start();
    return answer.status >= 300 ? { ...answer, extensions } : answer;
  } catch (error) {
    if (error instanceof GatewayError) Object.assign(error.extensions, extensions);
    throw error;
  }
}

/** Starts with the caller's run id, or one minted here, and reports it on failure. */
function startWithRunId(
  query: { runId?: string },
  experiment: string,
  start: (runId: string) => Promise<UpstreamResponse>,
): Promise<UpstreamResponse> {
  const runId = query.runId ?? azureml.newRunId(experiment);
  return reportOnFailure({ runId }, () => start(runId));
}

export const startRun = operation({
  seed: 'microsoftazurerunsstartrun',
  capability: 'azureml',
  description: 'Microsoft Azure Start A Run On A Remote Compute Target',
  rest: { method: 'POST', path: `${EXPERIMENT}/startrun` },
  tool: { name: 'microsoft-azure-start-run-remote', title: 'Start a run on a remote compute target', hints },
  input: { params: experimentPathSchema, query: startQuerySchema, body: STREAMED_BODY },
  idempotent: false,
  guard: allow,
  call: async ({ params, query, body }, ctx) => {
    const staging = ctx.runtime.staging();
    const client = ctx.runtime.azureml();
    const request = await readStartRunRequest(
      body as StreamedBody,
      staging,
      ctx.runtime.settings.MAX_JSON_BODY_BYTES,
    );
    const runId = query.runId ?? azureml.newRunId(params.experimentname);
    // On failure the staged zip is kept and named, so the run can be retried without uploading again.
    const answer = await reportOnFailure({ stagedZipId: request.zip.id, runId }, () =>
      azureml.startRun(client, params, runId, request.definition, request.zip, call(ctx)),
    );
    if (answer.status < 300 && !ctx.runtime.settings.STAGING_RETAIN) {
      await staging
        .delete(request.zip.id)
        .catch(() => ctx.log.warn('staging.delete_failed', { stagedZipId: request.zip.id }));
    }
    return answer;
  },
});

export const startSnapshotRun = operation({
  seed: 'microsoftazurerunsstartsnapshotrun',
  capability: 'azureml',
  description: 'Microsoft Azure Start A Run From A Snapshot On A Remote Compute Target',
  rest: { method: 'POST', path: `${EXPERIMENT}/snapshotrun` },
  tool: { name: 'microsoft-azure-start-run-snapshot', title: 'Start a run from a snapshot', hints },
  input: { params: experimentPathSchema, query: startQuerySchema, body: snapshotRunDefinitionSchema },
  idempotent: false,
  guard: allow,
  call: ({ params, query, body }, ctx) =>
    startWithRunId(query, params.experimentname, (runId) =>
      azureml.startSnapshotRun(ctx.runtime.azureml(), params, runId, body, call(ctx)),
    ),
});

export const startLocalRun = operation({
  seed: 'microsoftazurerunsstartlocalrun',
  capability: 'azureml',
  description: 'Microsoft Azure Start A Run On A Local Machine',
  rest: { method: 'POST', path: `${EXPERIMENT}/startlocalrun` },
  tool: { name: 'microsoft-azure-start-run-local', title: 'Start a run on a local machine', hints },
  input: { params: experimentPathSchema, query: startQuerySchema, body: runDefinitionSchema },
  idempotent: false,
  guard: allow,
  call: ({ params, query, body }, ctx) =>
    startWithRunId(query, params.experimentname, (runId) =>
      azureml.startLocalRun(ctx.runtime.azureml(), params, runId, body, call(ctx)),
    ),
});

export const cancelRun = operation({
  seed: 'microsoftazurerunscancelrunwithuri',
  capability: 'azureml',
  description: 'Microsoft Azure Cancel A Run',
  rest: { method: 'POST', path: `${EXPERIMENT}/runid/{runid}/cancel` },
  tool: { name: 'microsoft-azure-cancel-run', title: 'Cancel a run', hints },
  input: { params: runPathSchema, query: emptySchema },
  idempotent: false,
  guard: allow,
  call: ({ params }, ctx) => azureml.cancelRun(ctx.runtime.azureml(), params, call(ctx)),
});

export const azuremlOperations = [startRun, startSnapshotRun, startLocalRun, cancelRun];
