/**
 * @module
 * The four Azure ML Execution Service operations, read top to bottom like the contract
 * (specs/capabilities/execution-service-execution.yaml). Every start gets a run id (the
 * caller's, or one minted here before the call) so that a repeated request cannot start a
 * second run, and a failed start names the id it used.
 */

import { ROLES } from '../auth/roles.js';
import { assertWorkspaceAllowed } from '../azureml/allow-list.js';
import * as azureml from '../azureml/executions.js';
import {
  type ExperimentPath,
  experimentPathSchema,
  runDefinitionSchema,
  runPathSchema,
  snapshotRunDefinitionSchema,
  stagedStartRunSchema,
  startQuerySchema,
} from '../azureml/schemas.js';
import { readStartRunRequest, START_RUN_FIELDS } from '../azureml/start-run-request.js';
import { inlineZipLimit, type Settings } from '../config.js';
import { emptySchema } from '../flyte/schemas.js';
import { ClientClosedRequestError, GatewayError, UpstreamError } from '../problems/errors.js';
import { toJsonSchema, upstreamAnswer } from '../shared/json-schema.js';
import type { Logger } from '../shared/log.js';
import type { UploadBody } from '../staging/upload-body.js';
import type { UpstreamResponse } from '../upstream/http-client.js';
import { type OperationInput, operation, UPLOAD } from './operation.js';

const EXPERIMENT =
  '/v1/execution/v1-0/subscriptions/{subscriptionid}/resourcegroups/{resourcegroupname}' +
  '/providers/microsoft-machinelearningservices/workspaces/{workspacename}/experiments/{experimentname}';

/** The Execution Service's own path (DROP_IN_ROUTES), with the params named as in EXPERIMENT. */
const UPSTREAM_EXPERIMENT =
  'execution/v1.0/subscriptions/{subscriptionid}/resourceGroups/{resourcegroupname}' +
  '/providers/Microsoft.MachineLearningServices/workspaces/{workspacename}/experiments/{experimentname}';

const allow = ({ params }: { params: ExperimentPath }, settings: Settings) =>
  assertWorkspaceAllowed(params, settings.AZUREML_WORKSPACES);
const hints = { readOnly: false, destructive: false, idempotent: false };

type StartInput<B> = OperationInput<ExperimentPath, { runId?: string }, B>;

/** A start without `?runId=` gets one minted here, before the guard and the call. */
function withRunId<B>(input: StartInput<B>): StartInput<B> {
  if (input.query.runId !== undefined) return input;
  return { ...input, query: { ...input.query, runId: azureml.newRunId(input.params.experimentname) } };
}

/** The run id a start used (always set once `withRunId` has run). */
const runIdOf = (input: StartInput<unknown>) => input.query.runId as string;

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

/**
 * A startrun whose caller went away: nobody will read its answer, so what became of the run
 * is logged with its ids, and a zip this request staged (whose id nobody else knows) is
 * deleted. One named by `stagedZipId` stays for its owner unless the run started.
 */
async function afterCallerGone(
  outcome: UpstreamResponse | unknown,
  stagedNow: boolean,
  deleteZip: () => Promise<boolean>,
  ctx: { log: Logger; settings: Settings },
  runId: string,
  stagedZipId: string,
): Promise<void> {
  const runStarted = startedOrNot(outcome);
  const remove = runStarted === 'yes' ? !ctx.settings.STAGING_RETAIN : stagedNow;
  const zip = remove ? ((await deleteZip()) ? 'deleted' : 'delete_failed') : 'kept';
  ctx.log.warn('startrun.caller_gone', { runId, stagedZipId, runStarted, zip });
}

/** Whether the upstream started the run: its answer says; an abandoned send did not; else unknown. */
function startedOrNot(outcome: unknown): 'yes' | 'no' | 'unknown' {
  if (outcome instanceof ClientClosedRequestError) return outcome.upstreamMayHaveActed ? 'unknown' : 'no';
  if (outcome instanceof UpstreamError) return 'no';
  const status = (outcome as Partial<UpstreamResponse> | undefined)?.status;
  if (typeof status === 'number' && !(outcome instanceof Error)) return status < 300 ? 'yes' : 'no';
  return 'unknown';
}

