import { describe, expect, it } from 'vitest';
import { parseRetryAfter, type RetryPolicy, retryDelay } from '../../src/upstream/retry-policy.js';

const now = Date.parse('2015-10-21T07:27:30Z');

describe.each([
  { value: '0', expected: 0 },
  { value: '1', expected: 1000 },
  { value: '120', expected: 120_000 },
  { value: ' 5 ', expected: 5000 },
  { value: '007', expected: 7000 },
])('Retry-After as delta-seconds "$value"', ({ value, expected }) => {
  it(`is ${expected} ms`, () => {
    // Act
    const ms = parseRetryAfter(value, now);

    // Assess
    expect(ms).toBe(expected);
  });
});

describe.each([
  { value: 'Wed, 21 Oct 2015 07:28:00 GMT', expected: 30_000 },
  { value: 'Wed, 21 Oct 2015 07:27:30 GMT', expected: 0 },
  { value: 'Wed, 21 Oct 2015 07:00:00 GMT', expected: 0 },
  { value: 'Thu, 22 Oct 2015 07:27:30 GMT', expected: 86_400_000 },
])('Retry-After as an HTTP date "$value"', ({ value, expected }) => {
  it(`is ${expected} ms from the injected now (never negative)`, () => {
    // Act
    const ms = parseRetryAfter(value, now);

    // Assess
    expect(ms).toBe(expected);
  });
});

describe.each([undefined, '', '   ', 'soon', '12abc', '0x10', '1e3', 'NaN'])('Retry-After %j', (value) => {
  it('is unreadable: null', () => {
    // Act
    const ms = parseRetryAfter(value, now);

    // Assess
    expect(ms).toBeNull();
  });
});

// Values that are neither delta-seconds nor an HTTP date are unreadable (null), never "retry
// now": V8's lenient date parser alone would read '-1' as year -1, '1.5' as 2001-01-05, '+5' and
// 'abc 1' as past dates.
describe.each(['-1', '1.5', '+5', 'abc 1'])(
  'Retry-After "%s" (neither delta-seconds nor HTTP date)',
  (value) => {
    it('is unreadable: null', () => {
      // Act
      const ms = parseRetryAfter(value, now);

      // Assess
      expect(ms).toBeNull();
    });
  },
);

describe('a garbage Retry-After on a non-idempotent 429', () => {
  const policy: RetryPolicy = { maxRetries: 2, baseDelayMs: 100, maxDelayMs: 2000, maxRetryAfterMs: 10_000 };

  it('is not retried when the value is plain words', () => {
    // Act
    const delay = retryDelay(policy, { attempt: 1, idempotent: false, statusCode: 429, retryAfter: 'soon' });

    // Assess
    expect(delay).toBeNull();
  });

  // An unreadable 'Retry-After: -1' leaves the 429 to the caller: no immediate retry of a POST.
  it('is not retried when the value is a negative number', () => {
    // Act
    const delay = retryDelay(policy, { attempt: 1, idempotent: false, statusCode: 429, retryAfter: '-1' });

    // Assess
    expect(delay).toBeNull();
  });
});
