/**
 * @module
 * The four Azure ML Execution Service calls, as upstream requests on the official paths
 * (`/execution/v1.0/subscriptions/.../experiments/{experimentName}/...`). Route values are
 * re-encoded segment by segment; bodies are rebuilt from validated values; startrun's
 * multipart body streams the zip as it is staged (chunked), or from a zip staged before (with
 * its Content-Length). Which host gets
 * them is the client's business: one fixed AZUREML_ENDPOINT, or the workspace's own endpoint
 * (endpoint-client.ts).
 * @see ../../shared/reference/azureml-execution.md §3
 */
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { ClientClosedRequestError, GatewayError } from '../problems/errors.js';
import type { CallOptions, UpstreamClient, UpstreamResponse } from '../upstream/http-client.js';
import type { ExperimentPath, RunDefinition, RunPath } from './schemas.js';

const seg = encodeURIComponent;

function experimentPath(p: ExperimentPath): string {
  return (
    `/execution/v1.0/subscriptions/${seg(p.subscriptionid)}/resourceGroups/${seg(p.resourcegroupname)}` +
    `/providers/Microsoft.MachineLearningServices/workspaces/${seg(p.workspacename)}` +
    `/experiments/${seg(p.experimentname)}`
  );
}

/**
 * A client-side run id in the v1 SDK's format (`{experiment}_{epochSeconds}_{8 hex}`): with
 * an id of its own, a repeated start is refused as a duplicate instead of starting twice.
 */
export function newRunId(experiment: string, now = Date.now()): string {
  const suffix = `_${Math.floor(now / 1000)}_${randomBytes(4).toString('hex')}`;
  return experiment.slice(0, 256 - suffix.length) + suffix;
}

function postDefinition(
  client: UpstreamClient,
  path: ExperimentPath,
  operation: 'snapshotrun' | 'startlocalrun',
  runId: string,
  definition: RunDefinition,
  o: CallOptions,
  headers?: Record<string, string>,
): Promise<UpstreamResponse> {
  return client.send({
    method: 'POST',
    path: `${experimentPath(path)}/${operation}`,
    query: { runId },
    body: JSON.stringify(definition),
    idempotent: false,
    headers,
    ...o,
  });
}

export function startSnapshotRun(
  client: UpstreamClient,
  path: ExperimentPath,
  runId: string,
  definition: RunDefinition,
  o: CallOptions,
): Promise<UpstreamResponse> {
  return postDefinition(client, path, 'snapshotrun', runId, definition, o);
}

/** The answer is a zip (the invocation bundle), streamed back as it comes. */
export function startLocalRun(
  client: UpstreamClient,
  path: ExperimentPath,
  runId: string,
  definition: RunDefinition,
  o: CallOptions,
): Promise<UpstreamResponse> {
  return postDefinition(client, path, 'startlocalrun', runId, definition, o, {
    accept: 'application/octet-stream, application/json',
  });
}

export function cancelRun(client: UpstreamClient, path: RunPath, o: CallOptions): Promise<UpstreamResponse> {
  return client.send({
    method: 'POST',
    path: `${experimentPath(path)}/runId/${seg(path.runid)}/cancel`,
    idempotent: false,
    ...o,
  });
}

export interface ZipSource {
  /** The zip's length; absent for a zip still streaming in (the request then goes chunked). */
  size?: number;
  stream: () => Promise<Readable>;
  /**
   * For a zip still streaming in (staged while it is sent): settles once it is staged. The
   * request's closing boundary waits for it and a failure aborts the request, so the upstream
   * never holds a whole request, and never starts a run, for a zip that is not staged.
   */
  staged?: Promise<unknown>;
}

/**
 * startrun: `runDefinitionFile` then `projectZipFile`, as the v1 SDK sends them. With a known
 * size the body has a Content-Length (as the SDK's); without one it is sent chunked, which
 * HTTP/1.1 servers must accept (RFC 9112 §6.1; ASP.NET Core reads chunked bodies).
 */
export async function startRun(
  client: UpstreamClient,
  path: ExperimentPath,
  runId: string,
  definition: RunDefinition,
  zip: ZipSource,
  o: CallOptions,
): Promise<UpstreamResponse> {
  const boundary = `----execution-gateway-${randomBytes(12).toString('hex')}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="runDefinitionFile"; filename="definition.json"\r\n` +
      `Content-Type: application/json\r\n\r\n${JSON.stringify(definition)}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="projectZipFile"; filename="project.zip"\r\n` +
      'Content-Type: application/zip\r\n\r\n',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const zipStream = await zip.stream();
  let started = false;
  async function* body(): AsyncIterable<Uint8Array> {
    started = true;
    yield head;
    try {
      yield* zipStream;
      if (zip.staged) await zip.staged;
    } catch (error) {
      // Not the failure itself: the call's error is the upstream's (it gets the retry ids),
      // the staging's stays the caller's answer (outcomeOnceStaged).
      throw new Error('the project zip did not arrive whole', { cause: error });
    }
    yield tail;
  }
  const headers: Record<string, string> = { 'content-type': `multipart/form-data; boundary=${boundary}` };
  if (zip.size !== undefined) headers['content-length'] = String(head.length + zip.size + tail.length);
  const sending = client.send({
    method: 'POST',
    path: `${experimentPath(path)}/startrun`,
    query: { runId },
    body: body(),
    headers,
    idempotent: false,
    ...o,
  });
  // A call that fails before taking the body (no credential, no endpoint discovered), or an
  // answer before a byte of it was read, would leave the zip's stream open (and a zip still
  // streaming in waiting for this reader).
  return sending.then(
    (answer) => {
      if (!started) zipStream.destroy();
      return answer;
    },
    (error: unknown) => {
      zipStream.destroy();
      throw error;
    },
  );
}

/**
 * The outcome of a startrun whose zip was still streaming in (`ZipSource.staged`), once both the
 * call and the staging have settled: an answer only stands with the zip staged, so that a failed
 * answer's `stagedZipId` names a complete blob. Staging failed: the request's end waited for it,
 * so no run started and nothing is left; the answer is the staging's failure (a caller that left
 * stays a caller that left). A 2xx stands whatever staging did: the run started.
 * `extensions` go on the staging's failure (the retry ids of the call's own do not apply).
 * @example
 * const answer = await outcomeOnceStaged(zip.staged, startRun(client, path, runId, definition, zip, o), { runId });
 */
export async function outcomeOnceStaged(
  staged: Promise<unknown> | undefined,
  call: Promise<UpstreamResponse>,
  extensions: Record<string, string> = {},
): Promise<UpstreamResponse> {
  if (!staged) return call;
  const [outcome, zip] = await Promise.allSettled([call, staged]);
  if (zip.status === 'fulfilled' || (outcome.status === 'fulfilled' && outcome.value.status < 300)) {
    if (outcome.status === 'rejected') throw outcome.reason;
    return outcome.value;
  }
  if (outcome.status === 'rejected' && outcome.reason instanceof ClientClosedRequestError)
    throw outcome.reason;
  if (outcome.status === 'fulfilled') await outcome.value.body.cancel().catch(() => undefined);
  if (zip.reason instanceof GatewayError) Object.assign(zip.reason.extensions, extensions);
  throw zip.reason;
}
