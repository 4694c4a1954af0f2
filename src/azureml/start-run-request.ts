/**
 * @module
 * Reads a startrun request. `multipart/form-data` (parts `runDefinitionFile` and
 * `projectZipFile`) streams through busboy: the definition (small JSON) is collected under
 * the JSON cap, the zip goes straight into staging. A JSON body
 * `{ "runDefinition": {...}, "stagedZipId": "..." }` names a zip staged earlier (a retry, or
 * an upload slot) instead. Whatever fails, a zip staged by this request is not left behind.
 */
import { Readable } from 'node:stream';
import { Busboy, type BusboyFileStream } from '@fastify/busboy';
import type { z } from 'zod';
import { readJsonBody } from '../http/read-json-body.js';
import { toFieldErrors } from '../http/validate.js';
import {
  MalformedJsonError,
  MalformedMultipartError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../problems/errors.js';
import type { StagedZip, ZipStaging } from '../staging/zip-staging.js';
import type { ZipSource } from './executions.js';
import { type RunDefinition, runDefinitionSchema, stagedStartRunSchema } from './schemas.js';

export interface RawBody {
  stream: ReadableStream<Uint8Array> | null;
  headers: Headers;
}

export interface StartRunRequest {
  definition: RunDefinition;
  zip: ZipSource & { id: string };
  /** True when this request staged the zip (so a failed validation removes it). */
  stagedNow: boolean;
}

const DEFINITION = 'body.runDefinitionFile';
const ZIP = 'body.projectZipFile';

/**
 * @example
 * const { definition, zip } = await readStartRunRequest(raw, staging, settings.MAX_JSON_BODY_BYTES);
 */
export async function readStartRunRequest(
  raw: RawBody,
  staging: ZipStaging,
  jsonLimit: number,
): Promise<StartRunRequest> {
  const type = raw.headers.get('content-type') ?? '';
  const essence = type.split(';')[0]?.trim().toLowerCase();
  if (essence === 'application/json') {
    const body = parse(stagedStartRunSchema, await readJsonBody(raw.stream, raw.headers, jsonLimit), 'body');
    const zip = await staging.open(body.stagedZipId, 'body.stagedZipId');
    return { definition: body.runDefinition, zip, stagedNow: false };
  }
  if (essence !== 'multipart/form-data') {
    await raw.stream?.cancel().catch(() => undefined);
    throw new UnsupportedMediaTypeError(type, 'multipart/form-data (or application/json with a stagedZipId)');
  }
  const parts = await readMultipart(raw, staging, jsonLimit);
  try {
    if (parts.definition === undefined)
      throw new ValidationError([{ path: DEFINITION, message: 'is required' }]);
    if (!parts.staged) throw new ValidationError([{ path: ZIP, message: 'is required' }]);
    const definition = parse(runDefinitionSchema, parseJson(parts.definition), DEFINITION);
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
  definition?: string;
  staged?: StagedZip;
}

function readMultipart(raw: RawBody, staging: ZipStaging, jsonLimit: number): Promise<Parts> {
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
    const take = (name: string, file: BusboyFileStream | undefined, value?: string) => {
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
      if (name === 'runDefinitionFile' && first) {
        if (value !== undefined) parts.definition = value;
        else if (file) pending.push(collectText(file, jsonLimit).then((t) => (parts.definition = t), fail));
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
    parser.on('field', (name, value) => take(name, undefined, value));
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

async function collectText(stream: Readable, limit: number): Promise<string> {
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
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new MalformedJsonError(`${DEFINITION} is not valid JSON: ${(error as Error).message}`);
  }
}

function parse<T>(schema: z.ZodType<T, unknown>, value: unknown, prefix: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new ValidationError(toFieldErrors(prefix, result.error));
  return result.data;
}
