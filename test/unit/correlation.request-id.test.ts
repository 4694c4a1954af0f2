import { describe, expect, it } from 'vitest';
import { correlate, correlationHeaders } from '../../src/shared/correlation.js';
import { rawHeaders } from '../helpers/unit-factories.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe.each(['abc-1', 'A.b_c:d-9', 'x', 'r'.repeat(128), '0f8fad5b-d9cb-469f-a165-70867728950e'])(
  'a safe x-request-id %s',
  (given) => {
    it('is reused as the request id', () => {
      // Act
      const { requestId } = correlate(new Headers({ 'x-request-id': given }));

      // Assess
      expect(requestId).toBe(given);
    });
  },
);

describe('a safe x-request-id with surrounding blanks', () => {
  it('is reused without them', () => {
    // Act
    const { requestId } = correlate(rawHeaders({ 'x-request-id': '  abc-1\t' }));

    // Assess
    expect(requestId).toBe('abc-1');
  });
});

describe.each([
  { case: '129 characters', given: 'r'.repeat(129) },
  { case: 'an inner space', given: 'has space' },
  { case: 'a slash', given: 'a/b' },
  { case: 'a semicolon', given: 'a;b' },
  { case: 'quotes', given: '"abc"' },
  { case: 'a Latin-1 letter', given: 'caf\u00e9' },
])('an x-request-id with $case', ({ given }) => {
  it('is replaced by a fresh UUID', () => {
    // Act
    const { requestId } = correlate(new Headers({ 'x-request-id': given }));

    // Assess
    expect(requestId).toMatch(UUID);
    expect(requestId).not.toBe(given);
  });
});

// `Headers` refuses these values outright; a caller building its own header bag could still pass them.
describe.each([
  { case: 'an inner newline', given: 'a\nb' },
  { case: 'a CR LF injection', given: 'abc\r\nset-cookie: x=1' },
  { case: 'a NUL', given: 'a\u0000b' },
  { case: 'CJK characters', given: '\u65e5\u672c' },
  { case: 'an emoji', given: 'id-\u{1f600}' },
])('an x-request-id with $case (header bag that does not validate)', ({ given }) => {
  it('is replaced by a fresh UUID', () => {
    // Act
    const { requestId } = correlate(rawHeaders({ 'x-request-id': given }));

    // Assess
    expect(requestId).toMatch(UUID);
  });
});

describe('no x-request-id', () => {
  it('mints a different UUID for each request', () => {
    // Act
    const first = correlate(new Headers()).requestId;
    const second = correlate(new Headers()).requestId;

    // Assess
    expect(first).toMatch(UUID);
    expect(second).toMatch(UUID);
    expect(first).not.toBe(second);
  });

  it('treats an empty header as absent', () => {
    // Act
    const { requestId } = correlate(new Headers({ 'x-request-id': '' }));

    // Assess
    expect(requestId).toMatch(UUID);
  });
});

describe('correlationHeaders', () => {
  it('carries the request id and traceparent, nothing else', () => {
    // Prepare
    const correlation = correlate(new Headers({ 'x-request-id': 'abc-1' }));

    // Act
    const headers = correlationHeaders(correlation);

    // Assess
    expect(headers).toStrictEqual({ 'x-request-id': 'abc-1', traceparent: correlation.traceparent });
  });
});
