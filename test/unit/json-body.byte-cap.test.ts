import { describe, expect, it } from 'vitest';
import { readCapped } from '../../src/shared/read-capped.js';
import { readJsonBody } from '../../src/shared/read-json-body.js';
import { endlessStream, textStream, untouchableStream } from '../helpers/unit-factories.js';

const LIMIT = 1024;
const jsonOfSize = (bytes: number) => JSON.stringify({ pad: 'x'.repeat(bytes - 10) });

describe('readCapped', () => {
  it.each([
    { size: 0, chunk: 64 },
    { size: 1023, chunk: 100 },
    { size: 1024, chunk: 1024 },
    { size: 1024, chunk: 7 },
  ])('reads $size bytes in chunks of $chunk whole, under a cap of 1024', async ({ size, chunk }) => {
    // Prepare
    const text = 'a'.repeat(size);

    // Act
    const { bytes, truncated } = await readCapped(textStream(text, chunk), LIMIT);

    // Assess
    expect(truncated).toBe(false);
    expect(bytes.toString('utf8')).toBe(text);
  });

  it.each([
    { size: 1025, chunk: 1025 },
    { size: 1025, chunk: 64 },
    { size: 5000, chunk: 512 },
  ])(
    'stops at the cap for $size bytes in chunks of $chunk and keeps the first 1024',
    async ({ size, chunk }) => {
      // Prepare
      const text = 'b'.repeat(size);

      // Act
      const { bytes, truncated } = await readCapped(textStream(text, chunk), LIMIT);

      // Assess
      expect(truncated).toBe(true);
      expect(bytes.byteLength).toBe(LIMIT);
    },
  );

  it('cancels an endless stream right after the cap', async () => {
    // Prepare
    const source = endlessStream(256);

    // Act
    const { truncated } = await readCapped(source.stream, LIMIT);

    // Assess
    expect(truncated).toBe(true);
    expect(source.cancelled()).toBe(true);
    expect(source.pulledBytes()).toBe(LIMIT + 256);
  });
});

describe('readJsonBody byte cap', () => {
  it('accepts a body of exactly the cap', async () => {
    // Prepare
    const text = jsonOfSize(LIMIT);

    // Act
    const body = await readJsonBody(
      textStream(text),
      new Headers({ 'content-type': 'application/json' }),
      LIMIT,
    );

    // Assess
    expect(Buffer.byteLength(text)).toBe(LIMIT);
    expect(body).toStrictEqual(JSON.parse(text));
  });

  it('counts bytes, not characters', async () => {
    // Prepare: 400 three-byte characters are 1200 bytes
    const text = JSON.stringify({ s: '\u20ac'.repeat(400) });

    // Act
    const read = readJsonBody(textStream(text), new Headers(), LIMIT);

    // Assess
    await expect(read).rejects.toMatchObject({ type: 'payload-too-large', status: 413, limit: LIMIT });
  });

  describe.each<{ case: string; headers: Record<string, string> }>([
    { case: 'no Content-Length', headers: {} },
    { case: 'a Content-Length that lies small', headers: { 'content-length': '10' } },
    { case: 'a Content-Length of 0', headers: { 'content-length': '0' } },
    { case: 'a non-numeric Content-Length', headers: { 'content-length': 'lots' } },
    {
      case: 'a huge Content-Length beside Transfer-Encoding',
      headers: { 'content-length': '999999', 'transfer-encoding': 'chunked' },
    },
  ])('with $case', ({ headers }) => {
    it('refuses a larger body by counting streamed bytes', async () => {
      // Prepare
      const text = jsonOfSize(LIMIT + 1);

      // Act
      const read = readJsonBody(textStream(text, 100), new Headers(headers), LIMIT);

      // Assess
      await expect(read).rejects.toMatchObject({ type: 'payload-too-large', status: 413 });
    });

    it('stops reading an endless body shortly after the cap', async () => {
      // Prepare
      const source = endlessStream(256);

      // Act
      const read = readJsonBody(source.stream, new Headers(headers), LIMIT);

      // Assess
      await expect(read).rejects.toMatchObject({ type: 'payload-too-large' });
      expect(source.pulledBytes()).toBeLessThanOrEqual(LIMIT + 256);
      expect(source.cancelled()).toBe(true);
    });
  });

  describe.each(['1025', '4194304', ' 2048 '])('with Content-Length %s above the cap', (length) => {
    it('refuses without reading a byte and cancels the stream', async () => {
      // Prepare
      const source = untouchableStream();

      // Act
      const read = readJsonBody(source.stream, new Headers({ 'content-length': length }), LIMIT);

      // Assess
      await expect(read).rejects.toMatchObject({
        type: 'payload-too-large',
        status: 413,
        detail: 'The request body exceeds the limit of 1024 bytes.',
      });
      expect(source.pulls()).toBe(0);
      expect(source.cancelled()).toBe(true);
    });
  });

  it('refuses a declared oversize body even when there is no stream', async () => {
    // Act
    const read = readJsonBody(null, new Headers({ 'content-length': '5000' }), LIMIT);

    // Assess
    await expect(read).rejects.toMatchObject({ type: 'payload-too-large' });
  });
});
