import { describe, expect, it } from 'vitest';
import { createLogger, redact } from '../../src/shared/log.js';
import { recordingSink } from '../helpers/unit-factories.js';

describe.each(['info', 'warn', 'error'] as const)('log.%s', (level) => {
  it('writes one JSON object to the matching sink method, with base fields merged', () => {
    // Prepare
    const sink = recordingSink();
    const log = createLogger(sink, { service: 'gateway', region: 'weu' });

    // Act
    log[level]('upstream.call', {
      operation: 'getexecution',
      status: 200,
      durationMs: 12,
      cached: false,
      note: null,
    });

    // Assess
    expect(sink.lines).toHaveLength(1);
    expect(sink.lines[0]?.level).toBe(level);
    expect(sink.lines[0]?.entry).toStrictEqual({
      level,
      event: 'upstream.call',
      service: 'gateway',
      region: 'weu',
      operation: 'getexecution',
      status: 200,
      durationMs: 12,
      cached: false,
      note: null,
    });
    expect(sink.lines[0]?.raw).not.toContain('\n');
  });
});

describe('child loggers', () => {
  it('add their fields to every entry, nested, with the entry fields winning', () => {
    // Prepare
    const sink = recordingSink();
    const log = createLogger(sink, { service: 'gateway' })
      .child({ requestId: 'r-1' })
      .child({ operation: 'x' });

    // Act
    log.info('request.done', { operation: 'getexecution', status: 200 });
    log.warn('request.refused');

    // Assess
    expect(sink.lines.map((l) => l.entry)).toStrictEqual([
      {
        level: 'info',
        event: 'request.done',
        service: 'gateway',
        requestId: 'r-1',
        operation: 'getexecution',
        status: 200,
      },
      { level: 'warn', event: 'request.refused', service: 'gateway', requestId: 'r-1', operation: 'x' },
    ]);
  });

  it('leave the parent unchanged', () => {
    // Prepare
    const sink = recordingSink();
    const parent = createLogger(sink, { service: 'gateway' });
    parent.child({ requestId: 'r-1' });

    // Act
    parent.info('started');

    // Assess
    expect(sink.lines[0]?.entry).toStrictEqual({ level: 'info', event: 'started', service: 'gateway' });
  });
});

describe('undefined fields', () => {
  it('are left out of the line', () => {
    // Prepare
    const sink = recordingSink();

    // Act
    createLogger(sink).error('request.failed', { status: 500, upstreamStatus: undefined });

    // Assess
    expect(sink.lines[0]?.entry).toStrictEqual({ level: 'error', event: 'request.failed', status: 500 });
  });
});

describe.each([
  'authorization',
  'Authorization',
  'proxy-authorization',
  'token',
  'accessToken',
  'refresh_token',
  'id_token',
  'secret',
  'clientSecret',
  'FLYTE_CLIENT_SECRET',
  'password',
  'api_key',
  'api-key',
  'apiKey',
  'x-api-key',
  'FLYTE_API_KEY',
  'cookie',
  'set-cookie',
  'connection',
  'connectionString',
  'storageConnection',
  'signature',
  'sig',
])('a field named %s', (name) => {
  it('is masked by redact', () => {
    // Act
    const out = redact({ [name]: 'Bearer abc.def', requestId: 'r-1' });

    // Assess
    expect(out).toStrictEqual({ [name]: '[redacted]', requestId: 'r-1' });
  });

  it('never reaches the sink, whether in base, child or entry fields', () => {
    // Prepare
    const sink = recordingSink();
    const log = createLogger(sink, { [name]: 'base-value-1' }).child({ [name]: 'child-value-2' });

    // Act
    log.info('event', { [name]: 'entry-value-3' });

    // Assess
    expect(sink.lines[0]?.entry[name]).toBe('[redacted]');
    expect(sink.lines[0]?.raw).not.toMatch(/value-\d/);
  });
});

describe.each([
  'requestId',
  'operation',
  'status',
  'durationMs',
  'upstreamStatus',
  'attempts',
  'problem',
  'event2',
])('a field named %s', (name) => {
  it('is kept as it is', () => {
    // Act
    const out = redact({ [name]: 'value' });

    // Assess
    expect(out).toStrictEqual({ [name]: 'value' });
  });
});
