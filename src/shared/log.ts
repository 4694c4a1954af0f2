/**
 * @module
 * Structured logs through the invocation context (or the console locally). Each entry is one
 * JSON object with an event name and plain fields. Callers pass only what is safe; as a last
 * guard, any field whose name looks like a credential is masked, so a token can never be
 * written even by mistake.
 *
 * Entries under `LOG_LEVEL` are dropped before anything is built. With telemetry on, each
 * entry is also handed to the telemetry pipeline (`setLogExport`, src/telemetry), carrying the
 * trace context of the request it belongs to; under the Functions host telemetry then replaces
 * the invocation log (`setSinkWrites(false)`), so lines no longer travel worker → host.
 */

/** What the Functions `InvocationContext` and the console both offer. */
export interface LogSink {
  debug?(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

export type LogFields = Record<string, string | number | boolean | null | undefined>;

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every entry (and, given one, runs in `trace`). */
  child(fields: LogFields, trace?: object): Logger;
}

/**
 * Receives every entry written, already redacted, with the trace context (an OpenTelemetry
 * `Context`, opaque here) of the work it belongs to.
 */
export type LogExport = (
  level: LogLevel,
  event: string,
  fields: LogFields,
  trace: object | undefined,
) => void;

const SECRET_NAME =
  /authorization|token|secret|password|api[-_]?key|cookie|signature|sig$|connection|webjobsstorage/i;

const SEVERITY: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** The process's logging policy: set once at start-up (src/telemetry), read on every entry. */
const policy = { least: SEVERITY.info, exported: undefined as LogExport | undefined, toSink: true };

/** Entries below `level` are dropped (LOG_LEVEL). */
export function setLogLevel(level: LogLevel): void {
  policy.least = SEVERITY[level];
}

/** Hands every entry to telemetry as well (undefined: no longer). */
export function setLogExport(exported: LogExport | undefined): void {
  policy.exported = exported;
}

/** `false`: entries go to telemetry only, not to the sink (the Functions invocation log). */
export function setSinkWrites(on: boolean): void {
  policy.toSink = on;
}

/**
 * Whether a field name looks like a credential's, remembered per name: a log line tests the
 * same dozen names on every request. Names come from code; the bound only guards the memory.
 */
const secretNames = new Map<string, boolean>();
function isSecretName(name: string): boolean {
  let secret = secretNames.get(name);
  if (secret === undefined) {
    secret = SECRET_NAME.test(name);
    if (secretNames.size < 1024) secretNames.set(name, secret);
  }
  return secret;
}

function redactInto(out: LogFields, fields: LogFields): LogFields {
  for (const key in fields) out[key] = isSecretName(key) ? '[redacted]' : fields[key];
  return out;
}

/** Masks values of credential-like field names. */
export function redact(fields: LogFields): LogFields {
  return redactInto({}, fields);
}

/**
 * @example
 * const log = createLogger(context).child({ requestId });
 * log.info('upstream.call', { operation: 'getexecution', status: 200, durationMs: 12 });
 */
export function createLogger(sink: LogSink, base: LogFields = {}, trace?: object): Logger {
  // The fields every entry carries are masked once, not on every entry.
  const safeBase = redact(base);
  const write =
    (level: LogLevel) =>
    (event: string, fields: LogFields = {}) => {
      if (SEVERITY[level] < policy.least) return;
      const safe = redactInto({ ...safeBase }, fields);
      policy.exported?.(level, event, safe, trace);
      if (!policy.toSink) return;
      // level and event come last so that no field can overwrite them.
      const line = JSON.stringify({ ...safe, level, event });
      if (level === 'debug') (sink.debug ?? sink.info).call(sink, line);
      else sink[level](line);
    };
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: (fields, childTrace) => createLogger(sink, { ...base, ...fields }, childTrace ?? trace),
  };
}

/** Discards everything (tests that do not look at logs). */
export const silentSink: LogSink = { info() {}, warn() {}, error() {} };

/** Where a buffered sink writes: stdout and stderr, or test doubles. */
export interface LogStreams {
  out: { write(chunk: string): unknown };
  err: { write(chunk: string): unknown };
}

/** How long a line may wait in {@link bufferedConsole}, and how much may wait at most. */
export interface LogBuffering {
  /** @default 20 */
  flushAfterMs: number;
  /** @default 64 KiB */
  flushAtBytes: number;
}

/**
 * The console as a sink that writes every `flushAfterMs` (or once `flushAtBytes` wait), not
 * once per line: Node writes stdout synchronously when it is a file or a pipe, so
 * `console.info` per request made the process wait on the disk (issue 19: 0.46× the minimal
 * proxy), and one write per event-loop turn was still about one write per request under
 * load. Lines keep their order per stream (info/debug to stdout, warn/error to stderr, as
 * `console` does); what is buffered is written at exit. The timer does not keep the process
 * alive.
 * @example
 * await startLocalHost({ sink: bufferedConsole() });
 */
export function bufferedConsole(
  streams: LogStreams = { out: process.stdout, err: process.stderr },
  onExit: (flush: () => void) => void = (flush) => process.once('exit', flush),
  { flushAfterMs, flushAtBytes }: LogBuffering = { flushAfterMs: 20, flushAtBytes: 64 * 1024 },
): LogSink {
  let out: string[] = [];
  let err: string[] = [];
  let waiting = 0;
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    waiting = 0;
    if (out.length > 0) streams.out.write(`${out.join('\n')}\n`);
    if (err.length > 0) streams.err.write(`${err.join('\n')}\n`);
    out = [];
    err = [];
  };
  const push =
    (to: 'out' | 'err') =>
    (...args: unknown[]) => {
      const line = args.length === 1 ? String(args[0]) : args.map(String).join(' ');
      (to === 'out' ? out : err).push(line);
      waiting += line.length + 1;
      if (waiting >= flushAtBytes) flush();
      else if (!timer) timer = setTimeout(flush, flushAfterMs).unref();
    };
  onExit(flush);
  return { debug: push('out'), info: push('out'), warn: push('err'), error: push('err') };
}
