/**
 * Request factories for the Azure ML integration suites: gateway and upstream paths of an
 * experiment, a small real zip built by hand (deflate + CRC-32, local headers, central
 * directory), startrun bodies as `FormData` or as raw multipart bytes (so a test can cut one
 * short), and a look into the staging container in Azurite.
 * @example
 * const res = await postForm(gw, `${experimentPath()}/startrun`, startRunForm(definition, zip));
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, deflateRawSync, inflateRawSync } from 'node:zlib';
import { BlobServiceClient } from '@azure/storage-blob';
import { type Gateway, WORKSPACE } from './gateway.js';

export const EXPERIMENT = 'exp-a';
/** The shape of run ids the gateway mints for EXPERIMENT (`{experiment}_{epochSeconds}_{8 hex}`). */
export const MINTED_RUN_ID = /^exp-a_\d+_[0-9a-f]{8}$/;

export interface Scope {
  subscription?: string;
  resourceGroup?: string;
  workspace?: string;
  experiment?: string;
}

/** The gateway's REST path of an experiment (contract spelling, lower case). */
export function experimentPath(scope: Scope = {}): string {
  const s = { ...WORKSPACE, experiment: EXPERIMENT, ...scope };
  return (
    `/v1/execution/v1-0/subscriptions/${s.subscription}/resourcegroups/${s.resourceGroup}` +
    `/providers/microsoft-machinelearningservices/workspaces/${s.workspace}/experiments/${s.experiment}`
  );
}

/** The Execution Service path the gateway must call for the same experiment. */
export function upstreamExperimentPath(scope: Scope = {}): string {
  const s = { ...WORKSPACE, experiment: EXPERIMENT, ...scope };
  return (
    `/execution/v1.0/subscriptions/${s.subscription}/resourceGroups/${s.resourceGroup}` +
    `/providers/Microsoft.MachineLearningServices/workspaces/${s.workspace}/experiments/${s.experiment}`
  );
}

const EXAMPLES = join(__dirname, '../../examples');

/** A parsed JSON file from `examples/`. */
// biome-ignore lint/suspicious/noExplicitAny: example bodies are compared by expect(), not by types
export const example = (file: string): any => JSON.parse(readFileSync(join(EXAMPLES, file), 'utf8'));

/** `examples/project.zip`, the README's sample project. */
export const projectZip = (): Buffer => readFileSync(join(EXAMPLES, 'project.zip'));

export const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/**
 * A real zip (deflated entries, CRC-32, central directory), small enough to read by eye.
 * @example buildZip([{ name: 'train.py', data: 'print(1)\n' }])
 */
export function buildZip(entries: readonly { name: string; data: string | Buffer }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const data = Buffer.isBuffer(entry.data) ? entry.data : Buffer.from(entry.data);
    const packed = deflateRawSync(data);
    const name = Buffer.from(entry.name);
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0, 6); // flags
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt16LE(0, 10); // time
    local.writeUInt16LE(0x21, 12); // date: 1980-01-01
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4); // made by
    central.writeUInt16LE(20, 6); // needed
    central.writeUInt16LE(0, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt16LE(0, 12);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42); // local header offset (extra, comment, disk, attrs stay 0)
    locals.push(local, name, packed);
    centrals.push(central, name);
    offset += local.length + name.length + packed.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/**
 * The entries of a zip with sizes in its local headers (no data descriptors), inflated: the
 * reading side of `buildZip`, to look inside a zip the gateway streamed back.
 */
export function readZip(zip: Buffer): Record<string, string> {
  const entries: Record<string, string> = {};
  let at = 0;
  while (at + 30 <= zip.length && zip.readUInt32LE(at) === 0x04034b50) {
    const method = zip.readUInt16LE(at + 8);
    const packedSize = zip.readUInt32LE(at + 18);
    const nameLength = zip.readUInt16LE(at + 26);
    const extraLength = zip.readUInt16LE(at + 28);
    const name = zip.subarray(at + 30, at + 30 + nameLength).toString('utf8');
    const start = at + 30 + nameLength + extraLength;
    const packed = zip.subarray(start, start + packedSize);
    entries[name] = (method === 8 ? inflateRawSync(packed) : packed).toString('utf8');
    at = start + packedSize;
  }
  return entries;
}

