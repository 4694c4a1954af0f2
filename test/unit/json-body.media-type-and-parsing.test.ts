import { describe, expect, it } from 'vitest';
import { MalformedJsonError } from '../../src/problems/errors.js';
import { isJsonMediaType, readJsonBody } from '../../src/shared/read-json-body.js';
import { textStream } from '../helpers/unit-factories.js';

const LIMIT = 4096;

describe('an empty body', () => {
  it.each<{ case: string; body: () => ReadableStream<Uint8Array> | null; headers: Record<string, string> }>([
    { case: 'no stream', body: () => null, headers: {} },
    {
      case: 'a zero-byte stream',
      body: () => textStream(''),
      headers: { 'content-type': 'application/json' },
    },
    { case: 'only whitespace', body: () => textStream(' \n\t '), headers: {} },
    {
      case: 'zero bytes sent as text/plain',
      body: () => textStream(''),
      headers: { 'content-type': 'text/plain' },
    },
  ])('is undefined with $case', async ({ body, headers }) => {
    // Act
    const parsed = await readJsonBody(body(), new Headers(headers), LIMIT);

    // Assess
    expect(parsed).toBeUndefined();
  });
});

describe.each([
  { case: 'application/json', contentType: 'application/json' },
  { case: 'application/json; charset=utf-8', contentType: 'application/json; charset=utf-8' },
  { case: 'APPLICATION/JSON;CHARSET=UTF-8', contentType: 'APPLICATION/JSON;CHARSET=UTF-8' },
  { case: 'application/merge-patch+json', contentType: 'application/merge-patch+json' },
])('a JSON body with $case', ({ contentType }) => {
  it('is parsed', async () => {
    // Prepare
    const headers = new Headers({ 'content-type': contentType });

    // Act
    const parsed = await readJsonBody(textStream('{"cause":"done","n":[1,2]}', 5), headers, LIMIT);

    // Assess
    expect(parsed).toStrictEqual({ cause: 'done', n: [1, 2] });
  });
});

describe('multi-byte characters split across chunks', () => {
  it('are decoded intact', async () => {
    // Prepare
    const text = JSON.stringify({ cause: '\u20ac\u00e9\u{1f600}' });

    // Act
    const parsed = await readJsonBody(
      textStream(text, 1),
      new Headers({ 'content-type': 'application/json' }),
      LIMIT,
    );

    // Assess
    expect(parsed).toStrictEqual({ cause: '\u20ac\u00e9\u{1f600}' });
  });
});

describe.each([
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'text/json',
])('a body sent as %s', (contentType) => {
  it('is refused with 415 unsupported-media-type', async () => {
    // Act
    const read = readJsonBody(textStream('{"a":1}'), new Headers({ 'content-type': contentType }), LIMIT);

    // Assess
    await expect(read).rejects.toMatchObject({
      type: 'unsupported-media-type',
      status: 415,
      detail: `Content-Type ${JSON.stringify(contentType)} is not accepted; send application/json.`,
    });
  });
});

describe('a JSON body without a Content-Type', () => {
  it('is refused with 415 unsupported-media-type (a browser sends it without a CORS preflight)', async () => {
    // Act
    const read = readJsonBody(textStream('{"a":1}'), new Headers(), LIMIT);

    // Assess
    await expect(read).rejects.toMatchObject({
      type: 'unsupported-media-type',
      status: 415,
      detail: 'A body without a Content-Type is not accepted; send application/json.',
    });
  });

  it('is 415 when it is not JSON either', async () => {
    // Act
    const read = readJsonBody(textStream('targets=all'), new Headers(), LIMIT);

    // Assess
    await expect(read).rejects.toMatchObject({ type: 'unsupported-media-type', status: 415 });
  });

  it('is the 400 naming a reserved field first (under the real host `Headers` displaced its Content-Type)', async () => {
    // Act
    const read = readJsonBody(textStream('{"Headers":{"x-request-id":"spoofed"}}'), new Headers(), LIMIT);

    // Assess
    await expect(read).rejects.toMatchObject({ type: 'validation-failed', status: 400 });
  });
});

describe.each(['{"a":', '{a:1}', "{'a':1}", 'undefined', '{"a":1}}', '\u00ff\u00fe'])(
  'malformed JSON %j',
  (text) => {
    it('is refused with 400 malformed-json', async () => {
      // Act
      const error = await readJsonBody(
        textStream(text),
        new Headers({ 'content-type': 'application/json' }),
        LIMIT,
      ).catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(MalformedJsonError);
      expect(error).toMatchObject({ type: 'malformed-json', status: 400 });
      expect((error as MalformedJsonError).detail).toMatch(/^The request body is not valid JSON: /);
    });
  },
);

describe.each([
  { value: 'null', expected: null },
  { value: '[]', expected: [] },
  { value: '"text"', expected: 'text' },
  { value: '42', expected: 42 },
])('a JSON body that is not an object ($value)', ({ value, expected }) => {
  it('is handed on as parsed, for the schema to judge', async () => {
    // Act
    const parsed = await readJsonBody(
      textStream(value),
      new Headers({ 'content-type': 'application/json' }),
      LIMIT,
    );

    // Assess
    expect(parsed).toStrictEqual(expected);
  });
});

describe.each([
  { type: 'application/json', expected: true },
  { type: 'application/json; charset=utf-8', expected: true },
  { type: ' Application/JSON ', expected: true },
  { type: 'application/merge-patch+json', expected: true },
  { type: 'application/problem+json; charset=utf-8', expected: true },
  { type: 'application/vnd.api+json', expected: true },
  { type: 'application/jsonx', expected: false },
  { type: 'application/json-seq', expected: false },
  { type: 'text/json', expected: false },
  { type: 'text/plain', expected: false },
  { type: '', expected: false },
])('isJsonMediaType("$type")', ({ type, expected }) => {
  it(`is ${expected}`, () => {
    // Act
    const result = isJsonMediaType(type);

    // Assess
    expect(result).toBe(expected);
  });
});
