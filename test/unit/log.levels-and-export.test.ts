import { afterEach, describe, expect, it } from 'vitest';
import {
  bufferedConsole,
  createLogger,
  type LogFields,
  setLogExport,
  setLogLevel,
  setSinkWrites,
} from '../../src/shared/log.js';
import { pollUntil } from '../helpers/poll.js';

function capture() {
  const lines: string[] = [];
  const push = (line: unknown) => void lines.push(String(line));
  return { lines, sink: { debug: push, info: push, warn: push, error: push } };
}

afterEach(() => {
  // Unit files share their worker: leave the process's policy as it was.
  setLogLevel('info');
  setLogExport(undefined);
  setSinkWrites(true);
});

describe('LOG_LEVEL', () => {
  it.each([
    { level: 'debug', written: ['debug', 'info', 'warn', 'error'] },
    { level: 'info', written: ['info', 'warn', 'error'] },
    { level: 'warn', written: ['warn', 'error'] },
    { level: 'error', written: ['error'] },
  ] as const)('$level writes $written', ({ level, written }) => {
    // Prepare
    const { lines, sink } = capture();
    setLogLevel(level);
    const log = createLogger(sink);

    // Act
    log.debug('e.debug');
    log.info('e.info');
    log.warn('e.warn');
    log.error('e.error');

    // Assess
    expect(lines.map((l) => JSON.parse(l).level)).toEqual(written);
  });
});

describe('export to telemetry', () => {
  it('hands each entry, redacted, with the trace context of its logger', () => {
    // Prepare
    const { lines, sink } = capture();
    const exported: { level: string; event: string; fields: LogFields; trace: object | undefined }[] = [];
    setLogExport((level, event, fields, trace) => exported.push({ level, event, fields, trace }));
    const trace = { span: 'server' };
    const log = createLogger(sink).child({ requestId: 'r-1' }, trace);

    // Act
    log.info('request.done', { status: 200, authorization: 'Bearer abc' });
    log.child({ tool: 't' }).warn('tool.refused');

    // Assess
    expect(exported).toEqual([
      {
        level: 'info',
        event: 'request.done',
        fields: { requestId: 'r-1', status: 200, authorization: '[redacted]' },
        trace,
      },
      { level: 'warn', event: 'tool.refused', fields: { requestId: 'r-1', tool: 't' }, trace },
    ]);
    expect(lines).toHaveLength(2);
    expect(lines.join('\n')).not.toContain('abc');
  });

  it('writes nothing to the sink when telemetry replaces it, nor exports what LOG_LEVEL drops', () => {
    // Prepare
    const { lines, sink } = capture();
    const exported: string[] = [];
    setLogExport((_level, event) => exported.push(event));
    setSinkWrites(false);
    setLogLevel('warn');

    // Act
    createLogger(sink).info('dropped');
    createLogger(sink).error('kept');

    // Assess
    expect(lines).toEqual([]);
    expect(exported).toEqual(['kept']);
  });
});

describe('bufferedConsole', () => {
  /** A sink writing to arrays; `atExit()` runs what the process would run at exit. */
  function captured(buffering: { flushAfterMs: number; flushAtBytes: number }) {
    const out: string[] = [];
    const err: string[] = [];
    let atExit: () => void = () => undefined;
    const sink = bufferedConsole(
      { out: { write: (c: string) => out.push(c) }, err: { write: (c: string) => err.push(c) } },
      (flush) => {
        atExit = flush;
      },
      buffering,
    );
    return { sink, out, err, atExit: () => atExit() };
  }

  it('writes the lines that waited in one write per stream, in order, after the delay', async () => {
    // Prepare
    const { sink, out, err } = captured({ flushAfterMs: 5, flushAtBytes: 64 * 1024 });

    // Act
    sink.info('a');
    sink.debug?.('b');
    sink.warn('w');
    sink.error('e');
    const before = [...out, ...err];
    await pollUntil(
      async () => out.length,
      (writes) => writes > 0,
    );

    // Assess: nothing at once, then one write per stream.
    expect(before).toEqual([]);
    expect(out).toEqual(['a\nb\n']);
    expect(err).toEqual(['w\ne\n']);
  });

  it('writes at once when the lines waiting reach the size bound, and the rest at exit', () => {
    // Prepare: a delay no test waits for, so only the size bound and the exit write.
    const { sink, out, atExit } = captured({ flushAfterMs: 60_000, flushAtBytes: 10 });

    // Act
    sink.info('12345');
    const belowBound = [...out];
    sink.info('6789'); // 6 + 5 bytes waiting: past 10
    const atBound = [...out];
    sink.info('late');
    atExit();

    // Assess
    expect(belowBound).toEqual([]);
    expect(atBound).toEqual(['12345\n6789\n']);
    expect(out).toEqual(['12345\n6789\n', 'late\n']);
  });
});
