/**
 * Request bodies as the Functions host treats them, on both surfaces (which imitate it; the
 * real host runs the same cases in test/realhost): a body with a Content-Length is read whole
 * before the function runs, a chunked one streams to it, and either is answered only once it
 * has all arrived; past FUNCTIONS_REQUEST_BODY_SIZE_LIMIT the
 * host answers a bare 500 and the app never runs; a zip sent inline over what a request can
 * carry gets the app's 413 naming the upload-slot route. Nothing is staged or sent upstream
 * for any refused request.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  clearStaging,
  example,
  experimentPath,
  multipartBody,
  stagedBlobs,
} from '../helpers/azureml-requests.js';
import { type Gateway, SURFACES, startGateway } from '../helpers/gateway.js';
import { pollUntil } from '../helpers/poll.js';

const MiB = 1024 * 1024;
/** The host's limit in this suite: inline zips may take 2 MiB. */
const LIMIT = 3 * MiB;
const START = `${experimentPath()}/startrun`;
const BOUNDARY = 'size-boundary';

/** A startrun body with a zip part of `zipBytes` (a zip signature, then filler). */
function startRunBody(zipBytes: number): Buffer {
  const zip = Buffer.alloc(zipBytes, 0x61);
  zip.write('PK\x03\x04', 0, 'latin1');
  return multipartBody(BOUNDARY, [
    {
      name: 'runDefinitionFile',
      filename: 'definition.json',
      contentType: 'application/json',
      data: JSON.stringify(example('run-definition.json')),
    },
    { name: 'projectZipFile', filename: 'project.zip', contentType: 'application/zip', data: zip },
  ]);
}

interface Sent {
  status: number;
  text: string;
  /** When the answer's headers arrived, and when the client wrote the body's last byte (ms). */
  answeredAt: number;
  lastByteAt: number;
}

/**
 * POSTs `body` with node:http: with a Content-Length or chunked, the last `holdBack` bytes
 * written only once `release` resolves.
 */
function send(
  url: string,
  body: Buffer,
  {
    chunked,
    holdBack = 0,
    release,
    contentType = `multipart/form-data; boundary=${BOUNDARY}`,
  }: { chunked: boolean; holdBack?: number; release?: Promise<unknown>; contentType?: string },
): Promise<Sent> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let lastByteAt = Number.NaN;
    let answeredAt = Number.NaN;
    const headers: Record<string, string> = { 'content-type': contentType };
    if (!chunked) headers['content-length'] = String(body.byteLength);
    const req = request(url, { method: 'POST', headers }, (res) => {
      answeredAt = performance.now() - started;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          text: Buffer.concat(chunks).toString(),
          answeredAt,
          lastByteAt,
        }),
      );
    });
    // A host that closes the connection after its answer may cut the rest of the upload.
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (!['EPIPE', 'ECONNRESET'].includes(error.code ?? '')) reject(error);
    });
    req.write(body.subarray(0, body.byteLength - holdBack));
    void Promise.resolve(release).then(() => {
      lastByteAt = performance.now() - started;
      req.end(body.subarray(body.byteLength - holdBack));
    });
  });
}

