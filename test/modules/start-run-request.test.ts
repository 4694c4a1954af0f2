/**
 * `readStartRunRequest` against real Blob Storage (Azurite, in memory) and the real
 * `ZipStaging`: every form of a startrun body (multipart from the request's stream, JSON naming
 * a staged zip, an MCP inline zip's bytes, an MCP staged zip's id) is read, each failure is
 * named by its field path, and — whatever fails — a zip staged by the request is gone from the
 * staging container afterwards (committed blobs and uncommitted blocks alike), while a zip that
 * was staged before the request is never touched.
 */
import { randomUUID } from 'node:crypto';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Azurite, startAzurite } from '../../sandbox/azurite.js';
import {
  readStartRunRequest,
  START_RUN_FIELDS,
  type StartRunRequest,
} from '../../src/azureml/start-run-request.js';
import { inlineZipLimit, loadSettings, type Settings } from '../../src/config.js';
import {
  type FieldError,
  type GatewayError,
  InlineZipTooLargeError,
  JsonTooDeepError,
  MalformedJsonError,
  MalformedMultipartError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../../src/problems/errors.js';
import type { UploadBody } from '../../src/staging/upload-body.js';
import { ZipStaging } from '../../src/staging/zip-staging.js';
import { buildZip, multipartBody, type RawPart, sha256, startRunForm } from '../helpers/azureml-requests.js';
import { pollUntil } from '../helpers/poll.js';
import { untouchableStream } from '../helpers/unit-factories.js';

const CONTAINER = 'start-run-request-unit';
/** Inline zips up to 64 KiB in the small suite. */
const ZIP_CAP = 64 * 1024;
/** The JSON cap handed to the reader (not a setting: the caller passes it). */
const JSON_LIMIT = 2048;
const BOUNDARY = 'unit-boundary-7MA4YWxkTrZu0gW';
const MULTIPART = `multipart/form-data; boundary=${BOUNDARY}`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MiB = 1024 * 1024;

const definition = {
  configuration: { script: 'train.py', arguments: ['--epochs', '3'], target: 'cpu-cluster', nodeCount: 1 },
};
const zip = buildZip([
  { name: 'train.py', data: 'print("hello from the unit suite")\n' },
  { name: 'requirements.txt', data: 'numpy\n' },
]);

let azurite: Azurite;
let settings: Settings;
let staging: ZipStaging;
let container: ContainerClient;

beforeAll(async () => {
  azurite = await startAzurite();
  settings = loadSettings({
    AzureWebJobsStorage: azurite.connectionString,
    STAGING_CONTAINER: CONTAINER,
    MAX_PROJECT_ZIP_BYTES: String(ZIP_CAP),
  });
  staging = new ZipStaging(settings);
  container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(CONTAINER);
  await container.createIfNotExists();
});

afterAll(async () => {
  await azurite?.stop();
});

// --- helpers --------------------------------------------------------------------------------

/**
 * Every blob in the staging container, by default uncommitted ones too (blocks staged under a
 * name whose block list was never committed: what an upload cut short leaves).
 */
async function blobsInStaging({ uncommitted = true } = {}): Promise<string[]> {
  const names: string[] = [];
  for await (const blob of container.listBlobsFlat({ includeUncommitedBlobs: uncommitted }))
    names.push(blob.name);
  return names.sort();
}

/** A web stream of `bytes` in chunks of `chunkSize`; `breakAfter` errors it after that many bytes. */
function bytesStream(
  bytes: Uint8Array,
  { chunkSize = 1024, breakAfter }: { chunkSize?: number; breakAfter?: number } = {},
): ReadableStream<Uint8Array> {
  let offset = 0;
  const end = breakAfter ?? bytes.byteLength;
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (offset >= end) {
          if (breakAfter === undefined) controller.close();
          else controller.error(new Error('connection reset by peer'));
          return;
        }
        controller.enqueue(bytes.slice(offset, Math.min(offset + chunkSize, end)));
        offset += chunkSize;
      },
    },
    { highWaterMark: 0 },
  );
}

/** The streamed form of a body: `bytes` under `contentType`. */
function streamed(
  bytes: Uint8Array,
  contentType: string,
  options?: { chunkSize?: number; breakAfter?: number },
): UploadBody {
  return {
    from: 'stream',
    stream: bytesStream(bytes, options),
    headers: new Headers({ 'content-type': contentType }),
  };
}

/** A multipart body written by hand (so parts can be repeated, left out or made odd). */
const multipart = (parts: RawPart[], options?: { chunkSize?: number; breakAfter?: number }) =>
  streamed(multipartBody(BOUNDARY, parts), MULTIPART, options);

const definitionPart = (text = JSON.stringify(definition)): RawPart => ({
  name: 'runDefinitionFile',
  filename: 'definition.json',
  contentType: 'application/json',
  data: text,
});
const zipPart = (data: Uint8Array = zip): RawPart => ({
  name: 'projectZipFile',
  filename: 'project.zip',
  contentType: 'application/zip',
  data,
});

