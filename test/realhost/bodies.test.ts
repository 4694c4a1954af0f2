/**
 * Request and response bodies under the REAL Azure Functions host (../shared/realhost), with
 * FUNCTIONS_REQUEST_BODY_SIZE_LIMIT as the project deploys it: a multipart startrun of tens of
 * MB with a real zip (with a Content-Length, which the host reads whole before the worker sees
 * a byte, and chunked, which it streams), an inline zip over what a request can carry, bodies
 * over the host's limit, JSON bodies over MAX_JSON_BODY_BYTES, when an answer may leave, and
 * the streamed startlocalrun answer. Records the RSS of the host (dotnet) and of its Node.js
 * worker around each big request, and asserts what the upstream and the staging container got.
 * The same cases run on the imitation surfaces in test/integration/request-size.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { invocationBundle } from '../../sandbox/azureml/run-operations.js';
import {
  buildZip,
  EXPERIMENT,
  example,
  experimentPath,
  readZip,
  sha256,
  upstreamExperimentPath,
} from '../helpers/azureml-requests.js';
import { startRunFraming } from '../helpers/azureml-streamed-upload.js';
import { WORKSPACE } from '../helpers/gateway.js';
import {
  describeRealHost,
  formatMemory,
  type MemoryWindow,
  MiB,
  mib,
  REALHOST_HOOK_TIMEOUT_MS,
  type RealHost,
  startRealHost,
} from '../helpers/realhost.js';

const EXP = experimentPath();
const START = `${EXP}/startrun`;
const UPSTREAM_EXP = upstreamExperimentPath();
const FROZEN_AT = Date.UTC(2025, 0, 15, 10, 30, 0);
/** The host's default when the project sets none. */
const HOST_DEFAULT_LIMIT = 100 * 1000 * 1000;
/** Multipart framing and run definition the app allows around an inline zip (src/config.ts). */
const MULTIPART_ALLOWANCE = MiB;
/** The app's JSON cap (MAX_JSON_BODY_BYTES default). */
const JSON_LIMIT = 4 * MiB;
/** The design's budget for the app's peak RSS during a big upload. */
const WORKER_RSS_BUDGET = 200 * MiB;
/**
 * The most host memory a Content-Length body may cost per byte: measured at 6.1–6.6× (an 8 MiB
 * startrun: +53 MiB, 18 MiB: +110 MiB); the request limit in infra/ is sized by it (test/infra).
 */
const HOST_READ_FACTOR = 8;
/** What the host may grow by for a chunked body, which it does not read: a few MiB of its own. */
const HOST_STREAM_GROWTH = 8 * MiB;

interface Sent {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** Set when the connection failed (e.g. reset while the body was still being sent). */
  error?: string;
  /** When the answer's headers arrived, and when the client wrote the body's last byte (ms from the start). */
  answeredAt: number;
  lastByteAt: number;
}

/**
 * POSTs `body` with `node:http`, with a Content-Length or chunked, in 1 MiB writes that wait
 * for the socket; the last `holdBack` bytes only once `release` resolves. With `headFirstMs`
 * only the request head goes first, and the body not at all if an answer comes within that
 * time (a host that refuses from the Content-Length alone then closes the connection, and a
 * client still writing may see EPIPE instead of its answer). Resolves with what came back,
 * including a connection error after (or instead of) an answer.
 */
