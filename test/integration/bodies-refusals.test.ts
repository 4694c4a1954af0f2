/**
 * Bodies the gateway refuses, over real HTTP against the emulators and Azurite: JSON nested
 * past MAX_JSON_DEPTH, bytes that are not UTF-8, control characters in `filters`, a multipart
 * startrun whose Content-Length is over what a startrun may carry, and — on the local host — a
 * refused upload written whole before the client reads (the answer must arrive, not EPIPE) and
 * a Host that makes no URL. Each case checks what came back, that the upstream received nothing,
 * and that nothing is left in staging (uncommitted blocks included).
 */

import { connect } from 'node:net';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clearStaging, example, experimentPath, multipartBody } from '../helpers/azureml-requests.js';
import { createBody, EXECUTIONS } from '../helpers/flyte-requests.js';
import { call, type Gateway, SURFACES, startGateway } from '../helpers/gateway.js';

const MiB = 1024 * 1024;
const LIMIT = 3 * MiB;
const START = `${experimentPath()}/startrun`;
const BOUNDARY = 'bodies-boundary';
const deep = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;

/** Every name in staging, uncommitted blobs (blocks never committed) included. */
async function everythingStaged(gw: Gateway): Promise<string[]> {
  const client = BlobServiceClient.fromConnectionString(
    gw.azurite?.connectionString ?? '',
  ).getContainerClient('staging');
  if (!(await client.exists())) return [];
  const names: string[] = [];
  for await (const blob of client.listBlobsFlat({ includeUncommitedBlobs: true })) names.push(blob.name);
  return names;
}

async function stagingExists(gw: Gateway): Promise<boolean> {
  const service = BlobServiceClient.fromConnectionString(gw.azurite?.connectionString ?? '');
  return service.getContainerClient('staging').exists();
}

function startRunBody(definitionText: string, zipBytes = 1024): Buffer {
  const zip = Buffer.alloc(zipBytes, 0x61);
  zip.write('PK\x03\x04', 0, 'latin1');
  return multipartBody(BOUNDARY, [
    { name: 'runDefinitionFile', filename: 'd.json', contentType: 'application/json', data: definitionText },
    { name: 'projectZipFile', filename: 'project.zip', contentType: 'application/zip', data: zip },
  ]);
}