/** The whole content of a readable. */
async function drain(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/** What staging holds for `id`, read back through `staging.open(...).stream()`. */
async function stagedBytes(id: string, from: ZipStaging = staging): Promise<Buffer> {
  const opened = await from.open(id, 'test');
  return drain(await opened.stream());
}

/** Stages `bytes` the way an earlier request (or an upload slot) would have. */
async function stageBefore(bytes: Uint8Array = zip): Promise<string> {
  return (await staging.stage(Readable.from([Buffer.from(bytes)]), 'test')).id;
}

/** A blob written straight into the container (what a client could PUT through an upload slot). */
async function putRaw(bytes: Uint8Array): Promise<string> {
  const id = randomUUID();
  await container.getBlockBlobClient(`shared/${id}.zip`).uploadData(Buffer.from(bytes));
  return id;
}

/** What the call rejected with; fails the test when it resolves. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to reject');
}

const fieldErrors = (error: unknown): FieldError[] => {
  expect(error).toBeInstanceOf(ValidationError);
  return (error as ValidationError).errors;
};

/**
 * Reads `body` expecting a failure, and checks that staging holds exactly what it held before.
 */
async function failureLeavingStagingAsItWas(
  body: UploadBody,
  {
    read = (b) => readStartRunRequest(b, staging, JSON_LIMIT),
    uncommitted = true,
  }: { read?: (body: UploadBody) => Promise<StartRunRequest>; uncommitted?: boolean } = {},
): Promise<unknown> {
  const before = await blobsInStaging({ uncommitted });
  const error = await rejectionOf(read(body));
  expect(await blobsInStaging({ uncommitted })).toEqual(before);
  return error;
}

/** Checks a request that succeeded, then removes what it staged. */
async function expectStaged(
  request: StartRunRequest,
  expected: { bytes: Uint8Array; stagedNow: boolean },
): Promise<void> {
  expect(request.definition).toEqual(definition);
  expect(request.stagedNow).toBe(expected.stagedNow);
  expect(request.zip.id).toMatch(UUID);
  expect(request.zip.size).toBe(expected.bytes.byteLength);
  expect(await blobsInStaging()).toContain(`shared/${request.zip.id}.zip`);
  expect(await stagedBytes(request.zip.id)).toEqual(Buffer.from(expected.bytes));
  // The request's own reader streams the same bytes.
  expect(await drain(await request.zip.stream())).toEqual(Buffer.from(expected.bytes));
  // Size and hash are recorded on the blob.
  const props = await container.getBlockBlobClient(`shared/${request.zip.id}.zip`).getProperties();
  expect(props.contentLength).toBe(expected.bytes.byteLength);
  expect(props.metadata).toEqual({ sha256: sha256(expected.bytes), size: String(expected.bytes.byteLength) });
}

// --- the forms that succeed -------------------------------------------------------------------

describe('each form of a startrun body', () => {
  it('multipart (FormData as fetch writes it): the definition is parsed, the zip streamed into staging byte for byte', async () => {
    // Prepare
    const request = new Request('http://localhost/startrun', {
      method: 'POST',
      body: startRunForm(definition, zip),
    });
    const before = await blobsInStaging();

    // Act
    const read = await readStartRunRequest(
      { from: 'stream', stream: request.body, headers: request.headers },
      staging,
      JSON_LIMIT,
    );

    // Assess
    await expectStaged(read, { bytes: zip, stagedNow: true });
    expect(await blobsInStaging()).toEqual([...before, `shared/${read.zip.id}.zip`].sort());
    await staging.delete(read.zip.id);
  });

  it('multipart in 7-byte chunks, the definition as a plain field: the same result', async () => {
    // Prepare
    const body = multipart([{ name: 'runDefinitionFile', data: JSON.stringify(definition) }, zipPart()], {
      chunkSize: 7,
    });

    // Act
    const read = await readStartRunRequest(body, staging, JSON_LIMIT);

    // Assess
    await expectStaged(read, { bytes: zip, stagedNow: true });
    await staging.delete(read.zip.id);
  });

  it('multipart with the zip before the definition: the order of the parts does not matter', async () => {
    // Prepare
    const body = multipart([zipPart(), definitionPart()]);

    // Act
    const read = await readStartRunRequest(body, staging, JSON_LIMIT);

    // Assess
    await expectStaged(read, { bytes: zip, stagedNow: true });
    await staging.delete(read.zip.id);
  });

  it('JSON {runDefinition, stagedZipId}: opens the zip staged before, stages nothing new', async () => {
    // Prepare
    const id = await stageBefore();
    const before = await blobsInStaging();
    const json = JSON.stringify({ runDefinition: definition, stagedZipId: id });

    // Act
    const read = await readStartRunRequest(
      streamed(Buffer.from(json), 'application/json; charset=utf-8'),
      staging,
      JSON_LIMIT,
    );

    // Assess
    expect(read.zip.id).toBe(id);
    await expectStaged(read, { bytes: zip, stagedNow: false });
    expect(await blobsInStaging()).toEqual(before);
    await staging.delete(id);
  });

  it('bytes (an MCP inline zip): staged from its bytes after the definition is checked', async () => {
    // Prepare
    const before = await blobsInStaging();

    // Act
    const read = await readStartRunRequest(
      { from: 'bytes', definition, zip: new Uint8Array(zip) },
      staging,
      JSON_LIMIT,
    );

    // Assess
    await expectStaged(read, { bytes: zip, stagedNow: true });
    expect(await blobsInStaging()).toEqual([...before, `shared/${read.zip.id}.zip`].sort());
    await staging.delete(read.zip.id);
  });

  it('staged (an MCP stagedZipId): opens that zip, stages nothing new', async () => {
    // Prepare
    const id = await stageBefore();
    const before = await blobsInStaging();

    // Act
    const read = await readStartRunRequest(
      { from: 'staged', definition, stagedZipId: id },
      staging,
      JSON_LIMIT,
    );

    // Assess
    expect(read.zip.id).toBe(id);
    await expectStaged(read, { bytes: zip, stagedNow: false });
    expect(await blobsInStaging()).toEqual(before);
    await staging.delete(id);
  });

  it('a zip of exactly the inline limit is taken whole', async () => {
    // Prepare
    const exact = Buffer.alloc(inlineZipLimit(settings), 0x20);
    zip.copy(exact, 0, 0, 4); // a PK signature, then padding: the inspector checks only the head
    const body = multipart([definitionPart(), zipPart(exact)], { chunkSize: 8192 });

    // Act
    const read = await readStartRunRequest(body, staging, JSON_LIMIT);

    // Assess
    expect(read.zip.size).toBe(ZIP_CAP);
    expect(await stagedBytes(read.zip.id)).toEqual(exact);
    await staging.delete(read.zip.id);
  });
});

// --- multipart failures -------------------------------------------------------------------------

describe('a multipart body that fails leaves nothing staged', () => {
  it('no runDefinitionFile part: body.runDefinitionFile is required; the zip it staged is deleted', async () => {
    // Act
    const error = await failureLeavingStagingAsItWas(multipart([zipPart()]));

    // Assess
    expect(fieldErrors(error)).toEqual([{ path: START_RUN_FIELDS.definitionFile, message: 'is required' }]);
  });

  it('no projectZipFile part: body.projectZipFile is required', async () => {
    // Act
    const error = await failureLeavingStagingAsItWas(multipart([definitionPart()]));

    // Assess
    expect(fieldErrors(error)).toEqual([{ path: START_RUN_FIELDS.zipFile, message: 'is required' }]);
  });

  it('no parts at all: the definition is named first', async () => {
    // Act
    const error = await failureLeavingStagingAsItWas(multipart([]));

    // Assess
    expect(fieldErrors(error)).toEqual([{ path: START_RUN_FIELDS.definitionFile, message: 'is required' }]);
  });

  it('a definition that breaks its schema: errors under body.runDefinitionFile; the staged zip is deleted', async () => {
    // Prepare
    const bad = { configuration: { nodeCount: 0, framework: 'Caffe' } };

    // Act
    const error = await failureLeavingStagingAsItWas(
      multipart([zipPart(), definitionPart(JSON.stringify(bad))]),
    );

    // Assess
    expect(fieldErrors(error).map((e) => e.path)).toEqual([
      `${START_RUN_FIELDS.definitionFile}.configuration.framework`,
      `${START_RUN_FIELDS.definitionFile}.configuration.nodeCount`,
    ]);
  });

  it('a definition that is not JSON: MalformedJsonError naming body.runDefinitionFile', async () => {
    // Act
    const error = await failureLeavingStagingAsItWas(
      multipart([definitionPart('{"configuration": '), zipPart()]),
    );

    // Assess
    expect(error).toBeInstanceOf(MalformedJsonError);
    expect((error as MalformedJsonError).status).toBe(400);
    expect((error as MalformedJsonError).detail).toMatch(/^body\.runDefinitionFile is not valid JSON: /);
  });

  it('a definition file over the JSON limit: 413 with that limit', async () => {
    // Prepare
    const big = JSON.stringify({ ...definition, pad: 'x'.repeat(JSON_LIMIT) });

    // Act
    const error = await failureLeavingStagingAsItWas(multipart([zipPart(), definitionPart(big)]));

    // Assess
    expect(error).toBeInstanceOf(PayloadTooLargeError);
    expect(error).toMatchObject({ status: 413, limit: JSON_LIMIT });
  });

  it('a definition sent as a plain field (no filename) over the JSON limit: 413, never its cut text', async () => {
    // Prepare: padded with whitespace, so the first JSON_LIMIT bytes would still parse
    const padded = `${JSON.stringify(definition)}${' '.repeat(JSON_LIMIT)}`;

    // Act
    const error = await failureLeavingStagingAsItWas(
      multipart([zipPart(), { name: 'runDefinitionFile', data: padded }]),
    );

    // Assess
    expect(error).toBeInstanceOf(PayloadTooLargeError);
    expect(error).toMatchObject({ status: 413, limit: JSON_LIMIT });
  });

  it('a definition file exactly at the JSON limit is read', async () => {
    // Prepare
    const base = JSON.stringify({ ...definition, pad: '' });
    const text = JSON.stringify({ ...definition, pad: 'x'.repeat(JSON_LIMIT - base.length) });
    expect(Buffer.byteLength(text)).toBe(JSON_LIMIT);

    // Act
    const read = await readStartRunRequest(multipart([definitionPart(text), zipPart()]), staging, JSON_LIMIT);

    // Assess
    expect(read.definition).toEqual(JSON.parse(text));
    await staging.delete(read.zip.id);
  });

  it.each([
    {
      case: 'a second runDefinitionFile',
      parts: () => [definitionPart(), zipPart(), definitionPart()],
      path: 'body.runDefinitionFile',
    },
    {
      case: 'a second projectZipFile',
      parts: () => [definitionPart(), zipPart(), zipPart()],
      path: 'body.projectZipFile',
    },
    {
      case: 'a second projectZipFile right after the first',
      parts: () => [zipPart(), zipPart(), definitionPart()],
      path: 'body.projectZipFile',
    },
    {
      case: 'a projectZipFile sent as a plain field',
      parts: () => [definitionPart(), { name: 'projectZipFile', data: 'PK\u0003\u0004' }],
      path: 'body.projectZipFile',
    },
    {
      case: 'an unexpected part',
      parts: () => [definitionPart(), zipPart(), { name: 'notes', data: 'hello' }],
      path: 'body.notes',
    },
    {
      case: 'an unexpected file before the zip',
      parts: () => [definitionPart(), { ...zipPart(), name: 'other.zip' }, zipPart()],
      path: 'body.other.zip',
    },
  ])('$case: named as not expected; the zip it staged is deleted', async ({ parts, path }) => {
    // Act
    const error = await failureLeavingStagingAsItWas(multipart(parts()));

    // Assess
    expect(fieldErrors(error)).toEqual([{ path, message: 'is not an expected part (or appears twice)' }]);
  });

  it('too many parts (parts busboy skips still count): body has too many parts', async () => {
    // Prepare: four parts with no form-data disposition are skipped by the parser but counted
    const skipped = Buffer.from(
      `--${BOUNDARY}\r\nContent-Disposition: attachment; name="x"\r\n\r\nskip me\r\n`.repeat(4),
    );
    const head = multipartBody(BOUNDARY, [definitionPart(), zipPart()], { close: false });
    const body = Buffer.concat([head, skipped, Buffer.from(`--${BOUNDARY}--\r\n`)]);

    // Act
    const error = await failureLeavingStagingAsItWas(streamed(body, MULTIPART));

    // Assess
    expect(fieldErrors(error)).toEqual([
      {
        path: 'body',
        message: 'has too many parts: send runDefinitionFile and projectZipFile once each',
      },
    ]);
  });

  it('a zip part that is not a zip: body.projectZipFile is not a zip file', async () => {
    // Act
    const error = await failureLeavingStagingAsItWas(
      multipart([definitionPart(), zipPart(Buffer.from('this is plain text, not a zip'))]),
    );

    // Assess
    expect(fieldErrors(error)).toEqual([
      { path: START_RUN_FIELDS.zipFile, message: 'is not a zip file (no PK signature)' },
    ]);
  });

  it('an empty zip part: not a zip either', async () => {
    // Act
    const error = await failureLeavingStagingAsItWas(multipart([definitionPart(), zipPart(Buffer.alloc(0))]));

    // Assess
    expect(fieldErrors(error)).toEqual([
      { path: START_RUN_FIELDS.zipFile, message: 'is not a zip file (no PK signature)' },
    ]);
  });

  it('a zip one byte over the inline limit: 413 naming the upload slot', async () => {
    // Prepare
    const over = Buffer.alloc(inlineZipLimit(settings) + 1, 0x20);
    zip.copy(over, 0, 0, 4);

    // Act
    const error = await failureLeavingStagingAsItWas(
      multipart([definitionPart(), zipPart(over)], { chunkSize: 8192 }),
    );

    // Assess
    expect(error).toBeInstanceOf(InlineZipTooLargeError);
    expect(error).toMatchObject({ status: 413, limit: ZIP_CAP });
    expect((error as GatewayError).detail).toContain('POST /v1/uploads');
  });

  it('a zip over the limit followed by a definition that is not JSON: the first failure wins', async () => {
    // Prepare
    const over = Buffer.alloc(ZIP_CAP * 2, 0x20);
    zip.copy(over, 0, 0, 4);

    // Act
    const error = await failureLeavingStagingAsItWas(
      multipart([zipPart(over), definitionPart('not json')], { chunkSize: 8192 }),
    );

    // Assess
    expect(error).toBeInstanceOf(InlineZipTooLargeError);
  });

  it('a body that breaks off in the middle of the zip: malformed multipart, nothing staged', async () => {
    // Prepare
    const big = Buffer.alloc(ZIP_CAP - 1, 0x20);
    zip.copy(big, 0, 0, 4);
    const bytes = multipartBody(BOUNDARY, [definitionPart(), zipPart(big)]);

    // Act
    const error = await failureLeavingStagingAsItWas(
      streamed(bytes, MULTIPART, { chunkSize: 4096, breakAfter: Math.floor(bytes.length / 2) }),
    );

    // Assess
    expect(error).toBeInstanceOf(MalformedMultipartError);
    expect((error as GatewayError).detail).toBe('The request body broke off: connection reset by peer.');
  });

  it('a body that ends without its closing delimiter: malformed multipart, nothing staged', async () => {
    // Prepare
    const bytes = multipartBody(BOUNDARY, [definitionPart(), zipPart()], { close: false });

    // Act
    const error = await failureLeavingStagingAsItWas(streamed(bytes, MULTIPART));

    // Assess
    expect(error).toBeInstanceOf(MalformedMultipartError);
    expect(error).toMatchObject({ status: 400, type: 'malformed-multipart' });
    expect((error as GatewayError).detail).toMatch(/^The multipart\/form-data body is not well formed: /);
  });

  it('a body with no stream at all: malformed multipart', async () => {
    // Act
    const error = await failureLeavingStagingAsItWas({
      from: 'stream',
      stream: null,
      headers: new Headers({ 'content-type': MULTIPART }),
    });

    // Assess
    expect(error).toBeInstanceOf(MalformedMultipartError);
    expect((error as GatewayError).detail).toBe(
      'The multipart/form-data body is not well formed: Unexpected end of multipart data.',
    );
  });

  it('multipart/form-data with no boundary: malformed multipart; the body is cancelled unread', async () => {
    // Prepare
    const source = untouchableStream();

    // Act
    const error = await failureLeavingStagingAsItWas({
      from: 'stream',
      stream: source.stream,
      headers: new Headers({ 'content-type': 'multipart/form-data' }),
    });

    // Assess
    expect(error).toBeInstanceOf(MalformedMultipartError);
    expect((error as GatewayError).detail).toBe('The multipart/form-data Content-Type has no boundary.');
    expect(source.cancelled()).toBe(true);
    expect(source.pulls()).toBe(0);
  });

  it.each(['text/plain', 'application/zip', 'application/x-www-form-urlencoded', ''])(
    'Content-Type %j: 415; the body is cancelled unread',
    async (type) => {
      // Prepare
      const source = untouchableStream();
      const headers = new Headers(type === '' ? {} : { 'content-type': type });

      // Act
      const error = await failureLeavingStagingAsItWas({ from: 'stream', stream: source.stream, headers });

      // Assess
      expect(error).toBeInstanceOf(UnsupportedMediaTypeError);
      expect(error).toMatchObject({ status: 415, type: 'unsupported-media-type' });
      expect((error as GatewayError).detail).toBe(
        `Content-Type ${JSON.stringify(type)} is not accepted; send multipart/form-data (or application/json with a stagedZipId).`,
      );
      expect(source.cancelled()).toBe(true);
      expect(source.pulls()).toBe(0);
    },
  );
});

// --- depth and bytes of the definition ---------------------------------------------------------

describe('a definition nested too deep, or not UTF-8, is refused and leaves nothing staged', () => {
  const deep = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;
  /** A definition whose pass-through `environment` holds `levels` nested arrays (2 levels above). */
  const deepDefinition = (levels: number) =>
    `{"configuration":{"script":"train.py","environment":{"x":${deep(levels)}}}}`;

  it.each([
    { case: 'multipart, just over 128 levels', text: deepDefinition(126) },
    { case: 'multipart, 100,000 levels (JSON.stringify would throw on it)', text: deepDefinition(100_000) },
  ])('$case: 400 naming MAX_JSON_DEPTH', async ({ text }) => {
    // Act
    const error = await failureLeavingStagingAsItWas(multipart([zipPart(), definitionPart(text)]), {
      read: (b) => readStartRunRequest(b, staging, 1024 * 1024, 128),
    });

    // Assess
    expect(error).toBeInstanceOf(JsonTooDeepError);
    expect(error).toMatchObject({ status: 400, type: 'malformed-json', limit: 128 });
    expect((error as GatewayError).detail).toBe(
      'body.runDefinitionFile nests objects and arrays deeper than 128 levels (MAX_JSON_DEPTH).',
    );
  });

  it('multipart at exactly the limit is read', async () => {
    // Act: 3 levels of the definition, then arrays up to 8 in all
    const read = await readStartRunRequest(
      multipart([zipPart(), definitionPart(deepDefinition(5))]),
      staging,
      JSON_LIMIT,
      8,
    );

    // Assess
    expect(read.stagedNow).toBe(true);
    await staging.delete(read.zip.id);
  });

  it.each<'json' | 'staged' | 'bytes'>(['json', 'staged', 'bytes'])(
    '%s form: a definition too deep is refused before anything is opened or staged',
    async (form) => {
      // Prepare
      const id = await stageBefore();
      const runDefinition = JSON.parse(deepDefinition(20));
      const body: UploadBody =
        form === 'json'
          ? streamed(Buffer.from(JSON.stringify({ runDefinition, stagedZipId: id })), 'application/json')
          : form === 'staged'
            ? { from: 'staged', definition: runDefinition, stagedZipId: id }
            : { from: 'bytes', definition: runDefinition, zip };

      // Act
      const error = await failureLeavingStagingAsItWas(body, {
        read: (b) => readStartRunRequest(b, staging, JSON_LIMIT, 8),
      });

      // Assess
      expect(error).toBeInstanceOf(JsonTooDeepError);
      expect(error).toMatchObject({ limit: 8 });
      expect(await stagedBytes(id)).toEqual(zip);
      await staging.delete(id);
    },
  );

  it.each([
    { case: 'a file part', part: (data: Buffer): RawPart => ({ ...definitionPart(), data }) },
    { case: 'a plain field', part: (data: Buffer): RawPart => ({ name: 'runDefinitionFile', data }) },
  ])(
    'a definition with a byte that is not UTF-8, as $case: 400 naming its offset, never U+FFFD',
    async ({ part }) => {
      // Prepare: 0xff can start no UTF-8 sequence
      const bytes = Buffer.concat([
        Buffer.from('{"configuration":{"script":"tr'),
        Buffer.from([0xff]),
        Buffer.from('in.py"}}'),
      ]);

      // Act
      const error = await failureLeavingStagingAsItWas(multipart([zipPart(), part(bytes)]));

      // Assess
      expect(error).toBeInstanceOf(MalformedJsonError);
      expect((error as GatewayError).detail).toBe(
        'body.runDefinitionFile is not valid UTF-8: bad byte at offset 30.',
      );
    },
  );
});

// --- JSON and staged failures -------------------------------------------------------------------

describe('a body naming a staged zip that fails never deletes that zip', () => {
  const json = (value: unknown) => streamed(Buffer.from(JSON.stringify(value)), 'application/json');
  type Form = 'json' | 'staged';
  const bodyOf = (form: Form, runDefinition: unknown, stagedZipId: unknown): UploadBody =>
    form === 'json'
      ? json({ runDefinition, stagedZipId })
      : { from: 'staged', definition: runDefinition, stagedZipId };

  it.each<Form>(['json', 'staged'])(
    '%s: a bad definition is named under body.runDefinition; the staged zip stays',
    async (form) => {
      // Prepare
      const id = await stageBefore();

      // Act
      const error = await failureLeavingStagingAsItWas(
        bodyOf(form, { configuration: { arguments: 'not-an-array' } }, id),
      );

      // Assess
      expect(fieldErrors(error)).toEqual([
        {
          path: `${START_RUN_FIELDS.definition}.configuration.arguments`,
          message: 'Invalid input: expected array, received string',
        },
      ]);
      expect(await stagedBytes(id)).toEqual(zip);
      await staging.delete(id);
    },
  );

  it.each<Form>(['json', 'staged'])('%s: no definition: body.runDefinition is required', async (form) => {
    // Prepare
    const id = await stageBefore();

    // Act
    const error = await failureLeavingStagingAsItWas(bodyOf(form, undefined, id));

    // Assess
    expect(fieldErrors(error)).toEqual([
      { path: START_RUN_FIELDS.definition, message: 'is required (object)' },
    ]);
    expect(await stagedBytes(id)).toEqual(zip);
    await staging.delete(id);
  });

  it.each<{ form: Form; id: unknown; message: string }>([
    { form: 'json', id: 'not-a-uuid', message: 'must be an id returned by the gateway' },
    { form: 'staged', id: 'not-a-uuid', message: 'must be an id returned by the gateway' },
    { form: 'staged', id: 42, message: 'Invalid input: expected string, received number' },
    { form: 'json', id: undefined, message: 'is required (string)' },
    {
      form: 'staged',
      id: randomUUID(),
      message: 'no staged zip of yours has this id (expired, used, or never uploaded)',
    },
    {
      form: 'json',
      id: randomUUID(),
      message: 'no staged zip of yours has this id (expired, used, or never uploaded)',
    },
  ])('$form with stagedZipId $id: body.stagedZipId $message', async ({ form, id, message }) => {
    // Act
    const error = await failureLeavingStagingAsItWas(bodyOf(form, definition, id));

    // Assess
    expect(fieldErrors(error)).toEqual([{ path: START_RUN_FIELDS.stagedZipId, message }]);
  });

  it.each<Form>(['json', 'staged'])(
    '%s: a staged blob that is not a zip (a bad slot upload) is refused and left alone',
    async (form) => {
      // Prepare
      const id = await putRaw(Buffer.from('definitely not a zip'));

      // Act
      const error = await failureLeavingStagingAsItWas(bodyOf(form, definition, id));

      // Assess
      expect(fieldErrors(error)).toEqual([
        { path: START_RUN_FIELDS.stagedZipId, message: 'is not a zip file (no PK signature)' },
      ]);
      expect(await blobsInStaging()).toContain(`shared/${id}.zip`);
      await staging.delete(id);
    },
  );

  it.each<Form>(['json', 'staged'])(
    '%s: a staged blob over MAX_PROJECT_ZIP_BYTES is 413 and left alone',
    async (form) => {
      // Prepare
      const big = Buffer.alloc(ZIP_CAP + 1, 0x20);
      zip.copy(big, 0, 0, 4);
      const id = await putRaw(big);

      // Act
      const error = await failureLeavingStagingAsItWas(bodyOf(form, definition, id));

      // Assess
      expect(error).toBeInstanceOf(PayloadTooLargeError);
      expect(error).toMatchObject({ status: 413, limit: ZIP_CAP });
      expect(await blobsInStaging()).toContain(`shared/${id}.zip`);
      await staging.delete(id);
    },
  );

  it('json: an unknown member is named; the staged zip stays', async () => {
    // Prepare
    const id = await stageBefore();

    // Act
    const error = await failureLeavingStagingAsItWas(
      json({ runDefinition: definition, stagedZipId: id, zip: 1 }),
    );

    // Assess
    expect(fieldErrors(error)).toEqual([{ path: 'body.zip', message: 'is not a known field' }]);
    expect(await stagedBytes(id)).toEqual(zip);
    await staging.delete(id);
  });

  it('json that is not JSON: MalformedJsonError', async () => {
    // Act
    const error = await failureLeavingStagingAsItWas(
      streamed(Buffer.from('{"runDefinition": {'), 'application/json'),
    );

    // Assess
    expect(error).toBeInstanceOf(MalformedJsonError);
    expect((error as GatewayError).detail).toMatch(/^The request body is not valid JSON: /);
  });

  it('json over the JSON limit: 413 with that limit', async () => {
    // Prepare
    const id = await stageBefore();
    const big = { runDefinition: { ...definition, pad: 'x'.repeat(JSON_LIMIT) }, stagedZipId: id };

    // Act
    const error = await failureLeavingStagingAsItWas(json(big));

    // Assess
    expect(error).toBeInstanceOf(PayloadTooLargeError);
    expect(error).toMatchObject({ status: 413, limit: JSON_LIMIT });
    expect(await stagedBytes(id)).toEqual(zip);
    await staging.delete(id);
  });

  it('json with no body at all: body is required', async () => {
    // Act
    const error = await failureLeavingStagingAsItWas(streamed(Buffer.alloc(0), 'application/json'));

    // Assess
    expect(fieldErrors(error)).toEqual([{ path: 'body', message: 'is required (object)' }]);
  });
});

// --- bytes failures -----------------------------------------------------------------------------

describe('an inline zip (bytes) that fails leaves nothing staged', () => {
  const bytes = (zipBytes: Uint8Array, def: unknown = definition): UploadBody => ({
    from: 'bytes',
    definition: def,
    zip: zipBytes,
  });

  it('a bad definition is named under body.runDefinition, before anything is staged', async () => {
    // Act
    const error = await failureLeavingStagingAsItWas(bytes(zip, { configuration: { nodeCount: 'two' } }));

    // Assess
    expect(fieldErrors(error)).toEqual([
      {
        path: `${START_RUN_FIELDS.definition}.configuration.nodeCount`,
        message: 'Invalid input: expected number, received string',
      },
    ]);
  });

  it('a definition that is not an object', async () => {
    // Act
    const error = await failureLeavingStagingAsItWas(bytes(zip, 'train.py'));

    // Assess
    expect(fieldErrors(error)).toEqual([
      { path: START_RUN_FIELDS.definition, message: 'Invalid input: expected object, received string' },
    ]);
  });

  it('bytes that are not a zip: body.projectZipFile is not a zip file', async () => {
    // Act
    const error = await failureLeavingStagingAsItWas(bytes(Buffer.from('#!/bin/sh\necho not a zip\n')));

    // Assess
    expect(fieldErrors(error)).toEqual([
      { path: START_RUN_FIELDS.zipFile, message: 'is not a zip file (no PK signature)' },
    ]);
  });

  it('bytes over the inline limit: 413', async () => {
    // Prepare
    const over = Buffer.alloc(ZIP_CAP + 1, 0x20);
    zip.copy(over, 0, 0, 4);

    // Act
    const error = await failureLeavingStagingAsItWas(bytes(over));

    // Assess
    expect(error).toBeInstanceOf(InlineZipTooLargeError);
    expect(error).toMatchObject({ status: 413, limit: ZIP_CAP });
  });
});

// --- failures after whole blocks were written ---------------------------------------------------

const padded = (size: number) => {
  const bytes = Buffer.alloc(size, 0x20);
  zip.copy(bytes, 0, 0, 4);
  return bytes;
};

/**
 * An HTTP relay to Azurite's blob endpoint that holds every Put Block (`comp=block`) until
 * released, and keeps count of what it relays: requests in flight, blob paths, calls.
 */
async function startBlockRelay(target: string) {
  const upstream = new URL(target);
  const held: Array<() => void> = [];
  const names = new Set<string>();
  const calls: string[] = [];
  let inFlight = 0;
  let released = false;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://relay');
    const comp = url.searchParams.get('comp');
    calls.push(comp ? `${req.method} comp=${comp}` : `${req.method}`);
    const path = url.pathname.replace(/^\/devstoreaccount1\//, '');
    if (path.endsWith('.zip')) names.add(path);
    inFlight++;
    const forward = () => {
      const out = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          answer.on('end', () => inFlight--);
        },
      );
      out.on('error', () => {
        inFlight--;
        res.destroy();
      });
      req.pipe(out);
    };
    if (comp === 'block' && !released) held.push(forward);
    else forward();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${upstream.pathname}`,
    held: () => held.length,
    inFlight: () => inFlight,
    blobNames: () => [...names],
    calls: () => calls,
    release: () => {
      released = true;
      for (const forward of held.splice(0)) forward();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

describe('with a limit above one 4 MiB staging block', () => {
  let bigStaging: ZipStaging;
  let bigSettings: Settings;
  beforeAll(() => {
    bigSettings = loadSettings({
      AzureWebJobsStorage: azurite.connectionString,
      STAGING_CONTAINER: CONTAINER,
      FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: String(16 * MiB),
      MAX_PROJECT_ZIP_BYTES: String(10 * MiB),
    });
    bigStaging = new ZipStaging(bigSettings);
  });
  const readBig = (body: UploadBody) => readStartRunRequest(body, bigStaging, JSON_LIMIT);

  it('a zip of 9 MiB (three blocks) is staged whole', async () => {
    // Prepare
    const big = padded(9 * MiB);

    // Act
    const read = await readBig(multipart([definitionPart(), zipPart(big)], { chunkSize: 64 * 1024 }));

    // Assess
    expect(read.zip.size).toBe(big.length);
    expect(sha256(await stagedBytes(read.zip.id, bigStaging))).toBe(sha256(big));
    await staging.delete(read.zip.id);
  });

  it('multipart: a zip over the limit after whole blocks were written leaves no blob and no block', async () => {
    // Prepare
    const before = await blobsInStaging();

    // Act
    const error = await failureLeavingStagingAsItWas(
      multipart([definitionPart(), zipPart(padded(11 * MiB))], { chunkSize: 64 * 1024 }),
      { read: readBig },
    );

    // Assess
    expect(error).toBeInstanceOf(InlineZipTooLargeError);
    expect(error).toMatchObject({ limit: inlineZipLimit(bigSettings) });
    expect(await blobsInStaging()).toEqual(before); // uncommitted blocks included
  });

  it('multipart: a body that breaks off after 9 MiB leaves no blob and no block', async () => {
    // Prepare
    const before = await blobsInStaging();
    const bytes = multipartBody(BOUNDARY, [definitionPart(), zipPart(padded(10 * MiB))]);

    // Act
    const error = await failureLeavingStagingAsItWas(
      streamed(bytes, MULTIPART, { chunkSize: 64 * 1024, breakAfter: 9 * MiB }),
      { read: readBig },
    );

    // Assess
    expect(error).toBeInstanceOf(MalformedMultipartError);
    expect((error as GatewayError).detail).toBe('The request body broke off: connection reset by peer.');
    expect(await blobsInStaging()).toEqual(before); // uncommitted blocks included
  });

  it('a multi-block upload that breaks off with blocks in flight: it settles only after them, and leaves no block behind', async () => {
    // Prepare: a relay in front of Azurite holds every Put Block until released, so blocks are
    // surely in flight when the body breaks off.
    const relay = await startBlockRelay(azurite.blobUrl);
    try {
      const relayed = new ZipStaging(
        loadSettings({
          AzureWebJobsStorage: azurite.connectionString.replace(azurite.blobUrl, relay.url),
          STAGING_CONTAINER: CONTAINER,
          FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: String(16 * MiB),
          MAX_PROJECT_ZIP_BYTES: String(10 * MiB),
        }),
      );
      const before = await blobsInStaging();
      const source = new Readable({ read() {} });
      source.push(padded(9 * MiB));
      let settled = false;
      const staging = relayed.stage(source, START_RUN_FIELDS.zipFile).finally(() => {
        settled = true;
      });
      await pollUntil(
        async () => relay.held(),
        (held) => held >= 2,
      );

      // Act: the body breaks off while two blocks are held upstream.
      source.destroy(new Error('connection reset by peer'));
      await pollUntil(
        async () => relay.held(),
        (held) => held >= 2,
      );
      const settledWhileHeld = settled;
      relay.release();
      const error = await rejectionOf(staging);

      // Assess
      expect((error as Error).message).toBe('connection reset by peer');
      expect(settledWhileHeld).toBe(false);
      expect(relay.inFlight()).toBe(0);
      expect(await blobsInStaging()).toEqual(before);
      // What was staged under the upload's name: its blocks were committed away, then deleted.
      const [name] = relay.blobNames();
      expect(name).toMatch(new RegExp(`^${CONTAINER}/shared/[0-9a-f-]{36}\\.zip$`));
      const blob = container.getBlockBlobClient(name?.slice(CONTAINER.length + 1) ?? '');
      expect(await blob.getBlockList('all').catch((e: { statusCode?: number }) => e.statusCode)).toBe(404);
      expect(relay.calls()).toEqual(expect.arrayContaining(['PUT comp=blocklist', 'DELETE']));
    } finally {
      await relay.close();
    }
  });

  it('multipart: a definition that is not JSON after a 9 MiB zip: the committed zip is deleted', async () => {
    // Act
    const error = await failureLeavingStagingAsItWas(
      multipart([zipPart(padded(9 * MiB)), definitionPart('{')], { chunkSize: 64 * 1024 }),
      { read: readBig },
    );

    // Assess
    expect(error).toBeInstanceOf(MalformedJsonError);
  });

  it('bytes: an 11 MiB inline zip is refused with 413 before a block is written', async () => {
    // Act
    const error = await failureLeavingStagingAsItWas(
      { from: 'bytes', definition, zip: padded(11 * MiB) },
      { read: readBig },
    );

    // Assess
    expect(error).toBeInstanceOf(InlineZipTooLargeError);
    expect(error).toMatchObject({ status: 413, limit: inlineZipLimit(bigSettings) });
  });
});