/** The Execution Service's StartRunResult (its swagger, src/openapi/upstream-schemas.ts), unchanged. */
const started = () =>
  upstreamAnswer('StartRunResult', 'The run was started: the Execution Service answer, unchanged');

const startRun = operation({
  operationId: 'microsoftazurerunsstartrun',
  capability: 'azureml',
  description: 'Microsoft Azure Start A Run On A Remote Compute Target',
  rest: { method: 'POST', path: `${EXPERIMENT}/startrun` },
  upstreamPath: `${UPSTREAM_EXPERIMENT}/startrun`,
  tool: {
    name: 'microsoft-azure-start-run-remote',
    title: 'Start a run on a remote compute target',
    hints,
    upload: {
      definition: {
        argument: 'runDefinitionFile',
        schema: stagedStartRunSchema.shape.runDefinition,
        paths: [START_RUN_FIELDS.definitionFile, START_RUN_FIELDS.definition],
      },
      zipBase64: { argument: 'projectZipFile', paths: [START_RUN_FIELDS.zipFile] },
      stagedZipId: {
        argument: 'stagedZipId',
        schema: stagedStartRunSchema.shape.stagedZipId,
        paths: [START_RUN_FIELDS.stagedZipId],
      },
    },
  },
  input: { params: experimentPathSchema, query: startQuerySchema, body: UPLOAD },
  idempotent: false,
  role: ROLES.run,
  complete: withRunId,
  guard: allow,
  call: async (input, ctx) => {
    const { params, body } = input;
    const staging = ctx.staging();
    const caller = ctx.options.signal;
    // The zip goes upstream as it is staged (each byte moved once), once the definition is valid.
    const request = await readStartRunRequest(
      body as UploadBody,
      staging,
      ctx.settings.MAX_JSON_BODY_BYTES,
      ctx.settings.MAX_JSON_DEPTH,
      { streamOnce: true, signal: caller },
    );
    // On failure the staged zip is kept and named, so the run can be retried without uploading again.
    const runId = runIdOf(input);
    const deleteZip = async () => {
      const deleted = await staging.delete(request.zip.id).then(
        () => true,
        () => false,
      );
      if (!deleted) ctx.log.warn('staging.delete_failed', { stagedZipId: request.zip.id });
      return deleted;
    };
    let answer: UpstreamResponse;
    try {
      // A zip still streaming in: the answer waits until it is staged (or failed, leaving nothing).
      answer = await azureml.outcomeOnceStaged(
        request.zip.staged,
        reportOnFailure({ stagedZipId: request.zip.id, runId }, () =>
          azureml.startRun(ctx.upstream, params, runId, request.definition, request.zip, {
            ...ctx.options,
            // Once the upstream has the whole request, learn whether it started the run.
            abandonOnlyWhileSending: true,
          }),
        ),
        { runId },
      );
    } catch (error) {
      if (caller?.aborted)
        await afterCallerGone(error, request.stagedNow, deleteZip, ctx, runId, request.zip.id);
      throw error;
    }
    if (caller?.aborted) {
      // Read to the end (a small JSON answer, within the deadline): the connection is reused.
      await new Response(answer.body).arrayBuffer().catch(() => undefined);
      await afterCallerGone(answer, request.stagedNow, deleteZip, ctx, runId, request.zip.id);
      throw new ClientClosedRequestError(undefined, true);
    }
    if (answer.status < 300 && !ctx.settings.STAGING_RETAIN) await deleteZip();
    return answer;
  },
  openapi: { success: started, requestBody: startRunBody, conflict: true },
});

const startSnapshotRun = operation({
  operationId: 'microsoftazurerunsstartsnapshotrun',
  capability: 'azureml',
  description: 'Microsoft Azure Start A Run From A Snapshot On A Remote Compute Target',
  rest: { method: 'POST', path: `${EXPERIMENT}/snapshotrun` },
  upstreamPath: `${UPSTREAM_EXPERIMENT}/snapshotrun`,
  tool: {
    name: 'microsoft-azure-start-run-snapshot',
    title: 'Start a run from a snapshot',
    hints,
    bodyArgument: 'definition',
  },
  input: { params: experimentPathSchema, query: startQuerySchema, body: snapshotRunDefinitionSchema },
  idempotent: false,
  role: ROLES.run,
  complete: withRunId,
  guard: allow,
  call: (input, ctx) =>
    reportOnFailure({ runId: runIdOf(input) }, () =>
      azureml.startSnapshotRun(ctx.upstream, input.params, runIdOf(input), input.body, ctx.options),
    ),
  openapi: { success: started, conflict: true },
});

