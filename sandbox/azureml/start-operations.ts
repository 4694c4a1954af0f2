/**
 * The three start operations of the Execution Service: `startrun` (multipart: `runDefinitionFile` +
 * `projectZipFile`), `snapshotrun` (JSON RunDefinition with `snapshotId`) and `startlocalrun` (JSON in,
 * an invocation-bundle zip out). Each validates in the order a model binder would — query, content type,
 * size, body — then refuses a run id already used in the experiment (409) and stores the run.
 * @module
 */

import type { BodyBytes } from '../common/http-io.js';
import { InnerCode } from './constants.js';
import { userError, validationError } from './errors.js';
import { formDataBoundary, parseHeaderParams, type StreamedPart } from './multipart.js';
import type { ResolvedOptions } from './options.js';
import { checkRunId, type RouteMatch } from './routes.js';
import { type JsonObject, parseRunDefinition, readFields } from './run-definition.js';
import type { StartRunBody } from './start-run-body.js';
import type { ReceivedZip, RunStore, StartOperation } from './store.js';
import { looksLikeZip } from './zip-writer.js';

export interface OperationContext {
  options: ResolvedOptions;
  store: RunStore;
  match: RouteMatch;
  query: URLSearchParams;
  contentType: string | undefined;
  /** A startrun's body as read while it streamed; any other operation's body, buffered. */
  body: BodyBytes | StartRunBody;
  now: number;
}

function isStartRunBody(body: BodyBytes | StartRunBody): body is StartRunBody {
  return 'journal' in body;
}

/** The run id of a start: the `runId` query parameter (name matched case-insensitively) or a generated one. */
function resolveRunId(context: OperationContext): string {
  const values = [...context.query.entries()].filter(([name]) => name.toLowerCase() === 'runid');
  if (values.length > 1) throw validationError('The runId query parameter is given more than once.', 'runId');
  const given = values[0]?.[1];
  return given === undefined
    ? context.store.generateRunId(context.match.scope, context.now)
    : checkRunId(given);
}

function tooLarge(what: string, limit: number, target: string | null = null) {
  return userError(413, InnerCode.PayloadTooLarge, `${what} exceeds the limit of ${limit} bytes.`, target);
}

function requireJson(context: OperationContext): JsonObject {
  const { body } = context;
  if (isStartRunBody(body)) throw new Error('a JSON operation got a streamed startrun body');
  const type = context.contentType === undefined ? '' : parseHeaderParams(context.contentType).type;
  if (!/^(application\/json|text\/json|application\/[\w.+-]+\+json)$/.test(type))
    throw userError(
      415,
      InnerCode.UnsupportedMediaType,
      `Content-Type '${context.contentType ?? ''}' is not supported; send application/json.`,
    );
  if (body.overflowed) throw tooLarge('The request body', body.bytes.length);
  return parseRunDefinition(body.bytes.toString('utf8'), 'definition');
}

/** The single file part named `name`; 400 when missing, repeated or not a file. */
function filePart(parts: StreamedPart[], name: string): StreamedPart & { filename: string } {
  const found = parts.filter((part) => part.name === name);
  if (found.length === 0) throw validationError(`The multipart part '${name}' is required.`, name);
  if (found.length > 1) throw validationError(`The multipart part '${name}' is given more than once.`, name);
  const part = found[0] as StreamedPart;
  if (part.filename === undefined)
    throw validationError(
      `The multipart part '${name}' must be a file (Content-Disposition filename).`,
      name,
    );
  return { ...part, filename: part.filename };
}

function store(
  context: OperationContext,
  operation: StartOperation,
  runId: string,
  definition: JsonObject,
  requireSnapshot: boolean,
  extra: { zip?: ReceivedZip; definitionFilename?: string } = {},
) {
  const fields = readFields(definition, requireSnapshot);
  const { scope } = context.match;
  if (context.store.has(scope, runId))
    throw userError(
      409,
      InnerCode.RunIdAlreadyExists,
      `A run with id '${runId}' already exists in experiment '${scope.experimentName}'.`,
      'runId',
    );
  const { experimentName } = scope;
  return context.store.insert({
    ...scope,
    ...fields,
    runId,
    operation,
    definition,
    ...extra,
    createdAt: context.now,
    finalStatus: context.options.finalStatus({
      experimentName,
      runId,
      definition: structuredClone(definition),
    }),
  });
}

/** `POST …/startrun`: multipart with the run definition and the project zip. */
export function startRun(context: OperationContext): { runId: string } {
  const runId = resolveRunId(context);
  const boundary = formDataBoundary(context.contentType);
  if (boundary === undefined)
    throw userError(
      415,
      InnerCode.UnsupportedMediaType,
      `Content-Type '${context.contentType ?? ''}' is not supported; send multipart/form-data.`,
    );
  const { body } = context;
  if (!isStartRunBody(body)) throw new Error('startrun got a buffered body, not a streamed one');
  const { maxZipBytes } = context.options;
  if (body.overflowed) throw tooLarge('projectZipFile', maxZipBytes, 'projectZipFile');
  // The multipart was parsed as it arrived (start-run-body.ts); its first fault is answered here.
  if (body.form === undefined) throw new Error('startrun body was not parsed as multipart');
  if ('error' in body.form) throw body.form.error;
  const { parts } = body.form;
  const definitionPart = filePart(parts, 'runDefinitionFile');
  const zipPart = filePart(parts, 'projectZipFile');
  const definitionText = (definitionPart.data ?? Buffer.alloc(0)).toString('utf8');
  const definition = parseRunDefinition(definitionText, 'runDefinitionFile');
  if (zipPart.size > maxZipBytes) throw tooLarge('projectZipFile', maxZipBytes, 'projectZipFile');
  if (!looksLikeZip(zipPart.head))
    throw validationError('projectZipFile is not a zip archive (no PK signature).', 'projectZipFile');
  if (zipPart.sha256 === undefined) throw new Error('projectZipFile was not hashed as it arrived');
  const zip: ReceivedZip = { bytes: zipPart.size, sha256: zipPart.sha256, filename: zipPart.filename };
  store(context, 'startrun', runId, definition, false, { zip, definitionFilename: definitionPart.filename });
  return { runId };
}

/** `POST …/snapshotrun`: JSON RunDefinition that names an uploaded snapshot. */
export function startSnapshotRun(context: OperationContext): { runId: string } {
  const runId = resolveRunId(context);
  const definition = requireJson(context);
  store(context, 'snapshotrun', runId, definition, true);
  return { runId };
}

/** `POST …/startlocalrun`: JSON RunDefinition; the caller gets the invocation bundle to run locally. */
export function startLocalRun(context: OperationContext): { runId: string; script?: string } {
  const runId = resolveRunId(context);
  const definition = requireJson(context);
  const record = store(context, 'startlocalrun', runId, definition, false);
  return record.script === undefined ? { runId } : { runId, script: record.script };
}
