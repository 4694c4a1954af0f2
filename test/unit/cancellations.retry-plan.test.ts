import { describe, expect, it } from 'vitest';
import { firstCopies } from '../../src/cancellations/duplicates.js';
import { planRetry } from '../../src/cancellations/retry-plan.js';
import { azuremlTarget, flyteTarget } from '../helpers/cancellations.js';

const limits = { maxRetryAfterS: 900, maxDelayS: 601_200 };

describe('planRetry', () => {
  it.each([
    { retryAfterMs: undefined, expected: { delaySeconds: 1 } },
    { retryAfterMs: 900_000, expected: { delaySeconds: 900 } },
    {
      retryAfterMs: 900_001,
      expected: { reason: 'Retry-After of 901 s is over CANCEL_MAX_RETRY_AFTER_S (900 s)' },
    },
    {
      retryAfterMs: 999_999_000,
      expected: { reason: 'Retry-After of 999999 s is over CANCEL_MAX_RETRY_AFTER_S (900 s)' },
    },
  ])('Retry-After $retryAfterMs ms → $expected', ({ retryAfterMs, expected }) => {
    // Act
    const plan = planRetry(1, retryAfterMs, limits, () => 0);

    // Assess
    expect(plan).toStrictEqual(expected);
  });

  it('never plans a delay its queue message would not outlive', () => {
    // Act
    const plan = planRetry(1, 120_000, { maxRetryAfterS: 900, maxDelayS: 100 }, () => 0);

    // Assess
    expect(plan).toStrictEqual({
      reason: 'a retry in 120 s would outlive its queue message (at most 100 s)',
    });
  });
});

describe('firstCopies', () => {
  it('points every later copy of a target (same kind and identity) at its first, and nothing else', () => {
    // Prepare
    const a = flyteTarget('a');
    const b = azuremlTarget('exp_b');
    const items = [
      { index: 0, target: a },
      { index: 1, target: b },
      { index: 2, target: { ...a } },
      { index: 3, target: undefined },
      { index: 4, target: flyteTarget('A') },
      { index: 5, target: { ...b, workspaceName: 'ws-other' } },
      { index: 9, target: { ...b } },
    ];

    // Act
    const copies = firstCopies(items);

    // Assess
    expect([...copies]).toStrictEqual([
      [2, 0],
      [9, 1],
    ]);
  });
});
