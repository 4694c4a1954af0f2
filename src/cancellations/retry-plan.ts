/**
 * @module
 * When a transient failure is tried again: a back-off of 1, 2, 4 … 60 s (±25 %), never sooner
 * than the upstream's `Retry-After` — but a `Retry-After` over `CANCEL_MAX_RETRY_AFTER_S`, or
 * a delay its queue message would not outlive, is no retry at all: the target ends `failed`
 * with the reason, instead of waiting longer than anyone asked for or forever.
 */

/** What bounds a retry's delay. */
export interface RetryLimits {
  /** `CANCEL_MAX_RETRY_AFTER_S`. */
  maxRetryAfterS: number;
  /** The longest delay after which the retry message still lives long enough to be processed. */
  maxDelayS: number;
}

export type RetryPlan = { delaySeconds: number } | { reason: string };

/**
 * Seconds before a transient failure is tried again: 1, 2, 4, … up to 60 with ±25 % jitter,
 * and never sooner than the upstream's `Retry-After`. Queue visibility counts whole seconds.
 */
export function retryDelaySeconds(attempts: number, retryAfterMs?: number, random = Math.random): number {
  const backoff = Math.min(60, 2 ** (attempts - 1)) * (0.75 + random() * 0.5);
  return Math.max(1, Math.ceil(Math.max(backoff, (retryAfterMs ?? 0) / 1000)));
}

/**
 * @example
 * planRetry(1, 999_999_000, { maxRetryAfterS: 900, maxDelayS: 601_200 })
 * // { reason: 'Retry-After of 999999 s is over CANCEL_MAX_RETRY_AFTER_S (900 s)' }
 */
export function planRetry(
  attempts: number,
  retryAfterMs: number | undefined,
  limits: RetryLimits,
  random = Math.random,
): RetryPlan {
  if (retryAfterMs !== undefined && retryAfterMs > limits.maxRetryAfterS * 1000) {
    const asked = Math.ceil(retryAfterMs / 1000);
    return {
      reason: `Retry-After of ${asked} s is over CANCEL_MAX_RETRY_AFTER_S (${limits.maxRetryAfterS} s)`,
    };
  }
  const delaySeconds = retryDelaySeconds(attempts, retryAfterMs, random);
  if (delaySeconds > limits.maxDelayS) {
    return {
      reason: `a retry in ${delaySeconds} s would outlive its queue message (at most ${limits.maxDelayS} s)`,
    };
  }
  return { delaySeconds };
}
