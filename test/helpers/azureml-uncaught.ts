/**
 * Takes over `process`'s `uncaughtException` listeners while a test provokes a failure that
 * escapes as an uncaught error (an `'error'` event nobody listens to), so the test can assert
 * on it instead of the error failing the whole run; `restore()` gives the listeners back.
 * @example
 * const uncaught = captureUncaught();
 * try { await provoke(); } finally { uncaught.restore(); }
 * expect(uncaught.errors).toEqual([]);
 */
export interface UncaughtCapture {
  readonly errors: unknown[];
  restore(): void;
}

export function captureUncaught(): UncaughtCapture {
  const saved = process.listeners('uncaughtException');
  const errors: unknown[] = [];
  const listener = (error: unknown) => void errors.push(error);
  process.removeAllListeners('uncaughtException');
  process.on('uncaughtException', listener);
  return {
    errors,
    restore() {
      process.off('uncaughtException', listener);
      for (const each of saved) process.on('uncaughtException', each);
    },
  };
}
