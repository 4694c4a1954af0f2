/**
 * A large startrun upload made as it is sent, never held whole: a multipart/form-data
 * `ReadableStream` whose `projectZipFile` part starts with a zip local-file-header signature
 * (`PK\x03\x04`, all the gateway's zip check reads) followed by pseudo-random bytes, hashed
 * as they are produced. Plus an RSS sampler, to bound the memory of the process that serves
 * the upload while it runs.
 * @example
 * const upload = streamedStartRun({ configuration: { script: 'train.py' } }, 200 * 1024 * 1024);
 * const res = await postStream(url, upload.body, upload.contentType);
 * const { size, sha256 } = await upload.zip;
 */
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';

const CHUNK_BYTES = 1024 * 1024;

export interface StreamedStartRun {
  contentType: string;
  body: ReadableStream<Uint8Array>;
  /** Size and SHA-256 of the zip part, once it has all been produced. */
  zip: Promise<{ size: number; sha256: string }>;
  /** Length of the whole multipart body (framing + definition + zip). */
  totalBytes: number;
}

/** The startrun multipart body around a zip: everything before the zip's bytes, and after. */
export function startRunFraming(definition: unknown): { contentType: string; head: Buffer; tail: Buffer } {
  const boundary = `----streamed-${randomBytes(8).toString('hex')}`;
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    head: Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="runDefinitionFile"; filename="definition.json"\r\n` +
        `Content-Type: application/json\r\n\r\n${JSON.stringify(definition)}\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="projectZipFile"; filename="project.zip"\r\n` +
        'Content-Type: application/zip\r\n\r\n',
    ),
    tail: Buffer.from(`\r\n--${boundary}--\r\n`),
  };
}

/** A multipart body with `zipBytes` of zip part, produced chunk by chunk on demand. */
export function streamedStartRun(definition: unknown, zipBytes: number): StreamedStartRun {
  const { contentType, head, tail } = startRunFraming(definition);
  const pattern = randomBytes(CHUNK_BYTES);
  const hash = createHash('sha256');
  let produced = 0;
  let counter = 0;
  let done!: (value: { size: number; sha256: string }) => void;
  const zip = new Promise<{ size: number; sha256: string }>((resolve) => {
    done = resolve;
  });
  const body = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        controller.enqueue(head);
      },
      pull(controller) {
        if (produced >= zipBytes) {
          done({ size: produced, sha256: hash.digest('hex') });
          controller.enqueue(tail);
          controller.close();
          return;
        }
        const size = Math.min(CHUNK_BYTES, zipBytes - produced);
        const chunk = Buffer.allocUnsafe(size);
        pattern.copy(chunk, 0, 0, size);
        // Each chunk differs from the others: a counter over the pattern's start.
        if (size >= 8) chunk.writeBigUInt64LE(BigInt(++counter), 0);
        if (produced === 0) chunk.write('PK\x03\x04', 0, 'latin1');
        hash.update(chunk);
        produced += size;
        controller.enqueue(chunk);
      },
    },
    { highWaterMark: 0 },
  );
  return {
    contentType,
    body,
    zip,
    totalBytes: head.length + zipBytes + tail.length,
  };
}

/**
 * POSTs a streamed body with `node:http`, chunk by chunk as the socket drains. Not `fetch`:
 * Node 22's fetch keeps every chunk of a streamed request body reachable until the request
 * ends (a 200 MiB upload had none of its 1 MiB chunks collected mid-way, even with forced
 * GCs), which would put the client's whole upload into the memory a test measures.
 */
export function postStream(
  url: string,
  body: ReadableStream<Uint8Array>,
  contentType: string,
): Promise<{ status: number; text: string }> {
  return postReadable(url, Readable.fromWeb(body as NodeReadableStream<Uint8Array>), contentType);
}

/** {@link postStream} for a Node stream: POSTs it chunked, as it is made; resolves to the answer. */
export function postReadable(
  url: string,
  body: Readable,
  contentType: string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': contentType } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    body.pipe(req);
  });
}

export interface RssSummary {
  baseline: number;
  peak: number;
  samples: number;
}

/**
 * Samples `process.memoryUsage.rss()` every `intervalMs` until stopped.
 * @example
 * const sampler = sampleRss(); await work(); const { baseline, peak } = sampler.stop();
 */
export function sampleRss(intervalMs = 10): { stop(): RssSummary } {
  const baseline = process.memoryUsage.rss();
  let peak = baseline;
  let samples = 0;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
    samples += 1;
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      peak = Math.max(peak, process.memoryUsage.rss());
      return { baseline, peak, samples };
    },
  };
}
