/** A log sink that keeps every line, so tests can read what was logged. */
import type { LogSink } from '../../src/shared/log.js';

export interface CapturedLogs extends LogSink {
  lines: string[];
  /** Parsed JSON entries. */
  entries(): Array<Record<string, unknown>>;
}

export function captureLogs(): CapturedLogs {
  const lines: string[] = [];
  const push = (...args: unknown[]) => void lines.push(args.map(String).join(' '));
  return {
    lines,
    info: push,
    warn: push,
    error: push,
    entries: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}
