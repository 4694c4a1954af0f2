/**
 * @module
 * The total deadline of one upstream call: connect, headers and the whole answer body, retries
 * included. Separate from undici's per-read timeouts, which a peer that drips a byte now and
 * then never trips. The clock may start late: time spent sending a streamed request body (a
 * project zip) is the caller's upload, not the upstream's answer, so it does not count. Its
 * signal also follows the caller's, so that one signal stands for both.
 */
import { UpstreamTimeoutError } from '../problems/errors.js';

/**
 * @example
 * const deadline = new CallDeadline('Flyte Admin', 60_000);
 * deadline.start();
 * await fetchSomething({ signal: deadline.signal }); // aborted with an UpstreamTimeoutError
 * deadline.clear();
 */
export class CallDeadline {
  /** Aborted, with the `UpstreamTimeoutError` as its reason, when the deadline passes. */
  readonly signal: AbortSignal;
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private endsAt: number | undefined;
  private cleared = false;
  private unfollow: (() => void) | undefined;

  /** @param ms the deadline; `undefined`: none (the signal never aborts). */
  constructor(
    private readonly upstreamName: string,
    private readonly ms: number | undefined,
  ) {
    this.signal = this.controller.signal;
  }

  /** Starts the clock, once; later calls do nothing. */
  start(): void {
    // Not a finite number (settings made by hand in a test): no deadline rather than one at 0.
    const ms = this.ms;
    if (ms === undefined || !Number.isFinite(ms) || this.endsAt !== undefined || this.cleared) return;
    this.endsAt = Date.now() + ms;
    this.timer = setTimeout(() => {
      this.controller.abort(new UpstreamTimeoutError(this.upstreamName, ms, undefined, 'deadline'));
    }, ms);
    // A pending deadline must not keep a process alive that has nothing else to do.
    this.timer.unref();
  }

  /**
   * Aborts the signal too when `caller` aborts (with its reason), until cleared: the call then
   * has one signal to give undici, without an `AbortSignal.any` per call (its bookkeeping was
   * 2 % of the gateway's CPU on get).
   */
  follow(caller: AbortSignal | undefined): void {
    if (!caller) return;
    if (caller.aborted) {
      this.controller.abort(caller.reason);
      return;
    }
    const onAbort = () => this.controller.abort(caller.reason);
    caller.addEventListener('abort', onAbort, { once: true });
    this.unfollow = () => caller.removeEventListener('abort', onAbort);
  }

  /** The call is over (answered in full, or failed): the deadline no longer applies. */
  clear(): void {
    this.cleared = true;
    clearTimeout(this.timer);
    this.unfollow?.();
  }

  /** Time left, in ms; `Infinity` while the clock has not started or without a deadline. */
  remainingMs(now = Date.now()): number {
    return this.endsAt === undefined ? Number.POSITIVE_INFINITY : Math.max(0, this.endsAt - now);
  }
}

/**
 * Settles like `promise`, unless `signal` aborts first: then rejects with its reason at once
 * (undici applies an abort only when its next attempt connects, not during a retry's wait).
 * What `promise` brings later is handed to `late` to be released.
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal, late: (value: T) => void): Promise<T> {
  if (signal.aborted) {
    promise.then(late, () => undefined);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    let lost = false;
    const onAbort = () => {
      lost = true;
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        if (lost) late(value);
        else resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
