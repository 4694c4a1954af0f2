import { afterEach, describe, expect, it } from 'vitest';
import {
  bufferedConsole,
  createLogger,
  type LogFields,
  setLogExport,
  setLogLevel,
  setSinkWrites,
} from '../../src/shared/log.js';

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
  it('writes the lines of one turn in one write per stream, in order, and the rest at exit', async () => {
    // Prepare
    const out: string[] = [];
    const err: string[] = [];
    let atExit: (() => void) | undefined;
    const sink = bufferedConsole(
      { out: { write: (c: string) => out.push(c) }, err: { write: (c: string) => err.push(c) } },
      (flush) => {
        atExit = flush;
      },
    );

    // Act
    sink.info('a');
    sink.debug?.('b');
    sink.warn('w');
    sink.error('e');
    const before = [...out];
    await new Promise((resolve) => setImmediate(resolve));
    sink.info('late');
    atExit?.();

    // Assess
    expect(before).toEqual([]);
    expect(out).toEqual(['a\nb\n', 'late\n']);
    expect(err).toEqual(['w\ne\n']);
  });
});
