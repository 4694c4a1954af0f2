/**
 * @module
 * The four Azure ML Execution Service calls, as upstream requests on the official paths
 * (`/execution/v1.0/subscriptions/.../experiments/{experimentName}/...`). Route values are
 * re-encoded segment by segment; bodies are rebuilt from validated values; startrun's
 * multipart body is streamed from the staged zip with a known Content-Length. Which host gets
 * them is the client's business: one fixed AZUREML_ENDPOINT, or the workspace's own endpoint
 * (endpoint-client.ts).
 * @see ../../shared/reference/azureml-execution.md §3
 */
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
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
  size: number;
  stream: () => Promise<Readable>;
}

/** startrun: `runDefinitionFile` then `projectZipFile`, as the v1 SDK sends them. */
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
  async function* body(): AsyncIterable<Uint8Array> {
    yield head;
    yield* zipStream;
    yield tail;
  }
  const sending = client.send({
    method: 'POST',
    path: `${experimentPath(path)}/startrun`,
    query: { runId },
    body: body(),
    headers: {
      'content-type': `multipart/form-data; boundary=${boundary}`,
      'content-length': String(head.length + zip.size + tail.length),
    },
    idempotent: false,
    ...o,
  });
  // A call that fails before taking the body (no credential, no endpoint discovered) would
  // leave the staged blob's stream open.
  return sending.catch((error: unknown) => {
    zipStream.destroy();
    throw error;
  });
}