const startLocalRun = operation({
  operationId: 'microsoftazurerunsstartlocalrun',
  capability: 'azureml',
  description: 'Microsoft Azure Start A Run On A Local Machine',
  rest: { method: 'POST', path: `${EXPERIMENT}/startlocalrun` },
  upstreamPath: `${UPSTREAM_EXPERIMENT}/startlocalrun`,
  tool: {
    name: 'microsoft-azure-start-run-local',
    title: 'Start a run on a local machine',
    hints,
    bodyArgument: 'definition',
    // The answer is the invocation zip: a resource named after the run.
    resourceUri: (input, file) =>
      `azureml://runs/${encodeURIComponent(runIdOf(input))}/${encodeURIComponent(file)}`,
  },
  input: { params: experimentPathSchema, query: startQuerySchema, body: runDefinitionSchema },
  idempotent: false,
  role: ROLES.run,
  complete: withRunId,
  guard: allow,
  call: (input, ctx) =>
    reportOnFailure({ runId: runIdOf(input) }, () =>
      azureml.startLocalRun(ctx.upstream, input.params, runIdOf(input), input.body, ctx.options),
    ),
  openapi: {
    success: () => ({
      '200': {
        description: 'The Execution Service answer, streamed unchanged',
        content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
      },
    }),
    conflict: true,
  },
});

export const cancelRun = operation({
  operationId: 'microsoftazurerunscancelrunwithuri',
  capability: 'azureml',
  description: 'Microsoft Azure Cancel A Run',
  rest: { method: 'POST', path: `${EXPERIMENT}/runid/{runid}/cancel` },
  upstreamPath: `${UPSTREAM_EXPERIMENT}/runId/{runid}/cancel`,
  tool: { name: 'microsoft-azure-cancel-run', title: 'Cancel a run', hints },
  input: { params: runPathSchema, query: emptySchema },
  idempotent: false,
  role: ROLES.cancel,
  guard: allow,
  call: ({ params }, ctx) => azureml.cancelRun(ctx.upstream, params, ctx.options),
  openapi: {
    success: () =>
      upstreamAnswer('StartRunResult', 'The run is being canceled: the Execution Service answer, unchanged'),
    conflict: true,
  },
});

export const azuremlOperations = [startRun, startSnapshotRun, startLocalRun, cancelRun];

/** startrun's body: multipart (definition and zip), or JSON naming a zip staged before. */
function startRunBody(settings: Settings) {
  return {
    required: true,
    description:
      'The run definition and the project zip as multipart parts, or (for a zip staged by an upload ' +
      `slot or a failed start) JSON naming the staged zip. A zip sent inline may take ${inlineZipLimit(settings)} ` +
      'bytes (413 above it); the whole request at most ' +
      `${settings.FUNCTIONS_REQUEST_BODY_SIZE_LIMIT} bytes, the Functions host's limit, over which the host ` +
      'itself answers 500 before the gateway runs. Send larger zips (up to ' +
      `${settings.MAX_PROJECT_ZIP_BYTES} bytes) through an upload slot: POST /v1/uploads, PUT the zip to ` +
      'its uploadUrl, then this operation with {"runDefinition", "stagedZipId"}.',
    content: {
      'multipart/form-data': {
        schema: {
          type: 'object',
          required: ['runDefinitionFile', 'projectZipFile'],
          properties: {
            runDefinitionFile: { ...toJsonSchema(runDefinitionSchema), description: 'RunDefinition (JSON)' },
            projectZipFile: {
              type: 'string',
              format: 'binary',
              contentMediaType: 'application/zip',
              description: 'The project folder as a zip',
            },
          },
        },
        encoding: {
          runDefinitionFile: { contentType: 'application/json' },
          projectZipFile: { contentType: 'application/zip, application/octet-stream' },
        },
      },
      'application/json': { schema: toJsonSchema(stagedStartRunSchema) },
    },
  };
}
