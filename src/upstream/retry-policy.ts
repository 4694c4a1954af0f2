/**
 * @module
 * When to call an upstream again. Idempotent operations retry on 502/503/504 and on
 * connection failures, with bounded exponential backoff and jitter. Any operation retries
 * on a 429 or 503 that carries `Retry-After` (the upstream says it did not act), waiting the
 * delay it asks for, unless that delay is longer than the gateway will wait; then the answer
 * goes back to the caller with its `Retry-After`. Timeouts are not retried: the caller's time
 * is already spent; nor is anything whose wait would outlast the call's deadline (the last
 * answer goes back instead of a 504 later). Pure, so it can be tested without a network.
 */

/** Connection-level failures worth another attempt on an idempotent call. */
export const RETRYABLE_ERROR_CODES = [
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
] as const;

const RETRYABLE_STATUS = [502, 503, 504] as const;

/** IMF-fixdate and the obsolete RFC 850 / asctime forms of RFC 9110 §5.6.7. */
const HTTP_DATE =
  /^(?:[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT|[A-Za-z]+, \d{2}-[A-Za-z]{3}-\d{2} \d{2}:\d{2}:\d{2} GMT|[A-Za-z]{3} [A-Za-z]{3} [ \d]\d \d{2}:\d{2}:\d{2} \d{4})$/;

export interface RetryPolicy {
  /** Retries after the first attempt. @default 2 */
  maxRetries: number;
  /** First backoff delay in ms; doubles each retry. @default 100 */
  baseDelayMs: number;
  /** Cap on one backoff delay in ms. @default 2000 */
  maxDelayMs: number;
  /** Longest `Retry-After` the gateway waits out itself, in ms. @default 10000 */
  maxRetryAfterMs: number;
}

export interface AttemptOutcome {
  /** 1 for the first retry decision (after the first attempt). */
  attempt: number;
  idempotent: boolean;
  statusCode?: number;
  errorCode?: string;
  retryAfter?: string;
  /** Time left before the call's total deadline, in ms; absent: no deadline. */
  remainingMs?: number;
}

/**
 * Returns the delay in ms before the next attempt, or `null` to stop.
 * @example
 * retryDelay({ maxRetries: 2, baseDelayMs: 100, maxDelayMs: 2000, maxRetryAfterMs: 10_000 },
 *   { attempt: 1, idempotent: false, statusCode: 429, retryAfter: '1' }) // 1000
 */
export function retryDelay(
  policy: RetryPolicy,
  outcome: AttemptOutcome,
  random = Math.random,
): number | null {
  const delay = delayBeforeRetry(policy, outcome, random);
  // A wait that uses up the deadline only turns the answer in hand into a 504.
  if (delay !== null && outcome.remainingMs !== undefined && delay >= outcome.remainingMs) return null;
  return delay;
}

function delayBeforeRetry(policy: RetryPolicy, outcome: AttemptOutcome, random: () => number): number | null {
  if (outcome.attempt > policy.maxRetries) return null;
  const { statusCode, errorCode, idempotent } = outcome;
  const retryAfterMs = parseRetryAfter(outcome.retryAfter);
  if ((statusCode === 429 || statusCode === 503) && retryAfterMs !== null) {
    return retryAfterMs <= policy.maxRetryAfterMs ? retryAfterMs : null;
  }
  if (!idempotent) return null;
  const transient =
    (statusCode !== undefined && (RETRYABLE_STATUS as readonly number[]).includes(statusCode)) ||
    (errorCode !== undefined && (RETRYABLE_ERROR_CODES as readonly string[]).includes(errorCode));
  if (!transient) return null;
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (outcome.attempt - 1));
  // Half fixed, half jitter: bounded, and concurrent callers do not retry in lockstep.
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * `Retry-After` as delay-seconds or an HTTP date, in ms; `null` when absent or unreadable.
 * @see https://www.rfc-editor.org/rfc/rfc9110#name-retry-after
 */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | null {
  if (value === undefined) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // Only the HTTP-date forms; Date.parse alone would read '-1' or '1.5' as dates.
  if (!HTTP_DATE.test(trimmed)) return null;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}