describe.each(SURFACES)('request size on %s', (surface) => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startGateway({
      surface,
      azureml: true,
      env: { FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: String(LIMIT) },
    });
  });
  afterAll(async () => {
    await gw?.close();
  });
  beforeEach(async () => {
    gw.azureml?.reset();
    await clearStaging(gw);
  });

  it.each([
    { mode: 'with a Content-Length', chunked: false },
    { mode: 'chunked', chunked: true },
  ])('an inline zip over LIMIT - 1 MiB, $mode, is 413 naming the upload-slot route', async ({ chunked }) => {
    // Act
    const sent = await send(`${gw.url}${START}`, startRunBody(2 * MiB + 1), { chunked });

    // Assess
    expect(sent.status).toBe(413);
    const problem = JSON.parse(sent.text);
    expect(problem).toMatchObject({ type: '/problems/payload-too-large', status: 413 });
    expect(problem.detail).toContain(`exceeds the ${2 * MiB} bytes a startrun request can carry inline`);
    expect(problem.detail).toContain('POST /v1/uploads');
    expect(gw.azureml?.requests).toHaveLength(0);
    expect(await stagedBlobs(gw)).toStrictEqual([]);
  });

  it.each([
    { mode: 'with a Content-Length', chunked: false },
    { mode: 'chunked', chunked: true },
  ])(
    "a body over FUNCTIONS_REQUEST_BODY_SIZE_LIMIT, $mode, gets the host's bare 500",
    async ({ chunked }) => {
      // Prepare: JSON (the app's JSON cap, 4 MiB, is above LIMIT), so the host's limit is what trips.
      const pad = 'x'.repeat(LIMIT);
      const body = Buffer.from(JSON.stringify({ runDefinition: {}, stagedZipId: 'none', pad }));

      // Act
      const sent = await send(`${gw.url}${START}`, body, { chunked, contentType: 'application/json' });

      // Assess
      expect({ status: sent.status, text: sent.text }).toStrictEqual({ status: 500, text: '' });
      expect(gw.azureml?.requests).toHaveLength(0);
      expect(await stagedBlobs(gw)).toStrictEqual([]);
    },
  );

  it('a body with a Content-Length is answered only once all of it has arrived', async () => {
    // Prepare: the part after the zip signature is not a zip: refused as soon as it is read.
    const body = startRunBody(64 * 1024);
    body.write('XX', body.indexOf('PK\x03\x04'), 'latin1');
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const timer = setTimeout(release, 300);

    // Act
    const sent = await send(`${gw.url}${START}`, body, { chunked: false, holdBack: 16, release: released });
    clearTimeout(timer);

    // Assess
    expect(sent.status).toBe(400);
    expect(sent.answeredAt).toBeGreaterThanOrEqual(sent.lastByteAt);
  });

  it('a chunked body reaches the app as it comes, but is answered only once all of it has arrived', async () => {
    // Prepare: the app refuses the bad zip at its first bytes; the host still forwards the rest.
    const body = startRunBody(64 * 1024);
    body.write('XX', body.indexOf('PK\x03\x04'), 'latin1');
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const logged = gw.logs.lines.length;
    const refused = pollUntil(
      async () => gw.logs.lines.slice(logged).some((line) => line.includes('"request.refused"')),
      Boolean,
    );

    // Act: the last bytes go once the app has refused the body.
    const pending = send(`${gw.url}${START}`, body, { chunked: true, holdBack: 16, release: released });
    await refused;
    release();
    const sent = await pending;

    // Assess
    expect(sent.status).toBe(400);
    expect(sent.answeredAt).toBeGreaterThanOrEqual(sent.lastByteAt);
    expect(JSON.parse(sent.text).errors).toStrictEqual([
      { path: 'body.projectZipFile', message: 'is not a zip file (no PK signature)' },
    ]);
    expect(gw.azureml?.requests).toHaveLength(0);
  });

  it('a zip that fits goes through, either way', async () => {
    // Act
    const [withLength, chunked] = [
      await send(`${gw.url}${START}?runId=exp-a_fits_1`, startRunBody(MiB), { chunked: false }),
      await send(`${gw.url}${START}?runId=exp-a_fits_2`, startRunBody(MiB), { chunked: true }),
    ];

    // Assess
    expect([withLength.status, chunked.status]).toStrictEqual([200, 200]);
    expect(
      gw.azureml?.requests.map((r) => ({ path: r.path.split('/').at(-1), runId: r.query.runId })),
    ).toStrictEqual([
      { path: 'startrun', runId: 'exp-a_fits_1' },
      { path: 'startrun', runId: 'exp-a_fits_2' },
    ]);
    for (const r of gw.azureml?.requests ?? []) expect(r.bodyBytes).toBeGreaterThan(MiB);
  });
});
