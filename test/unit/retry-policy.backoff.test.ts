import { describe, expect, it } from 'vitest';
import { type RetryPolicy, retryDelay } from '../../src/upstream/retry-policy.js';

const policy: RetryPolicy = { maxRetries: 10, baseDelayMs: 100, maxDelayMs: 2000, maxRetryAfterMs: 10_000 };
const delayAt = (attempt: number, random: () => number) =>
  retryDelay(policy, { attempt, idempotent: true, statusCode: 503 }, random);

describe('exponential backoff with jitter', () => {
  it('doubles from baseDelayMs and stops growing at maxDelayMs (no jitter)', () => {
    // Act
    const delays = [1, 2, 3, 4, 5, 6, 7].map((attempt) => delayAt(attempt, () => 0));

    // Assess
    expect(delays).toStrictEqual([50, 100, 200, 400, 800, 1000, 1000]);
  });

  it('reaches the full ceiling at the top of the jitter range', () => {
    // Act
    const delays = [1, 2, 3, 4, 5, 6, 7].map((attempt) => delayAt(attempt, () => 0.999_999));

    // Assess
    expect(delays).toStrictEqual([100, 200, 400, 800, 1600, 2000, 2000]);
  });

  it('puts half of the ceiling into jitter', () => {
    // Act
    const delay = delayAt(3, () => 0.5);

    // Assess
    expect(delay).toBe(300);
  });

  describe.each([0, 0.1, 0.5, 0.9, 0.999_999])('with random() = %d', (r) => {
    it('stays within [ceiling / 2, ceiling] and never above maxDelayMs', () => {
      // Act
      const delays = Array.from({ length: 10 }, (_, i) => delayAt(i + 1, () => r) as number);

      // Assess
      delays.forEach((delay, i) => {
        const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** i);
        expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
        expect(delay).toBeLessThanOrEqual(ceiling);
      });
      expect(Math.max(...delays)).toBeLessThanOrEqual(policy.maxDelayMs);
    });
  });

  it('grows from one attempt to the next for the same jitter draw', () => {
    // Act
    const delays = [1, 2, 3, 4, 5].map((attempt) => delayAt(attempt, () => 0.3) as number);

    // Assess
    for (let i = 1; i < delays.length; i += 1) expect(delays[i]).toBeGreaterThan(delays[i - 1] as number);
  });

  it('uses Math.random by default and stays in range', () => {
    // Act
    const delays = Array.from(
      { length: 50 },
      () => retryDelay(policy, { attempt: 2, idempotent: true, statusCode: 502 }) as number,
    );

    // Assess
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(100);
    expect(Math.max(...delays)).toBeLessThanOrEqual(200);
  });
});
