/**
 * @module
 * Structured logs through the invocation context (or the console locally). Each entry is one
 * JSON object with an event name and plain fields. Callers pass only what is safe; as a last
 * guard, any field whose name looks like a credential is masked, so a token can never be
 * written even by mistake.
 */

/** What the Functions `InvocationContext` and the console both offer. */
export interface LogSink {
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every entry. */
  child(fields: LogFields): Logger;
}

const SECRET_NAME =
  /authorization|token|secret|password|api[-_]?key|cookie|signature|sig$|connection|webjobsstorage/i;

/** Masks values of credential-like field names. */
export function redact(fields: LogFields): LogFields {
  const out: LogFields = {};
  for (const [key, value] of Object.entries(fields)) out[key] = SECRET_NAME.test(key) ? '[redacted]' : value;
  return out;
}

/**
 * @example
 * const log = createLogger(context).child({ requestId });
 * log.info('upstream.call', { operation: 'getexecution', status: 200, durationMs: 12 });
 */
export function createLogger(sink: LogSink, base: LogFields = {}): Logger {
  const write =
    (level: keyof LogSink) =>
    (event: string, fields: LogFields = {}) =>
      // level and event come last so that no field can overwrite them.
      sink[level](JSON.stringify({ ...redact({ ...base, ...fields }), level, event }));
  return {
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: (fields) => createLogger(sink, { ...base, ...fields }),
  };
}

/** Discards everything (tests that do not look at logs). */
export const silentSink: LogSink = { info() {}, warn() {}, error() {} };
