/**
 * Test helpers for the Azure ML emulator suites: path builders, a fetch wrapper returning status, headers,
 * text, JSON and bytes, multipart bodies built by hand (for framing cases `FormData` cannot produce), an
 * independent zip reader (central directory, inflate, CRC-32) to check what the emulator sends, and a
 * raw node:http request for dropped connections.
 */
import { request as httpRequest } from 'node:http';
import { crc32, inflateRawSync } from 'node:zlib';
import { writeZip } from '../../../sandbox/azureml/zip-writer.js';

export const SUB = '6a1c2f3e-4b5d-4e6f-8a9b-0c1d2e3f4a5b';
export const RG = 'rg-ml';
export const WS = 'ws-ml';
export const EXP = 'exp-a';
export const SNAPSHOT = '0b7e9d2c-1a3f-4c5e-9d8b-7a6f5e4d3c2b';

/** `/execution/v1.0/…/experiments/{exp}` (no trailing slash). */
export function experimentPath(
  scope: { sub?: string; rg?: string; ws?: string; exp?: string } = {},
  service: 'execution' | 'history' = 'execution',
): string {
  const { sub = SUB, rg = RG, ws = WS, exp = EXP } = scope;
  return (
    `/${service}/v1.0/subscriptions/${sub}/resourceGroups/${rg}/providers/` +
    `Microsoft.MachineLearningServices/workspaces/${ws}/experiments/${exp}`
  );
}

/** History path of one run. */
export const historyPath = (runId: string, scope = {}) => `${experimentPath(scope, 'history')}/runs/${runId}`;

export interface AmlResponse {
  status: number;
  headers: Headers;
  bytes: Buffer;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON shapes
  json: any;
}

export interface CallOptions {
  /** JSON-encoded with `Content-Type: application/json` unless `contentType` says otherwise. */
  json?: unknown;
  body?: string | Buffer | FormData;
  contentType?: string;
  headers?: Record<string, string>;
}

export async function call(
  baseUrl: string,
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<AmlResponse> {
  const headers: Record<string, string> = { ...options.headers };
  let body = options.body;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] = 'application/json';
  }
  if (options.contentType !== undefined) headers['content-type'] = options.contentType;
  const response = await fetch(`${baseUrl}${path}`, { method, headers, body });
  const bytes = Buffer.from(await response.arrayBuffer());
  const text = bytes.toString('utf8');
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, bytes, text, json };
}

/** A small real project zip. */
export function projectZip(files: Record<string, string> = { 'train.py': 'print("hello")\n' }): Buffer {
  return writeZip(
    Object.entries(files).map(([name, data]) => ({ name, data })),
    Date.UTC(2026, 0, 15),
  );
}

/** A run definition like the v1 SDK's (PascalCase top level, camelCase inside). */
export function definition(extra: Record<string, unknown> = {}) {
  return {
    Configuration: {
      script: 'train.py',
      arguments: ['--epochs', '3'],
      target: 'cpu-cluster',
      framework: 'Python',
    },
    TelemetryValues: { amlClientType: 'azureml-sdk-core' },
    ...extra,
  };
}

/** A `FormData` body for `startrun`, as a gateway built on fetch would send it. */
export function startRunForm(def: unknown = definition(), zip: Buffer = projectZip()): FormData {
  const form = new FormData();
  form.append(
    'runDefinitionFile',
    new Blob([JSON.stringify(def)], { type: 'application/json' }),
    'definition.json',
  );
  form.append('projectZipFile', new Blob([zip], { type: 'application/zip' }), 'project.zip');
  return form;
}

export interface RawPart {
  headers: string[];
  data: Buffer | string;
}

/** A multipart body assembled byte by byte; `close: false` leaves out the closing delimiter. */
export function rawMultipart(
  boundary: string,
  parts: RawPart[],
  { preamble = '', close = true }: { preamble?: string; close?: boolean } = {},
): Buffer {
  const chunks: Buffer[] = [Buffer.from(preamble)];
  for (const [index, part] of parts.entries()) {
    const lead = index === 0 && preamble === '' ? '' : '\r\n';
    chunks.push(Buffer.from(`${lead}--${boundary}\r\n${part.headers.map((h) => `${h}\r\n`).join('')}\r\n`));
    chunks.push(Buffer.isBuffer(part.data) ? part.data : Buffer.from(part.data));
  }
  if (close) chunks.push(Buffer.from(`\r\n--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

/** One entry read back from a zip by {@link readZip}. */
export interface ZipEntryRead {
  name: string;
  method: number;
  data: Buffer;
  crcOk: boolean;
  unixMode: number;
}

/** Reads a zip through its end record and central directory (independently of the emulator's writer). */
export function readZip(zip: Buffer): ZipEntryRead[] {
  const endAt = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (endAt === -1) throw new Error('no end of central directory record');
  const count = zip.readUInt16LE(endAt + 10);
  let at = zip.readUInt32LE(endAt + 16);
  const entries: ZipEntryRead[] = [];
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error(`bad central header at ${at}`);
    const method = zip.readUInt16LE(at + 10);
    const crc = zip.readUInt32LE(at + 16);
    const packedSize = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const external = zip.readUInt32LE(at + 38);
    const localAt = zip.readUInt32LE(at + 42);
    const name = zip.subarray(at + 46, at + 46 + nameLength).toString('utf8');
    if (zip.readUInt32LE(localAt) !== 0x04034b50) throw new Error(`bad local header for ${name}`);
    const dataAt = localAt + 30 + zip.readUInt16LE(localAt + 26) + zip.readUInt16LE(localAt + 28);
    const packed = zip.subarray(dataAt, dataAt + packedSize);
    const data = method === 8 ? inflateRawSync(packed) : Buffer.from(packed);
    entries.push({ name, method, data, crcOk: crc32(data) === crc, unixMode: (external >>> 16) & 0o777 });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** A clock tests move by hand; pass `clock.now` as the emulator's `now`. */
export function manualClock(start = Date.UTC(2026, 0, 15, 2, 0, 0, 51)) {
  let current = start;
  return {
    now: () => current,
    advance(ms: number) {
      current += ms;
    },
    set(ms: number) {
      current = ms;
    },
  };
}

/** A request on a fresh connection, so a dropped socket surfaces as an error instead of a fetch retry. */
export function rawRequest(
  baseUrl: string,
  method: string,
  path: string,
): Promise<{ status: number; body: string } | { error: NodeJS.ErrnoException }> {
  return new Promise((resolve) => {
    const req = httpRequest(`${baseUrl}${path}`, { method, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ error }));
    req.end();
  });
}

export { pollUntil } from '../../helpers/poll.js';