/** The startrun form as a client sends it: `runDefinitionFile` (JSON) and `projectZipFile` (zip). */
export function startRunForm(
  definition: unknown,
  zip: Uint8Array | undefined,
  options: { definitionText?: string; omitDefinition?: boolean } = {},
): FormData {
  const form = new FormData();
  if (!options.omitDefinition) {
    const text = options.definitionText ?? JSON.stringify(definition);
    form.append('runDefinitionFile', new Blob([text], { type: 'application/json' }), 'definition.json');
  }
  if (zip) form.append('projectZipFile', new Blob([zip], { type: 'application/zip' }), 'project.zip');
  return form;
}

export interface Answer {
  status: number;
  headers: Headers;
  bytes: Buffer;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: answers are checked by expect(), not by types
  json: () => any;
}

async function answer(response: Response): Promise<Answer> {
  const bytes = Buffer.from(await response.arrayBuffer());
  const text = bytes.toString('utf8');
  return { status: response.status, headers: response.headers, bytes, text, json: () => JSON.parse(text) };
}

/** POSTs a `FormData` (fetch writes the multipart framing and boundary). */
export async function postForm(
  gw: { url: string },
  path: string,
  form: FormData,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return answer(await fetch(`${gw.url}${path}`, { method: 'POST', body: form, headers }));
}

/** POSTs bytes as they are, with the given content type. */
export async function postRaw(
  gw: { url: string },
  path: string,
  body: Uint8Array | string,
  contentType: string,
  options: { signal?: AbortSignal } = {},
): Promise<Answer> {
  return answer(
    await fetch(`${gw.url}${path}`, {
      method: 'POST',
      body,
      headers: { 'content-type': contentType },
      signal: options.signal,
    }),
  );
}

/** POSTs JSON (or nothing) and keeps the answer's raw bytes too (startlocalrun answers a zip). */
export async function postJson(
  gw: { url: string },
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return answer(
    await fetch(`${gw.url}${path}`, {
      method: 'POST',
      ...(body === undefined
        ? { headers }
        : { body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } }),
    }),
  );
}

export interface RawPart {
  name: string;
  filename?: string;
  contentType?: string;
  data: string | Uint8Array;
}

/**
 * A multipart/form-data body written by hand; `close: false` leaves out the closing delimiter
 * (a body cut short).
 */
export function multipartBody(boundary: string, parts: readonly RawPart[], { close = true } = {}): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const filename = part.filename === undefined ? '' : `; filename="${part.filename}"`;
    const type = part.contentType === undefined ? '' : `Content-Type: ${part.contentType}\r\n`;
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"${filename}\r\n${type}\r\n`,
      ),
      Buffer.from(part.data),
      Buffer.from('\r\n'),
    );
  }
  if (close) chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

export interface StagedBlob {
  name: string;
  size: number;
  metadata: Record<string, string>;
}

/** The staging container of a gateway started with `azureml`. */
function stagingContainer(gw: Gateway, container = 'staging') {
  if (!gw.azurite) throw new Error('start the gateway with { azureml: ... } to get Azurite');
  return BlobServiceClient.fromConnectionString(gw.azurite.connectionString).getContainerClient(container);
}

/** Every blob in the staging container (none when the container does not exist yet). */
export async function stagedBlobs(gw: Gateway, container = 'staging'): Promise<StagedBlob[]> {
  const client = stagingContainer(gw, container);
  if (!(await client.exists())) return [];
  const blobs: StagedBlob[] = [];
  for await (const blob of client.listBlobsFlat({ includeMetadata: true, includeSnapshots: true })) {
    blobs.push({
      name: blob.snapshot ? `${blob.name}@${blob.snapshot}` : blob.name,
      size: blob.properties.contentLength ?? -1,
      metadata: blob.metadata ?? {},
    });
  }
  return blobs;
}

/** Empties the staging container between tests. */
export async function clearStaging(gw: Gateway, container = 'staging'): Promise<void> {
  const client = stagingContainer(gw, container);
  if (!(await client.exists())) return;
  for await (const blob of client.listBlobsFlat()) {
    // A test may have leased a blob (as a slot's holder can): break that first.
    if (blob.properties.leaseState === 'leased')
      await client.getBlobClient(blob.name).getBlobLeaseClient().breakLease(0);
    await client.deleteBlob(blob.name, { deleteSnapshots: 'include' });
  }
}
