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
import { Busboy, type BusboyFileStream } from '@fastify/busboy';
import type { z } from 'zod';
import {
  InlineZipTooLargeError,
  MalformedJsonError,
  MalformedMultipartError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../problems/errors.js';
import { toFieldErrors } from '../shared/field-errors.js';
import { assertJsonDepth, DEFAULT_MAX_JSON_DEPTH, parseJsonBytes } from '../shared/json-text.js';
import { declaresMoreThan } from '../shared/read-capped.js';
import { readJsonBody } from '../shared/read-json-body.js';
import type { UploadBody } from '../staging/upload-body.js';
import type { StagedZip, ZipStaging } from '../staging/zip-staging.js';
import type { ZipSource } from './executions.js';
import { type RunDefinition, runDefinitionSchema, stagedStartRunSchema } from './schemas.js';

export interface StartRunRequest {
  definition: RunDefinition;
  zip: ZipSource & { id: string };
  /** True when this request staged the zip (so a failed validation removes it). */
  stagedNow: boolean;
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
): Promise<StartRunRequest> {
  if (body.from === 'staged') {
    assertJsonDepth(body.definition, maxDepth, START_RUN_FIELDS.definition);
    return openStaged({ runDefinition: body.definition, stagedZipId: body.stagedZipId }, staging);
  }
  if (body.from === 'bytes') {
    assertJsonDepth(body.definition, maxDepth, START_RUN_FIELDS.definition);
    return stageBytes(body.definition, body.zip, staging);
  }
  return readStream(body, staging, jsonLimit, maxDepth);
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
  const parts = await readMultipart(raw, staging, jsonLimit);
  try {
    if (parts.definition === undefined)
      throw new ValidationError([{ path: DEFINITION, message: 'is required' }]);
    if (!parts.staged) throw new ValidationError([{ path: ZIP, message: 'is required' }]);
    const json = parseJsonBytes(parts.definition, { maxDepth, what: DEFINITION }) ?? emptyDefinition();
    const definition = parse(runDefinitionSchema, json, DEFINITION);
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

interface Parts {
  /** The definition's bytes, as sent. */
  definition?: Buffer;
  staged?: StagedZip;
}

function readMultipart(
  raw: Extract<UploadBody, { from: 'stream' }>,
  staging: ZipStaging,
  jsonLimit: number,
): Promise<Parts> {
  return new Promise<Parts>((resolve, reject) => {
    const parts: Parts = {};
    const pending: Promise<unknown>[] = [];
    const files = new Set<BusboyFileStream>();
    let failure: unknown;
    let settled = false;
    let parser: InstanceType<typeof Busboy>;
    try {
      parser = new Busboy({
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
    // Once every part's work has ended: clean up after a failure, else hand the parts over.
    const settle = () => {
      if (settled) return;
      settled = true;
      void Promise.allSettled(pending).then(async () => {
        if (!failure) return resolve(parts);
        if (parts.staged) await staging.delete(parts.staged.id).catch(() => undefined);
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
        pending.push(collectBytes(file, jsonLimit).then((bytes) => (parts.definition = bytes), fail));
      } else if (name === 'projectZipFile' && file && first) {
        pending.push(staging.stage(file, ZIP).then((staged) => (parts.staged = staged), fail));
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
