import { describe, expect, it } from 'vitest';
import { JsonTooDeepError, MalformedJsonError } from '../../src/problems/errors.js';
import {
  assertJsonDepth,
  firstInvalidUtf8,
  jsonTextDepth,
  jsonValueDepth,
} from '../../src/shared/json-text.js';
import { readJsonBody } from '../../src/shared/read-json-body.js';

const JSON_TYPE = new Headers({ 'content-type': 'application/json' });
const bytesStream = (bytes: Uint8Array) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });
const nested = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;

describe('JSON depth', () => {
  it.each([
    { text: '1', depth: 0 },
    { text: '{}', depth: 1 },
    { text: '{"a":[1,{"b":"]"}]}', depth: 3 },
    { text: '["[[[\\"[[["]', depth: 1 },
    { text: nested(200), depth: 200 },
  ])('$text is $depth deep, counted on its bytes and on its value alike', ({ text, depth }) => {
    // Act
    const fromText = jsonTextDepth(Buffer.from(text));
    const fromValue = jsonValueDepth(JSON.parse(text));

    // Assess
    expect([fromText, fromValue]).toStrictEqual([depth, depth]);
  });

  it('a body at MAX_JSON_DEPTH is read; one level more is a 400 naming the limit', async () => {
    // Act
    const atLimit = await readJsonBody(bytesStream(Buffer.from(nested(8))), JSON_TYPE, 1 << 20, 8);
    const over = await readJsonBody(bytesStream(Buffer.from(nested(9))), JSON_TYPE, 1 << 20, 8).catch(
      (e) => e,
    );

    // Assess
    expect(atLimit).toStrictEqual(JSON.parse(nested(8)));
    expect(over).toBeInstanceOf(JsonTooDeepError);
    expect(over).toMatchObject({ status: 400, type: 'malformed-json', limit: 8 });
    expect((over as JsonTooDeepError).detail).toBe(
      'The request body nests objects and arrays deeper than 8 levels (MAX_JSON_DEPTH).',
    );
  });

  it('100,000 levels (JSON.stringify would throw on them) are refused with the default 128, unparsed', async () => {
    // Prepare
    const text = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;

    // Act
    const error = await readJsonBody(bytesStream(Buffer.from(text)), JSON_TYPE, 1 << 20).catch((e) => e);

    // Assess
    expect(error).toBeInstanceOf(JsonTooDeepError);
    expect(error).toMatchObject({ limit: 128 });
  });

  it('assertJsonDepth (for values already parsed, MCP arguments) names what it checked', () => {
    // Prepare
    let deep: unknown = 1;
    for (let i = 0; i < 50_000; i++) deep = [deep];

    // Act
    const error = (() => {
      try {
        assertJsonDepth({ arguments: deep }, 128, 'The tool arguments');
      } catch (e) {
        return e;
      }
    })();

    // Assess
    expect(error).toBeInstanceOf(JsonTooDeepError);
    expect((error as JsonTooDeepError).detail).toBe(
      'The tool arguments nests objects and arrays deeper than 128 levels (MAX_JSON_DEPTH).',
    );
    expect(() => assertJsonDepth({ a: [1, { b: 2 }] }, 3)).not.toThrow();
  });
});

describe('UTF-8', () => {
  it.each([
    { case: 'a lone continuation byte', bytes: [0x7b, 0x22, 0x61, 0x80, 0x22], offset: 3 },
    { case: '0xff', bytes: [0x22, 0xff, 0x22], offset: 1 },
    { case: 'a cut 3-byte sequence', bytes: [0x22, 0xe2, 0x82, 0x22], offset: 1 },
    { case: 'an overlong NUL', bytes: [0x22, 0xc0, 0x80, 0x22], offset: 1 },
    { case: 'a surrogate', bytes: [0x22, 0xed, 0xa0, 0x80, 0x22], offset: 1 },
    { case: 'after a real U+FFFD', bytes: [0x22, 0xef, 0xbf, 0xbd, 0xff, 0x22], offset: 4 },
  ])('$case is found at byte $offset', ({ bytes, offset }) => {
    // Act
    const found = firstInvalidUtf8(Uint8Array.from(bytes));

    // Assess
    expect(found).toBe(offset);
  });

  it('valid text, U+FFFD included, has no bad byte', () => {
    // Act
    const found = firstInvalidUtf8(Buffer.from('{"a":"café \uFFFD 😀"}'));

    // Assess
    expect(found).toBe(-1);
  });

  it('a JSON body with a bad byte is a 400 naming its offset, never read as U+FFFD', async () => {
    // Prepare
    const body = Buffer.concat([Buffer.from('{"cause":"a'), Buffer.from([0xfe]), Buffer.from('b"}')]);

    // Act
    const error = await readJsonBody(bytesStream(body), JSON_TYPE, 1024).catch((e: MalformedJsonError) => e);

    // Assess
    expect(error).toBeInstanceOf(MalformedJsonError);
    expect((error as MalformedJsonError).detail).toBe(
      'The request body is not valid UTF-8: bad byte at offset 11.',
    );
  });
});
