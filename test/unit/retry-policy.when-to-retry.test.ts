import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RETRYABLE_ERROR_CODES, type RetryPolicy, retryDelay } from '../../src/upstream/retry-policy.js';

const policy: RetryPolicy = { maxRetries: 2, baseDelayMs: 100, maxDelayMs: 2000, maxRetryAfterMs: 10_000 };
const noJitter = () => 0;

const transient = [
  { failure: '502', outcome: { statusCode: 502 } },
  { failure: '503 without Retry-After', outcome: { statusCode: 503 } },
  { failure: '504', outcome: { statusCode: 504 } },
  { failure: 'ECONNRESET', outcome: { errorCode: 'ECONNRESET' } },
];

describe.each(transient)('after a $failure', ({ outcome }) => {
  it('a non-idempotent operation is never retried', () => {
    // Act
    const delays = [1, 2].map((attempt) =>
      retryDelay(policy, { attempt, idempotent: false, ...outcome }, noJitter),
    );

    // Assess
    expect(delays).toStrictEqual([null, null]);
  });

  it('an idempotent operation is retried after the first backoff step', () => {
    // Act
    const delay = retryDelay(policy, { attempt: 1, idempotent: true, ...outcome }, noJitter);

    // Assess
    expect(delay).toBe(50);
  });
});

describe.each(RETRYABLE_ERROR_CODES)('connection failure %s', (errorCode) => {
  it('is retried for an idempotent operation only', () => {
    // Act
    const idempotent = retryDelay(policy, { attempt: 1, idempotent: true, errorCode }, noJitter);
    const other = retryDelay(policy, { attempt: 1, idempotent: false, errorCode }, noJitter);

    // Assess
    expect([idempotent, other]).toStrictEqual([50, null]);
  });
});

describe.each([
  { failure: '500', outcome: { statusCode: 500 } },
  { failure: '400', outcome: { statusCode: 400 } },
  { failure: '404', outcome: { statusCode: 404 } },
  { failure: '429 without Retry-After', outcome: { statusCode: 429 } },
  { failure: 'a timeout', outcome: { errorCode: 'UND_ERR_HEADERS_TIMEOUT' } },
  { failure: 'an unknown error code', outcome: { errorCode: 'EWHATEVER' } },
  { failure: 'nothing known', outcome: {} },
])('after $failure', ({ outcome }) => {
  it('even an idempotent operation is not retried', () => {
    // Act
    const delay = retryDelay(policy, { attempt: 1, idempotent: true, ...outcome }, noJitter);

    // Assess
    expect(delay).toBeNull();
  });
});

describe.each([429, 503])('a %i with Retry-After', (statusCode) => {
  describe.each([true, false])('for idempotent=%s', (idempotent) => {
    it.each([
      { retryAfter: '0', expected: 0 },
      { retryAfter: '3', expected: 3000 },
      { retryAfter: '10', expected: 10_000 },
    ])('waits Retry-After: $retryAfter as $expected ms', ({ retryAfter, expected }) => {
      // Act
      const delay = retryDelay(policy, { attempt: 1, idempotent, statusCode, retryAfter }, noJitter);

      // Assess
      expect(delay).toBe(expected);
    });

    it('gives up when Retry-After is beyond maxRetryAfterMs', () => {
      // Act
      const delay = retryDelay(policy, { attempt: 1, idempotent, statusCode, retryAfter: '11' }, noJitter);

      // Assess
      expect(delay).toBeNull();
    });
  });

  describe('given as an HTTP date', () => {
    beforeEach(() => {
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(new Date('2025-03-01T12:00:00Z'));
    });
    afterEach(() => {
      vi.useRealTimers();
    });

    it('waits until that date', () => {
      // Act
      const delay = retryDelay(policy, {
        attempt: 1,
        idempotent: false,
        statusCode,
        retryAfter: 'Sat, 01 Mar 2025 12:00:04 GMT',
      });

      // Assess
      expect(delay).toBe(4000);
    });

    it('gives up when that date is further away than maxRetryAfterMs', () => {
      // Act
      const delay = retryDelay(policy, {
        attempt: 1,
        idempotent: false,
        statusCode,
        retryAfter: 'Sat, 01 Mar 2025 12:00:11 GMT',
      });

      // Assess
      expect(delay).toBeNull();
    });
  });
});

describe('a 502 that carries Retry-After', () => {
  it('follows the idempotency rule and the backoff, not the header', () => {
    // Prepare
    const outcome = { attempt: 1, statusCode: 502, retryAfter: '5' };

    // Act
    const idempotent = retryDelay(policy, { ...outcome, idempotent: true }, noJitter);
    const other = retryDelay(policy, { ...outcome, idempotent: false }, noJitter);

    // Assess
    expect([idempotent, other]).toStrictEqual([50, null]);
  });
});

describe('the retry budget', () => {
  it.each([
    { outcome: { idempotent: true, statusCode: 503 } },
    { outcome: { idempotent: false, statusCode: 429, retryAfter: '1' } },
    { outcome: { idempotent: true, errorCode: 'ECONNRESET' } },
  ])('stops once attempt exceeds maxRetries for $outcome', ({ outcome }) => {
    // Act
    const delays = [1, 2, 3, 4].map((attempt) => retryDelay(policy, { attempt, ...outcome }, noJitter));

    // Assess
    expect(delays.map((d) => d !== null)).toStrictEqual([true, true, false, false]);
  });

  it('allows no retry at all with maxRetries 0', () => {
    // Act
    const delay = retryDelay(
      { ...policy, maxRetries: 0 },
      { attempt: 1, idempotent: false, statusCode: 429, retryAfter: '1' },
    );

    // Assess
    expect(delay).toBeNull();
  });
});
