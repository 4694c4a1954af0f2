/**
 * Canonical in-memory form of protobuf messages and the protojson spellings of the well-known scalar types.
 * A message is a plain object keyed by proto (snake_case) field names holding only the fields that are set;
 * int64 values are decimal strings, enums their names, Timestamps and Durations their normalised JSON strings.
 * Keeping one canonical form lets the store ignore wire casing and lets the encoder add defaults at the edge.
 * @module
 */

/** A canonical protobuf value (see the module comment). */
export type ProtoValue = string | number | boolean | null | ProtoValue[] | ProtoObject;

/** A canonical message or map: unset fields are absent or `undefined`. */
export interface ProtoObject {
  [field: string]: ProtoValue | undefined;
}

/** True for a non-null, non-array object (a message, map or Struct). */
export function isProtoObject(value: unknown): value is ProtoObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads a nested message field, or `undefined` when unset. */
export function messageField(message: ProtoObject | undefined, field: string): ProtoObject | undefined {
  const value = message?.[field];
  return isProtoObject(value) ? value : undefined;
}

/** Reads a string field, `''` when unset (proto3 default). */
export function stringField(message: ProtoObject | undefined, field: string): string {
  const value = message?.[field];
  return typeof value === 'string' ? value : '';
}

/** Deep copy through JSON: canonical values are JSON-safe by construction. */
export function cloneProto<T extends ProtoValue>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** protojson prints 0, 3, 6 or 9 fractional digits, the fewest that keep the nanoseconds exact. */
function fraction(nanos: number): string {
  if (nanos === 0) return '';
  if (nanos % 1_000_000 === 0) return `.${String(nanos / 1_000_000).padStart(3, '0')}`;
  if (nanos % 1_000 === 0) return `.${String(nanos / 1_000).padStart(6, '0')}`;
  return `.${String(nanos).padStart(9, '0')}`;
}

/**
 * Milliseconds since the epoch → protojson Timestamp (`2026-01-15T02:00:00Z`, `…:00.051Z`).
 * @example formatTimestamp(Date.UTC(2026, 0, 15, 2, 0, 0, 51)) // '2026-01-15T02:00:00.051Z'
 */
export function formatTimestamp(ms: number): string {
  const date = new Date(Math.floor(ms));
  return `${date.toISOString().slice(0, 19)}${fraction(date.getUTCMilliseconds() * 1_000_000)}Z`;
}

const TIMESTAMP_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Parses an RFC 3339 timestamp as protojson accepts it (any offset, up to 9 fractional digits) and returns
 * the UTC form protojson would print, or `undefined` when malformed.
 */
export function normalizeTimestamp(text: string): string | undefined {
  const match = TIMESTAMP_RE.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s, frac = '', zone = 'Z'] = match;
  const offsetMinutes =
    zone === 'Z'
      ? 0
      : (zone.startsWith('-') ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
  const seconds = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (Number.isNaN(seconds) || Number(mo) > 12 || Number(d) > 31 || Number(h) > 23 || Number(mi) > 59)
    return undefined;
  const utc = new Date(seconds - offsetMinutes * 60_000).toISOString().slice(0, 19);
  return `${utc}${fraction(Number(frac.padEnd(9, '0')))}Z`;
}

/** RFC 3339 → epoch milliseconds (fractions beyond ms are dropped), `undefined` when malformed. */
export function timestampToMs(text: string): number | undefined {
  const normalized = normalizeTimestamp(text);
  return normalized === undefined ? undefined : Date.parse(normalized);
}

/**
 * Milliseconds → protojson Duration (`"754.120s"`, `"3s"`).
 * @example formatDuration(754_120) // '754.120s'
 */
export function formatDuration(ms: number): string {
  const sign = ms < 0 ? '-' : '';
  const abs = Math.round(Math.abs(ms));
  return `${sign}${Math.floor(abs / 1000)}${fraction((abs % 1000) * 1_000_000)}s`;
}

const DURATION_RE = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/;

/** Validates a protojson Duration string and returns its canonical spelling, `undefined` when malformed. */
export function normalizeDuration(text: string): string | undefined {
  const match = DURATION_RE.exec(text);
  if (!match) return undefined;
  const [, sign = '', seconds = '0', frac = ''] = match;
  const nanos = Number(frac.padEnd(9, '0'));
  const negative = sign === '-' && (BigInt(seconds) !== 0n || nanos !== 0);
  return `${negative ? '-' : ''}${BigInt(seconds).toString()}${fraction(nanos)}s`;
}
