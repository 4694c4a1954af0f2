/** Unit tests of the emulator's protojson codec, marshaler choice and phase timeline (no server). */
import { describe, expect, it } from 'vitest';
import { chooseMarshalers } from '../../sandbox/flyte-admin/marshaler.js';
import { decodeMessage } from '../../sandbox/flyte-admin/proto-decode.js';
import { encodeMessage } from '../../sandbox/flyte-admin/proto-encode.js';
import {
  formatDuration,
  formatTimestamp,
  normalizeDuration,
  normalizeTimestamp,
} from '../../sandbox/flyte-admin/proto-value.js';
import { StatusError } from '../../sandbox/flyte-admin/status-error.js';
import { phaseAt } from '../../sandbox/flyte-admin/timeline.js';

const strict = { discardUnknown: false };

function decodeError(type: string, json: unknown): string {
  try {
    decodeMessage(type, json, strict);
  } catch (error) {
    expect(error).toBeInstanceOf(StatusError);
    return `${(error as StatusError).code}: ${(error as StatusError).message}`;
  }
  return 'no error';
}

describe('decodeMessage', () => {
  it('accepts both spellings, enum numbers and int64 as numbers, and normalises values', () => {
    const decoded = decodeMessage(
      'admin.ExecutionCreateRequest',
      {
        project: 'p',
        spec: { launchPlan: { resourceType: 3, name: 'lp' }, max_parallelism: '4', interruptible: null },
        inputs: {
          literals: {
            n: { scalar: { primitive: { integer: 5 } } },
            d: { scalar: { primitive: { duration: '1.50s' } } },
          },
        },
      },
      strict,
    );
    expect(decoded).toEqual({
      project: 'p',
      spec: { launch_plan: { resource_type: 'LAUNCH_PLAN', name: 'lp' }, max_parallelism: 4 },
      inputs: {
        literals: {
          n: { scalar: { primitive: { integer: '5' } } },
          d: { scalar: { primitive: { duration: '1.500s' } } },
        },
      },
    });
  });

  it.each([
    [{ colour: 'red' }, '3: proto: unknown field "colour"'],
    [{ project: 'a', project_: 1 }, '3: proto: unknown field "project_"'],
    [{ spec: { launch_plan: {}, launchPlan: {} } }, '3: proto: duplicate field "launchPlan"'],
    [
      { spec: { notifications: { notifications: [] }, disable_all: true } },
      '3: proto: error parsing "disable_all", oneof flyteidl.admin.ExecutionSpec.notification_overrides is already set',
    ],
    [{ spec: { max_parallelism: 1.5 } }, '3: proto: invalid value for int32 field maxParallelism: 1.5'],
    [
      { spec: { metadata: { mode: 'SOMETIMES' } } },
      '3: proto: invalid value for enum field mode: "SOMETIMES"',
    ],
    [
      { spec: { metadata: { scheduled_at: 'yesterday' } } },
      '3: proto: invalid google.protobuf.Timestamp value "yesterday"',
    ],
    [{ spec: { tags: 'nightly' } }, '3: proto: invalid value for repeated field tags: "nightly"'],
  ])('rejects %j', (json, message) => {
    expect(decodeError('admin.ExecutionCreateRequest', json)).toBe(message);
  });

  it('discards unknown fields with the default marshaler', () => {
    expect(
      decodeMessage('admin.ExecutionTerminateRequest', { cause: 'c', extra: 1 }, { discardUnknown: true }),
    ).toEqual({
      cause: 'c',
    });
  });
});

describe('encodeMessage', () => {
  it('emits defaults, omits unset oneofs and only re-cases field names', () => {
    const literal = { scalar: { primitive: { string_value: 'x' } }, metadata: { some_key: 'v' } };
    const canonical = { literals: { my_input: literal } };
    expect(encodeMessage('core.LiteralMap', canonical, 'proto')).toEqual({
      literals: {
        my_input: { scalar: { primitive: { string_value: 'x' } }, hash: '', metadata: { some_key: 'v' } },
      },
    });
    expect(encodeMessage('core.LiteralMap', canonical, 'json')).toEqual({
      literals: {
        my_input: { scalar: { primitive: { stringValue: 'x' } }, hash: '', metadata: { some_key: 'v' } },
      },
    });
    expect(encodeMessage('core.LiteralOffloadedMetadata', {}, 'json')).toEqual({
      uri: '',
      sizeBytes: '0',
      inferredType: null,
    });
  });
});

describe('chooseMarshalers', () => {
  it.each([
    [['application/json'], [], 'proto', true],
    [['*/*'], [], 'json', true],
    [['application/json, text/plain, */*'], [], 'json', true],
    [['*/*'], ['application/json; charset=utf-8'], 'proto', false],
    [['text/html'], ['text/plain'], 'json', true],
  ])(
    'Accept %j + Content-Type %j → %s names, discardUnknown inbound %s',
    (accept, contentType, naming, lenient) => {
      const { inbound, outbound } = chooseMarshalers(accept, contentType);
      expect(outbound).toMatchObject({ kind: 'json', naming });
      expect(inbound).toMatchObject({ kind: 'json', discardUnknown: lenient });
    },
  );
});

describe('well-known values', () => {
  it('formats timestamps and durations with 0/3/6/9 fractional digits', () => {
    expect(formatTimestamp(Date.UTC(2026, 0, 15, 2, 0, 0))).toBe('2026-01-15T02:00:00Z');
    expect(formatTimestamp(Date.UTC(2026, 0, 15, 2, 0, 0, 51))).toBe('2026-01-15T02:00:00.051Z');
    expect(normalizeTimestamp('2026-01-15T03:00:00.123456+01:00')).toBe('2026-01-15T02:00:00.123456Z');
    expect(normalizeTimestamp('2026-01-15 03:00:00Z')).toBeUndefined();
    expect(formatDuration(754_120)).toBe('754.120s');
    expect(formatDuration(3_000)).toBe('3s');
    expect(normalizeDuration('1.000000001s')).toBe('1.000000001s');
    expect(normalizeDuration('90')).toBeUndefined();
  });
});

describe('phaseAt', () => {
  const timeline = {
    createdAt: 1_000,
    delays: { queued: 50, running: 200, finishing: 0, aborting: 30 },
    initialPhase: 'UNDEFINED' as const,
    outcome: 'SUCCEEDED' as const,
  };

  it('follows the delays and freezes the start when aborted', () => {
    expect(phaseAt(timeline, 1_049)).toEqual({ phase: 'UNDEFINED', updatedAt: 1_000 });
    expect(phaseAt(timeline, 1_050)).toEqual({ phase: 'RUNNING', startedAt: 1_050, updatedAt: 1_050 });
    expect(phaseAt(timeline, 5_000)).toEqual({
      phase: 'SUCCEEDED',
      startedAt: 1_050,
      updatedAt: 1_250,
      durationMs: 200,
    });
    const aborted = { ...timeline, abort: { requestedAt: 1_100, cause: 'c', principal: '' } };
    expect(phaseAt(aborted, 1_129)).toEqual({ phase: 'ABORTING', startedAt: 1_050, updatedAt: 1_050 });
    expect(phaseAt(aborted, 9_999)).toEqual({
      phase: 'ABORTED',
      startedAt: 1_050,
      updatedAt: 1_130,
      durationMs: 80,
    });
  });
});