describe.each(SURFACES)('refused bodies on %s', (surface) => {
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
    gw.emulator.reset();
    gw.azureml?.reset();
    await clearStaging(gw);
  });

  it.each([
    { route: 'create', path: EXECUTIONS },
    { route: 'recover', path: `${EXECUTIONS}/recover` },
    { route: 'relaunch', path: `${EXECUTIONS}/relaunch` },
  ])(
    '$route: 100,000 levels of nesting is a 400 naming the limit, not a 500; nothing forwarded',
    async ({ path }) => {
      // Prepare: about 200 KB, under every byte cap
      const text = `{"project":"flytesnacks","domain":"development","spec":{"x":${deep(100_000)}}}`;

      // Act
      const res = await call(gw, 'POST', path, text);

      // Assess
      expect(res.status).toBe(400);
      expect(res.json()).toMatchObject({
        type: '/problems/malformed-json',
        detail: 'The request body nests objects and arrays deeper than 128 levels (MAX_JSON_DEPTH).',
      });
      expect(gw.emulator.requests).toEqual([]);
    },
  );

  it('create: a byte that is not UTF-8 is a 400 naming its offset; nothing forwarded as U+FFFD', async () => {
    // Prepare
    const json = Buffer.from(JSON.stringify(createBody('utf8-run')));
    const at = json.indexOf('utf8-run');
    json[at] = 0xff;

    // Act
    const res = await fetch(`${gw.url}${EXECUTIONS}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: json,
    });

    // Assess
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      type: '/problems/malformed-json',
      detail: `The request body is not valid UTF-8: bad byte at offset ${at}.`,
    });
    expect(gw.emulator.requests).toEqual([]);
  });

  it('list: a NUL in filters is a 400; nothing forwarded', async () => {
    // Act
    const res = await call(gw, 'GET', `${EXECUTIONS}/flytesnacks/development?filters=eq(name,a%00b)`);

    // Assess
    expect(res.status).toBe(400);
    expect(res.json().errors).toEqual([
      { path: 'query.filters', message: expect.stringContaining('(no control characters)') },
    ]);
    expect(gw.emulator.requests).toEqual([]);
  });

  it('startrun: a runDefinitionFile 100,000 levels deep is a 400; nothing staged, nothing forwarded', async () => {
    // Act
    const res = await fetch(`${gw.url}${START}`, {
      method: 'POST',
      headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
      body: startRunBody(`{"configuration":{"script":"train.py","environment":{"x":${deep(100_000)}}}}`),
    });

    // Assess
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      type: '/problems/malformed-json',
      detail: 'body.runDefinitionFile nests objects and arrays deeper than 128 levels (MAX_JSON_DEPTH).',
    });
    expect(gw.azureml?.requests).toHaveLength(0);
    expect(await everythingStaged(gw)).toStrictEqual([]);
  });

  it('startrun: the definition as sent still works (control case)', async () => {
    // Act
    const res = await fetch(`${gw.url}${START}?runId=exp-a_bodies_1`, {
      method: 'POST',
      headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
      body: startRunBody(JSON.stringify(example('run-definition.json'))),
    });

    // Assess
    expect(res.status).toBe(200);
    expect(gw.azureml?.requests.map((r) => r.query.runId)).toStrictEqual(['exp-a_bodies_1']);
    expect(await everythingStaged(gw)).toStrictEqual([]);
  });
});

describe('the local host: every refusal reaches the client', () => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startGateway({
      surface: 'local-host',
      azureml: true,
      // The host takes far more than a startrun may carry: the app's own cap is what refuses.
      env: { FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: String(64 * MiB), MAX_PROJECT_ZIP_BYTES: String(9 * MiB) },
    });
  });
  afterAll(async () => {
    await gw?.close();
  });
  beforeEach(async () => {
    gw.azureml?.reset();
    await clearStaging(gw);
  });

  /**
   * POSTs `body` on a raw socket, reading nothing until all of it is written (as a client that
   * writes its whole body first does): a connection closed early resets, and the reset throws
   * away the answer not yet read. The answer's status and text, or the socket's error.
   */
  function writeWholeThenRead(path: string, body: Buffer, contentType: string, connection = 'keep-alive') {
    return new Promise<{ status: number; text: string } | { error: string }>((resolve) => {
      const socket = connect(Number(new URL(gw.url).port), '127.0.0.1');
      socket.pause();
      const chunks: Buffer[] = [];
      let failed = false;
      socket.on('error', (error: NodeJS.ErrnoException) => {
        failed = true;
        resolve({ error: error.code ?? error.message });
      });
      socket.on('connect', async () => {
        socket.write(
          `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${contentType}\r\n` +
            `Content-Length: ${body.byteLength}\r\nConnection: ${connection}\r\n\r\n`,
        );
        for (let offset = 0; offset < body.byteLength && !failed; offset += 256 * 1024) {
          if (!socket.write(body.subarray(offset, offset + 256 * 1024)))
            await new Promise((next) => {
              socket.once('drain', next);
              socket.once('close', next);
            });
        }
        socket.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          const text = Buffer.concat(chunks).toString();
          const split = text.indexOf('\r\n\r\n');
          if (split === -1) return;
          const [head, rest] = [text.slice(0, split), text.slice(split + 4)];
          const length = /content-length: (\d+)/i.exec(head)?.[1];
          const done = length !== undefined ? rest.length >= Number(length) : rest.endsWith('0\r\n\r\n');
          if (!done) return;
          socket.destroy();
          resolve({ status: Number(head.split(' ')[1]), text: rest });
        });
        socket.resume();
      });
    });
  }

  it('a multipart startrun declaring more than it may carry: 413 before a byte is staged, 3 of 3 answered', async () => {
    // Prepare: 20 MiB of zip, where a startrun carries at most 9 MiB (+ 1 MiB for the rest)
    const body = startRunBody(JSON.stringify(example('run-definition.json')), 20 * MiB);

    // Act
    const answers = [];
    for (let i = 0; i < 3; i++)
      answers.push(await writeWholeThenRead(START, body, `multipart/form-data; boundary=${BOUNDARY}`));

    // Assess
    for (const answer of answers) {
      expect(answer).toMatchObject({ status: 413 });
      const text = (answer as { text: string }).text;
      expect(text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1)).toContain('POST /v1/uploads');
    }
    expect(gw.azureml?.requests).toHaveLength(0);
    // Refused on its declared length: staging was never even opened (its container not made).
    expect(await stagingExists(gw)).toBe(false);
  });

  it.each(['keep-alive', 'close'])(
    "a body over the host's limit, written whole before reading (Connection: %s): the host's 500 arrives, 5 of 5, never a reset",
    async (connection) => {
      // Prepare
      const body = Buffer.alloc(65 * MiB, 0x20);

      // Act
      const answers = [];
      for (let i = 0; i < 5; i++)
        answers.push(await writeWholeThenRead(EXECUTIONS, body, 'application/json', connection));

      // Assess
      expect(answers).toStrictEqual(Array.from({ length: 5 }, () => ({ status: 500, text: '' })));
      expect(gw.emulator.requests).toEqual([]);
    },
  );

  it.each(['127.0.0.1:99999', 'a b', '[::1'])('Host %j: a 400 problem, not a bare 500', async (host) => {
    // Act: raw, since clients will not send such a Host
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(new URL(gw.url).port), '127.0.0.1', () =>
        socket.end(`GET /v1/health HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`),
      );
      const chunks: Buffer[] = [];
      socket.on('data', (c) => chunks.push(c));
      socket.on('end', () => resolve(Buffer.concat(chunks).toString()));
      socket.on('error', reject);
    });

    // Assess
    const [head, text] = answer.split('\r\n\r\n') as [string, string];
    expect(head).toMatch(/^HTTP\/1\.1 400 /);
    expect(head.toLowerCase()).toContain('content-type: application/problem+json');
    // The answer is chunked: the problem is what lies between its braces.
    expect(JSON.parse(text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1))).toMatchObject({
      type: '/problems/validation-failed',
      errors: [{ path: 'headers.host', message: 'is not a valid host[:port]' }],
    });
  });
});
