/**
 * @module
 * Reads a startrun body, in any of its forms (`UploadBody`). From the request's stream:
 * `multipart/form-data` (parts `runDefinitionFile` and `projectZipFile`) streams through
 * busboy — the definition (small JSON) is collected under the JSON cap, the zip goes straight
 * into staging — or a JSON body `{ "runDefinition": {...}, "stagedZipId": "..." }` names a zip
 * staged earlier (a retry, or an upload slot). From MCP arguments: the definition with the
 * zip's bytes (staged here) or a staged zip's id. Whatever fails, a zip staged by this request
 * is not left behind. A multipart body whose Content-Length is over what a startrun may carry
 * is refused before a byte is read; the definition, in every form, must be UTF-8 JSON nested no
 * deeper than `MAX_JSON_DEPTH`.
 */
import { Readable } from 'node:stream';
import type { Busboy, BusboyFileStream } from '@fastify/busboy';
import type { z } from 'zod';
import {
  ClientClosedRequestError,
  InlineZipTooLargeError,
  MalformedJsonError,
  MalformedMultipartError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../problems/errors.js';
import { toFieldErrors } from '../shared/field-errors.js';
import { assertJsonDepth, DEFAULT_MAX_JSON_DEPTH, parseJsonBytes } from '../shared/json-text.js';
import { busboy } from '../shared/lazy-require.js';
import { declaresMoreThan } from '../shared/read-capped.js';
import { readJsonBody } from '../shared/read-json-body.js';
import type { UploadBody } from '../staging/upload-body.js';
import type { ForwardedZip, StagedZip, ZipStaging } from '../staging/zip-staging.js';
import type { ZipSource } from './executions.js';
import { type RunDefinition, runDefinitionSchema, stagedStartRunSchema } from './schemas.js';

export interface StartRunRequest {
  definition: RunDefinition;
  /**
   * The zip. With `staged` it is still streaming in (`streamOnce`): read its `stream` once, for
   * the upstream request, while staging goes on; `staged` settles when it is staged and the
   * whole request has been read (or with the failure, once nothing is left behind).
   */
  zip: ZipSource & { id: string; staged?: Promise<StagedZip> };
  /** True when this request staged the zip (so a failed validation removes it). */
  stagedNow: boolean;
}

export interface ReadOptions {
  /**
   * Hand a multipart zip on as it is staged (when the definition came first) instead of once
   * it is staged: the caller sends it upstream while it streams in.
   */
  streamOnce?: boolean;
  /** The caller's signal: while the zip streams in, a caller that leaves ends the staging. */
  signal?: AbortSignal;
}

/** The field paths problems name for each part of a startrun body. */
export const START_RUN_FIELDS = {
  definitionFile: 'body.runDefinitionFile',
  definition: 'body.runDefinition',
  zipFile: 'body.projectZipFile',
  stagedZipId: 'body.stagedZipId',
} as const;
const DEFINITION = START_RUN_FIELDS.definitionFile;
const ZIP = START_RUN_FIELDS.zipFile;

/** Multipart framing and run definition around an inline zip (config.ts, MULTIPART_ALLOWANCE). */
const MULTIPART_ALLOWANCE = 1024 * 1024;

/**
 * @example
 * const { definition, zip } = await readStartRunRequest(raw, staging, settings.MAX_JSON_BODY_BYTES, settings.MAX_JSON_DEPTH);
 */
export async function readStartRunRequest(
  body: UploadBody,
  staging: ZipStaging,
  jsonLimit: number,
  maxDepth = DEFAULT_MAX_JSON_DEPTH,
  options: ReadOptions = {},
): Promise<StartRunRequest> {
  if (body.from === 'staged') {
    assertJsonDepth(body.definition, maxDepth, START_RUN_FIELDS.definition);
    return openStaged({ runDefinition: body.definition, stagedZipId: body.stagedZipId }, staging);
  }
  if (body.from === 'bytes') {
    assertJsonDepth(body.definition, maxDepth, START_RUN_FIELDS.definition);
    return stageBytes(body.definition, body.zip, staging);
  }
  return readStream(body, staging, jsonLimit, maxDepth, options);
}

/** The most a multipart startrun may carry: the inline zip cap plus room for the rest. */
function multipartLimit(staging: ZipStaging): number {
  return staging.inlineLimit() + MULTIPART_ALLOWANCE;
}

/** The retry form: a definition and the id of a zip staged before. */
async function openStaged(body: unknown, staging: ZipStaging): Promise<StartRunRequest> {
  const parsed = parse(stagedStartRunSchema, body, 'body');
  const zip = await staging.open(parsed.stagedZipId, START_RUN_FIELDS.stagedZipId);
  return { definition: parsed.runDefinition, zip, stagedNow: false };
}

/** A zip given whole (an MCP argument): the definition is checked before anything is staged. */
async function stageBytes(
  definition: unknown,
  bytes: Uint8Array,
  staging: ZipStaging,
): Promise<StartRunRequest> {
  const checked = parse(runDefinitionSchema, definition, START_RUN_FIELDS.definition);
  const { id, size } = await staging.stage(Readable.from([bytes]), ZIP);
  return {
    definition: checked,
    zip: { id, size, stream: async () => (await staging.open(id, ZIP)).stream() },
    stagedNow: true,
  };
}

async function readStream(
  raw: Extract<UploadBody, { from: 'stream' }>,
  staging: ZipStaging,
  jsonLimit: number,
  maxDepth: number,
  options: ReadOptions,
): Promise<StartRunRequest> {
  const type = raw.headers.get('content-type') ?? '';
  const essence = type.split(';')[0]?.trim().toLowerCase();
  if (essence === 'application/json') {
    return openStaged(await readJsonBody(raw.stream, raw.headers, jsonLimit, maxDepth), staging);
  }
  if (essence !== 'multipart/form-data') {
    await raw.stream?.cancel().catch(() => undefined);
    throw new UnsupportedMediaTypeError(type, 'multipart/form-data (or application/json with a stagedZipId)');
  }
  if (declaresMoreThan(raw.headers, multipartLimit(staging))) {
    await raw.stream?.cancel().catch(() => undefined);
    throw new InlineZipTooLargeError(staging.inlineLimit());
  }
  const read = await readMultipart(raw, staging, jsonLimit, options);
  if (read.live) return streamingRequest(read.live, maxDepth);
  const parts = read.parts;
  try {
    if (parts.definition === undefined)
      throw new ValidationError([{ path: DEFINITION, message: 'is required' }]);
    if (!parts.staged) throw new ValidationError([{ path: ZIP, message: 'is required' }]);
    const definition = readDefinition(parts.definition, maxDepth);
    const { id, size } = parts.staged;
    return {
      definition,
      zip: { id, size, stream: async () => (await staging.open(id, ZIP)).stream() },
      stagedNow: true,
    };
  } catch (error) {
    if (parts.staged) await staging.delete(parts.staged.id).catch(() => undefined);
    throw error;
  }
}

function readDefinition(bytes: Buffer, maxDepth: number): RunDefinition {
  const json = parseJsonBytes(bytes, { maxDepth, what: DEFINITION }) ?? emptyDefinition();
  return parse(runDefinitionSchema, json, DEFINITION);
}

/**
 * A zip still streaming in: handed on once the definition (which came first) is valid and the
 * zip's first bytes are a zip's, so a refused request reaches no upstream. A failure ends the
 * staging, which leaves nothing; its answer is the first failure the request met.
 */
async function streamingRequest(live: LiveZip, maxDepth: number): Promise<StartRunRequest> {
  try {
    const definition = readDefinition(await live.definition, maxDepth);
    await live.zip.head;
    const { id, forward } = live.zip;
    return { definition, zip: { id, stream: async () => forward, staged: live.done }, stagedNow: true };
  } catch (error) {
    live.abort(error);
    // The first failure (the definition's own, or the staging's) once nothing is left behind.
    throw await live.done.then(
      () => error,
      (failure: unknown) => failure,
    );
  }
}

interface Parts {
  /** The definition's bytes, as sent. */
  definition?: Buffer;
  staged?: StagedZip;
}

/** A zip handed on while it streams in (`ReadOptions.streamOnce`). */
interface LiveZip {
  /** The definition's bytes, once its part has been read. */
  definition: Promise<Buffer>;
  zip: ForwardedZip;
  /** Settles once the whole body has been read and the zip staged, or failed and cleaned up. */
  done: Promise<StagedZip>;
  /** Fails the request: reading stops, the staging ends and leaves nothing. */
  abort: (error: unknown) => void;
}

/** The parts once the body has been read, or — streaming once — the zip as soon as it starts. */
type Read = { parts: Parts; live?: undefined } | { live: LiveZip; parts?: undefined };

function readMultipart(
  raw: Extract<UploadBody, { from: 'stream' }>,
  staging: ZipStaging,
  jsonLimit: number,
  options: ReadOptions,
): Promise<Read> {
  return new Promise<Read>((resolve, reject) => {
    const parts: Parts = {};
    const pending: Promise<unknown>[] = [];
    const files = new Set<BusboyFileStream>();
    let failure: unknown;
    let settled = false;
    let definitionBytes: Promise<Buffer> | undefined;
    // Streaming once: what the request comes to, known only after the zip was handed on.
    let finished: { resolve: (staged: StagedZip) => void; reject: (error: unknown) => void } | undefined;
    let parser: InstanceType<typeof Busboy>;
    try {
      parser = new (busboy().Busboy)({
        headers: { 'content-type': raw.headers.get('content-type') ?? '' },
        // One spare of each, so a repeated part reaches `take` and is named in the answer.
        limits: { files: 3, fields: 3, parts: 5, fieldSize: jsonLimit },
        // The definition comes as raw bytes even without a filename: busboy would decode a
        // field, turning bytes that are not UTF-8 into U+FFFD.
        isPartAFile: (name, type, filename) =>
          name === 'runDefinitionFile' || type === 'application/octet-stream' || filename !== undefined,
      });
    } catch {
      void raw.stream?.cancel().catch(() => undefined);
      reject(new MalformedMultipartError('The multipart/form-data Content-Type has no boundary.'));
      return;
    }
    const source = raw.stream
      ? Readable.fromWeb(raw.stream as import('node:stream/web').ReadableStream)
      : Readable.from([]);
    const callerGone = () => fail(new ClientClosedRequestError());
    options.signal?.addEventListener('abort', callerGone, { once: true });
    // Once every part's work has ended: clean up after a failure, else hand the parts over.
    const settle = () => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener('abort', callerGone);
      void Promise.allSettled(pending).then(async () => {
        if (!failure && finished && !parts.staged)
          failure = new ValidationError([{ path: ZIP, message: 'is required' }]);
        if (!failure) {
          finished?.resolve(parts.staged as StagedZip);
          return resolve({ parts });
        }
        if (parts.staged) await staging.delete(parts.staged.id).catch(() => undefined);
        finished?.reject(failure);
        reject(failure);
      });
    };
    // First failure wins; stop reading and end every part still streaming, so staging aborts.
    const fail = (error: unknown) => {
      failure ??= error;
      source.unpipe(parser);
      source.destroy();
      for (const file of files) {
        file.on('error', () => undefined); // its reader (if any) reports; the part is over
        file.destroy(error as Error);
      }
      settle();
    };
    // The zip part, when the definition came first and the zip is wanted as it streams in.
    const forward = (file: BusboyFileStream, definition: Promise<Buffer>) => {
      const zip = staging.stageForwarding(file, ZIP);
      pending.push(zip.staged.then((staged) => (parts.staged = staged), fail));
      const done = new Promise<StagedZip>((res, rej) => {
        finished = { resolve: res, reject: rej };
      });
      done.catch(() => undefined); // read by whoever sends the zip; a failure also reaches it there
      resolve({ live: { definition, zip, done, abort: fail } });
    };
    const seen = new Set<string>();
    const take = (name: string, file: BusboyFileStream | undefined) => {
      if (file) {
        files.add(file);
        file.once('close', () => files.delete(file));
      }
      // After a failure nothing more is taken in: a part that starts now would be staged
      // with nobody left to wait for it or delete it.
      if (failure) {
        file?.resume();
        return;
      }
      // Parts are judged as they start (staging is asynchronous): each name once.
      const first = !seen.has(name);
      seen.add(name);
      if (name === 'runDefinitionFile' && first && file) {
        definitionBytes = collectBytes(file, jsonLimit);
        pending.push(definitionBytes.then((bytes) => (parts.definition = bytes), fail));
      } else if (name === 'projectZipFile' && file && first) {
        if (options.streamOnce && definitionBytes) forward(file, definitionBytes);
        else pending.push(staging.stage(file, ZIP).then((staged) => (parts.staged = staged), fail));
      } else {
        file?.resume();
        fail(
          new ValidationError([
            { path: `body.${name}`, message: 'is not an expected part (or appears twice)' },
          ]),
        );
      }
    };
    parser.on('file', (name, file) => take(name, file));
    // Any other field is not expected (its value does not matter).
    parser.on('field', (name) => take(name, undefined));
    // busboy drops parts past its limits silently; a repeated or extra part is the caller's error.
    const tooMany = () =>
      fail(
        new ValidationError([
          {
            path: 'body',
            message: 'has too many parts: send runDefinitionFile and projectZipFile once each',
          },
        ]),
      );
    parser.on('partsLimit', tooMany);
    parser.on('filesLimit', tooMany);
    parser.on('fieldsLimit', tooMany);
    parser.on('error', (error: Error) =>
      fail(new MalformedMultipartError(`The multipart/form-data body is not well formed: ${error.message}.`)),
    );
    parser.on('finish', settle);
    source.on('error', (error) =>
      fail(new MalformedMultipartError(`The request body broke off: ${error.message}.`)),
    );
    source.pipe(parser);
  });
}

function emptyDefinition(): never {
  throw new MalformedJsonError(`${DEFINITION} is not valid JSON: it is empty.`);
}

async function collectBytes(stream: Readable, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      stream.resume();
      throw new PayloadTooLargeError(limit);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function parse<T>(schema: z.ZodType<T, unknown>, value: unknown, prefix: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new ValidationError(toFieldErrors(prefix, result.error));
  return result.data;
}
