import { describe, expect, it } from 'vitest';
import { type RetryPolicy, retryDelay } from '../../src/upstream/retry-policy.js';

const policy: RetryPolicy = { maxRetries: 2, baseDelayMs: 100, maxDelayMs: 2000, maxRetryAfterMs: 10_000 };
const noJitter = () => 0;

describe('a retry and the call deadline', () => {
  it('a Retry-After wait that would use up the time left is not taken: the answer goes back', () => {
    const outcome = { attempt: 1, idempotent: false, statusCode: 429, retryAfter: '2' };
    expect(retryDelay(policy, { ...outcome, remainingMs: 2000 }, noJitter)).toBeNull();
    expect(retryDelay(policy, { ...outcome, remainingMs: 1500 }, noJitter)).toBeNull();
    expect(retryDelay(policy, { ...outcome, remainingMs: 2001 }, noJitter)).toBe(2000);
  });

  it('a backoff within the time left is taken; without a deadline, as before', () => {
    const outcome = { attempt: 1, idempotent: true, statusCode: 503 };
    expect(retryDelay(policy, { ...outcome, remainingMs: 51 }, noJitter)).toBe(50);
    expect(retryDelay(policy, { ...outcome, remainingMs: 50 }, noJitter)).toBeNull();
    expect(retryDelay(policy, outcome, noJitter)).toBe(50);
  });
});