function send(
  url: string,
  body: Buffer,
  headers: Record<string, string>,
  {
    chunked = false,
    holdBack = 0,
    release,
    headFirstMs,
    timeoutMs = 60_000,
  }: {
    chunked?: boolean;
    holdBack?: number;
    release?: Promise<unknown>;
    headFirstMs?: number;
    timeoutMs?: number;
  } = {},
): Promise<Sent> {
  return new Promise((resolve) => {
    const started = performance.now();
    let answered!: () => void;
    const headersIn = new Promise<void>((r) => {
      answered = r;
    });
    let answeredAt = Number.NaN;
    let lastByteAt = Number.NaN;
    let settled = false;
    let answer: Sent | undefined;
    const finish = (result: Sent) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (!req.writableEnded) req.destroy(); // answered before the body was all sent
      resolve(result);
    };
    const req = request(
      url,
      { method: 'POST', headers: chunked ? headers : { ...headers, 'content-length': String(body.length) } },
      (res) => {
        answeredAt = performance.now() - started;
        answered();
        const chunks: Buffer[] = [];
        const sent = (error?: string): Sent => ({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text: Buffer.concat(chunks).toString('utf8'),
          answeredAt,
          lastByteAt,
          ...(error ? { error } : {}),
        });
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          answer = sent();
          finish(answer);
        });
        res.on('error', (error) => finish(sent(String(error))));
      },
    );
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    req.on('error', (error) =>
      finish(answer ?? { status: 0, headers: {}, text: '', error: String(error), answeredAt, lastByteAt }),
    );
    const write = async (part: Buffer) => {
      for (let at = 0; at < part.length && !req.destroyed; at += MiB) {
        if (!req.write(part.subarray(at, Math.min(at + MiB, part.length)))) {
          await new Promise<void>((go) => {
            const done = () => {
              req.off('drain', done);
              req.off('close', done);
              go();
            };
            req.once('drain', done);
            req.once('close', done);
          });
        }
      }
    };
    (async () => {
      if (headFirstMs !== undefined) {
        req.flushHeaders();
        const early = await Promise.race([
          headersIn.then(() => true),
          new Promise<boolean>((r) => setTimeout(() => r(false), headFirstMs)),
        ]);
        if (early) return; // answered before any byte of the body: send none
      }
      await write(body.subarray(0, body.length - holdBack));
      await release;
      if (req.destroyed) return;
      lastByteAt = performance.now() - started;
      req.end(body.subarray(body.length - holdBack));
    })().catch(() => undefined);
  });
}

/** A multipart startrun body (runDefinitionFile + projectZipFile) around `zip`. */
function startRunBody(zip: Buffer, definition: unknown = example('run-definition.json')) {
  const { contentType, head, tail } = startRunFraming(definition);
  return { contentType, body: Buffer.concat([head, zip, tail]) };
}

/** `bytes` of zip part: a zip signature then filler (all the app's check reads before its cap). */
function zipLike(bytes: number): Buffer {
  const zip = Buffer.alloc(bytes, 0x61);
  zip.write('PK\x03\x04', 0, 'latin1');
  return zip;
}

/** A JSON run definition of about `bytes` bytes (a long pass-through field). */
function bigDefinition(bytes: number): Buffer {
  const base = JSON.stringify({ ...example('snapshot-run-definition.json'), padding: '' });
  return Buffer.from(base.replace('"padding":""', `"padding":"${'x'.repeat(bytes - base.length)}"`));
}

const growth = (w: MemoryWindow) =>
  `host +${mib(w.peak.host - w.before.host)}, worker +${mib((w.peak.worker ?? 0) - (w.before.worker ?? 0))}`;

describeRealHost(
  'request bodies under the real Functions host (FUNCTIONS_REQUEST_BODY_SIZE_LIMIT as deployed)',
  () => {
    let host: RealHost;
    let frozen: number | undefined;
    /** The host's request limit, and the largest zip a startrun request may carry inline. */
    let limit: number;
    let inline: number;
    /** A real zip: a script and an incompressible entry (a model checkpoint, say), under `inline`. */
    let zip: Buffer;

    beforeAll(async () => {
      host = await startRealHost({ azureml: { now: () => frozen ?? Date.now() } });
      limit = Number(host.env.FUNCTIONS_REQUEST_BODY_SIZE_LIMIT ?? HOST_DEFAULT_LIMIT);
      inline = limit - MULTIPART_ALLOWANCE;
      zip = buildZip([
        { name: 'train.py', data: 'print("big")\n' },
        { name: 'data/weights.bin', data: randomBytes(inline - MiB) },
      ]);
      console.info(
        `[realhost] bodies: host serving after ${host.startMs} ms (pid ${host.pid}, log ${host.logFile}); ` +
          `FUNCTIONS_REQUEST_BODY_SIZE_LIMIT=${limit} (${mib(limit)}), inline zips up to ${mib(inline)}, test zip ${mib(zip.length)}`,
      );
      // Warm the route once, so the first measurement is not the worker's cold load.
      await host.call('POST', `${EXP}/snapshotrun?runId=warm-up`, {
        body: example('snapshot-run-definition.json'),
      });
    }, REALHOST_HOOK_TIMEOUT_MS);
    afterAll(async () => {
      await host?.stop();
    }, REALHOST_HOOK_TIMEOUT_MS);
    beforeEach(async ({ onTestFailed }) => {
      frozen = undefined;
      host.azureml.reset();
      const mark = host.logMark();
      onTestFailed(() => {
        console.error(`[realhost] host log during the failed test:\n${host.logSince(mark).slice(-12_000)}`);
      });
    });

    const keyed = (headers: Record<string, string>) => ({ ...headers, 'x-functions-key': host.key });
    const staged = async () => {
      const container = BlobServiceClient.fromConnectionString(
        host.azurite.connectionString,
      ).getContainerClient('staging');
      if (!(await container.exists())) return [];
      const names: string[] = [];
      for await (const blob of container.listBlobsFlat()) names.push(blob.name);
      return names;
    };
    /** Sends, sampling memory, and prints the answer, the host's log lines about it and the memory. */
    async function measured(
      label: string,
      go: () => Promise<Sent>,
    ): Promise<{ sent: Sent; memory: MemoryWindow }> {
      const mark = host.logMark();
      const sampler = host.sampleMemory();
      const started = Date.now();
      const sent = await go();
      const took = Date.now() - started;
      const memory = sampler.stop();
      const log = host
        .logSince(mark)
        .split('\n')
        .filter((l) =>
          /Request body too large|ForwarderError|Executed|request\.refused|request\.failed/.test(l),
        )
        .slice(0, 8)
        .map((l) => l.trim())
        .join('\n    ');
      console.info(
        `[realhost] ${label}: ${sent.status} content-type=${sent.headers['content-type'] ?? '-'} ` +
          `body=${JSON.stringify(sent.text.slice(0, 240))}${sent.error ? ` error=${sent.error}` : ''} (${took} ms)\n    ${log}\n` +
          `${formatMemory(label, memory)}; ${growth(memory)}`,
      );
      return { sent, memory };
    }

    // Chunked first: the host keeps what it grew to, so the Content-Length run shows its own growth.
    it.each([
      ['chunked (no Content-Length)', true],
      ['with a Content-Length', false],
    ])(
      'a multipart startrun with a real zip just under the inline limit, %s: 200, the upstream got the exact bytes',
      async (label, chunked) => {
        // Prepare
        const runId = chunked ? 'big-chunked' : 'big-length';
        const definition = example('run-definition.json');
        const { contentType, body } = startRunBody(zip, definition);
        // Act
        const { sent, memory } = await measured(`startrun ${mib(body.length)} ${label}`, () =>
          send(`${host.url}${START}?runId=${runId}`, body, keyed({ 'content-type': contentType }), {
            chunked,
          }),
        );
        // Assess: the answer
        expect(sent.error).toBeUndefined();
        expect(sent.status, sent.text).toBe(200);
        expect(JSON.parse(sent.text)).toEqual({ runId });
        // Assess: what the upstream received — the very zip — and nothing left in staging
        expect(host.azureml.requests.map((r) => [r.path, r.query])).toEqual([
          [`${UPSTREAM_EXP}/startrun`, { runId }],
        ]);
        const run = host.azureml.runs.getRun(WORKSPACE.workspace, EXPERIMENT, runId);
        expect(run?.zip).toEqual({ bytes: zip.length, sha256: sha256(zip), filename: 'project.zip' });
        expect(run?.definition).toEqual(definition);
        expect(await staged()).toEqual([]);
        // Assess: the app streams; the design's budget for its peak RSS during an upload
        expect(memory.peak.worker ?? 0).toBeLessThan(WORKER_RSS_BUDGET);
        // Assess: what the host itself holds — the basis of the request limit (README, Request
        // size): a Content-Length body is read whole, a chunked one is not.
        const hostGrowth = memory.peak.host - memory.before.host;
        if (chunked) expect(hostGrowth).toBeLessThan(HOST_STREAM_GROWTH);
        else expect(hostGrowth).toBeLessThan(HOST_READ_FACTOR * body.length);
      },
      120_000,
    );

    it.each([
      ['with a Content-Length', false],
      ['chunked', true],
    ])(
      'an inline zip over what a request can carry (under the host limit), %s: 413 naming the upload-slot route',
      async (label, chunked) => {
        // Prepare
        const { contentType, body } = startRunBody(zipLike(inline + 1));
        expect(body.length).toBeLessThan(limit);
        // Act
        const { sent } = await measured(`inline zip of ${mib(inline + 1)} ${label}`, () =>
          send(`${host.url}${START}?runId=too-big-inline`, body, keyed({ 'content-type': contentType }), {
            chunked,
          }),
        );
        // Assess
        expect(sent.status, sent.text).toBe(413);
        expect(sent.headers['content-type']).toBe('application/problem+json');
        const problem = JSON.parse(sent.text);
        expect(problem).toMatchObject({ type: '/problems/payload-too-large', status: 413 });
        expect(problem.detail).toContain(`exceeds the ${inline} bytes a startrun request can carry inline`);
        expect(problem.detail).toContain('POST /v1/uploads');
        expect(host.azureml.requests).toEqual([]);
        expect(await staged()).toEqual([]);
      },
      60_000,
    );

    it.each([
      ['with a Content-Length', false],
      ['chunked', true],
    ])(
      "a startrun body over FUNCTIONS_REQUEST_BODY_SIZE_LIMIT, %s: the host's bare 500 (recorded)",
      async (label, chunked) => {
        // Prepare
        const { contentType, body } = startRunBody(zipLike(limit + 1));
        // Act
        const { sent } = await measured(`startrun body of ${mib(body.length)} ${label}`, () =>
          send(`${host.url}${START}?runId=over-host-limit`, body, keyed({ 'content-type': contentType }), {
            chunked,
          }),
        );
        // Assess: the host's own answer; with a Content-Length the app never runs, chunked the
        // host fails the invocation once it has forwarded `limit` bytes (see the JSON case (b)).
        // With a Content-Length the host may answer and close while the client is still writing:
        // the client then sees the reset (status 0) before it can read the 500, as in case (a).
        expect(sent.text).toBe('');
        expect(chunked ? [500] : [0, 500]).toContain(sent.status);
        expect(host.azureml.requests).toEqual([]);
        expect(await staged()).toEqual([]);
      },
      60_000,
    );

    it('(a) a JSON body over the host limit with a Content-Length: the host refuses it before the app runs (recorded)', async () => {
      // Act
      const body = bigDefinition(limit + MiB);
      const { sent } = await measured(`JSON of ${mib(body.length)} with a Content-Length`, () =>
        send(
          `${host.url}${EXP}/snapshotrun?runId=too-big`,
          body,
          keyed({ 'content-type': 'application/json' }),
        ),
      );
      // Assess: the host's answer — a bare 500, no problem+json; the app never sees the request.
      // The host answers and closes while the client may still be writing: then the client sees
      // the connection reset (status 0) before it can read that 500 (about one run in ten here).
      expect(sent.text).toBe('');
      expect([0, 500]).toContain(sent.status);
      expect(host.azureml.requests).toEqual([]);
    });

    it('(b) the same JSON body chunked: the app answers 413 but the host fails the invocation with a bare 500 (recorded)', async () => {
      // Act
      const body = bigDefinition(limit + MiB);
      const { sent } = await measured(`JSON of ${mib(body.length)} chunked`, () =>
        send(
          `${host.url}${EXP}/snapshotrun?runId=too-big`,
          body,
          keyed({ 'content-type': 'application/json' }),
          {
            chunked: true,
          },
        ),
      );
      // Assess: the app refuses the body at MAX_JSON_BODY_BYTES (413, logged as request.refused)
      // and drains the rest so that the host can forward its answer; but draining makes the
      // host's forwarder read the caller's body past FUNCTIONS_REQUEST_BODY_SIZE_LIMIT, and
      // Kestrel fails that read ("Request body too large", ForwarderError RequestBodyClient):
      // the host answers a bare 500 whatever the app answered. (Before the app drained, a refused
      // body reset the worker's connection: ForwarderError RequestBodyDestination, also a bare
      // 500.) A chunked body over the host limit cannot get the app's problem+json; under the
      // host limit it does — (b2).
      expect({ status: sent.status, text: sent.text }).toStrictEqual({ status: 500, text: '' });
      expect(host.azureml.requests).toEqual([]);
    });

    it('(b2) a JSON body over MAX_JSON_BODY_BYTES, under the host limit, chunked: the app drains it and answers 413 problem+json', async () => {
      const body = bigDefinition(JSON_LIMIT + MiB / 2); // over the JSON cap, under the host limit
      const { sent } = await measured(`JSON of ${mib(body.length)} chunked`, () =>
        send(
          `${host.url}${EXP}/snapshotrun?runId=too-big`,
          body,
          keyed({ 'content-type': 'application/json' }),
          {
            chunked: true,
          },
        ),
      );
      expect(sent.status, sent.text).toBe(413);
      expect(sent.headers['content-type']).toBe('application/problem+json');
      expect(JSON.parse(sent.text)).toMatchObject({ type: '/problems/payload-too-large', status: 413 });
      expect(host.azureml.requests).toEqual([]);
    });

    it('(c) the same JSON body with a Content-Length (read whole by the host, then refused by the app): 413 problem+json', async () => {
      const body = bigDefinition(JSON_LIMIT + MiB / 2); // over the JSON cap, under the host limit
      const { sent } = await measured(`JSON of ${mib(body.length)} with a Content-Length`, () =>
        send(
          `${host.url}${EXP}/snapshotrun?runId=too-big`,
          body,
          keyed({ 'content-type': 'application/json' }),
        ),
      );
      expect(sent.status, sent.text).toBe(413);
      expect(sent.headers['content-type']).toBe('application/problem+json');
      expect(JSON.parse(sent.text)).toMatchObject({ type: '/problems/payload-too-large', status: 413 });
      expect(host.azureml.requests).toEqual([]);
    });

    it('a body with a Content-Length is answered only once all of it has arrived', async () => {
      // Prepare: the part after the zip signature is not a zip: refused as soon as it is read.
      const { contentType, body } = startRunBody(zipLike(64 * 1024));
      body.write('XX', body.indexOf('PK\x03\x04'), 'latin1');
      let release!: () => void;
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      const timer = setTimeout(release, 300);
      // Act
      const sent = await send(`${host.url}${START}`, body, keyed({ 'content-type': contentType }), {
        holdBack: 16,
        release: released,
      });
      clearTimeout(timer);
      // Assess
      expect(sent.status, sent.text).toBe(400);
      expect(sent.answeredAt).toBeGreaterThanOrEqual(sent.lastByteAt);
    });

    it('a chunked body with a bad zip: the app refuses it at once, but the host answers only once the body has ended', async () => {
      // Prepare
      const { contentType, body } = startRunBody(zipLike(64 * 1024));
      body.write('XX', body.indexOf('PK\x03\x04'), 'latin1');
      const HOLD_MS = 1_500;
      // Act: the last bytes go only after HOLD_MS
      const sent = await send(`${host.url}${START}`, body, keyed({ 'content-type': contentType }), {
        chunked: true,
        holdBack: 16,
        release: new Promise((resolve) => setTimeout(resolve, HOLD_MS)),
      });
      // Assess: the app's own 400 (it drained the rest of the body), delivered after the last
      // byte: the host completes an invocation, and sends its answer, only once it has forwarded
      // the whole request body to the worker. (The local host answers while the client still
      // holds the rest: test/integration/request-size.test.ts.)
      expect(sent.status, sent.text).toBe(400);
      expect(JSON.parse(sent.text).errors).toStrictEqual([
        { path: 'body.projectZipFile', message: 'is not a zip file (no PK signature)' },
      ]);
      expect(sent.lastByteAt).toBeGreaterThanOrEqual(HOLD_MS - 50);
      expect(sent.answeredAt).toBeGreaterThanOrEqual(sent.lastByteAt);
      expect(host.azureml.requests).toEqual([]);
    });

    it('startlocalrun: the binary answer streams back (type, length, disposition, bytes); memory recorded', async () => {
      // Prepare
      frozen = FROZEN_AT;
      const definition = example('local-run-definition.json');
      const expected = invocationBundle({ runId: 'local-big', script: 'train.py' }, EXPERIMENT, FROZEN_AT);
      // Act
      const sampler = host.sampleMemory();
      const res = await host.call('POST', `${EXP}/startlocalrun?runId=local-big`, { body: definition });
      const memory = sampler.stop();
      // Record
      console.info(
        `${formatMemory(`startlocalrun answer of ${res.bytes.length} bytes`, memory)}; ${growth(memory)}`,
      );
      // Assess
      expect(res.status, res.text).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/octet-stream');
      expect(res.headers.get('content-disposition')).toBe('attachment; filename="invocation.zip"');
      expect(res.headers.get('content-length')).toBe(String(expected.length));
      expect(res.bytes.equals(expected)).toBe(true);
      expect(readZip(res.bytes)['azureml-setup/Invocation.sh']).toContain(
        'Would start run local-big of experiment exp-a',
      );
      expect(host.azureml.requests).toHaveLength(1);
      expect(host.azureml.requests[0]).toMatchObject({
        path: `${UPSTREAM_EXP}/startlocalrun`,
        query: { runId: 'local-big' },
        status: 200,
      });
    });

    it('a JSON body under both limits works', async () => {
      const res = await host.call('POST', `${EXP}/snapshotrun?runId=small-enough`, {
        body: bigDefinition(64 * 1024).toString(),
        headers: { 'content-type': 'application/json' },
      });
      expect(res.status, res.text).toBe(200);
      expect(res.json()).toEqual({ runId: 'small-enough' });
    });
  },
);
