/**
 * protojson-style decoding of request JSON into the canonical form. Accepts proto and lowerCamelCase names,
 * enums by name or number, int64 as string or number, `null` as "unset"; rejects duplicates, two members of
 * one oneof and, unless `discardUnknown` is set (grpc-gateway's default `*` marshaler), unknown fields.
 * Failures become the code-3 status grpc-gateway returns for an undecodable body.
 * @module
 */
import type { FieldDescriptor, FieldType, ScalarKind } from './proto-schema.js';
import { REGISTRY } from './proto-types-admin.js';
import {
  isProtoObject,
  normalizeDuration,
  normalizeTimestamp,
  type ProtoObject,
  type ProtoValue,
} from './proto-value.js';
import { badRequest, type StatusError } from './status-error.js';

export interface DecodeOptions {
  /** Ignore fields the message does not define (the gateway's `*` marshaler); reject them otherwise. */
  discardUnknown: boolean;
}

function protoError(message: string): StatusError {
  return badRequest(`proto: ${message}`);
}

function raw(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

const INT_RE = /^-?\d+$/;
const INT_LIMITS: Record<'int32' | 'uint32' | 'int64' | 'uint64', readonly [bigint, bigint]> = {
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
};

function decodeInteger(kind: keyof typeof INT_LIMITS, value: unknown): bigint | undefined {
  let parsed: bigint | undefined;
  if (typeof value === 'number' && Number.isInteger(value)) parsed = BigInt(value);
  else if (typeof value === 'string' && INT_RE.test(value)) parsed = BigInt(value);
  if (parsed === undefined) return undefined;
  const [min, max] = INT_LIMITS[kind];
  return parsed < min || parsed > max ? undefined : parsed;
}

const BASE64_RE = /^[A-Za-z0-9+/_-]*={0,2}$/;

function decodeScalar(kind: ScalarKind, field: FieldDescriptor, value: unknown): ProtoValue {
  const fail = () => protoError(`invalid value for ${kind} field ${field.jsonName}: ${raw(value)}`);
  switch (kind) {
    case 'string':
      if (typeof value !== 'string') throw fail();
      return value;
    case 'bool':
      if (typeof value !== 'boolean') throw fail();
      return value;
    case 'int32':
    case 'uint32': {
      const parsed = decodeInteger(kind, value);
      if (parsed === undefined) throw fail();
      return Number(parsed);
    }
    case 'int64':
    case 'uint64': {
      // Canonical int64 is a decimal string: JSON numbers lose precision past 2^53.
      const parsed = decodeInteger(kind, value);
      if (parsed === undefined) throw fail();
      return parsed.toString();
    }
    case 'double':
      if (typeof value === 'number') return value;
      if (value === 'NaN' || value === 'Infinity' || value === '-Infinity') return value;
      if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
        return Number(value);
      throw fail();
    case 'bytes':
      if (typeof value !== 'string' || !BASE64_RE.test(value)) throw fail();
      return Buffer.from(value, value.includes('-') || value.includes('_') ? 'base64url' : 'base64').toString(
        'base64',
      );
  }
}

function decodeSingle(
  field: FieldDescriptor,
  type: FieldType,
  value: unknown,
  options: DecodeOptions,
): ProtoValue {
  switch (type.kind) {
    case 'scalar':
      return decodeScalar(type.scalar, field, value);
    case 'enum': {
      const values = REGISTRY.enumValues(type.name);
      if (typeof value === 'string' && values.includes(value)) return value;
      // Open enums: an unknown number is kept as a number, exactly as protojson does.
      if (typeof value === 'number' && Number.isInteger(value)) return values[value] ?? value;
      throw protoError(`invalid value for enum field ${field.jsonName}: ${raw(value)}`);
    }
    case 'message':
      return decodeMessage(type.name, value, options);
    case 'wkt':
      switch (type.wkt) {
        case 'Timestamp': {
          const normalized = typeof value === 'string' ? normalizeTimestamp(value) : undefined;
          if (normalized === undefined)
            throw protoError(`invalid google.protobuf.Timestamp value ${raw(value)}`);
          return normalized;
        }
        case 'Duration': {
          const normalized = typeof value === 'string' ? normalizeDuration(value) : undefined;
          if (normalized === undefined)
            throw protoError(`invalid google.protobuf.Duration value ${raw(value)}`);
          return normalized;
        }
        case 'Struct':
          if (!isProtoObject(value)) throw protoError(`invalid google.protobuf.Struct value ${raw(value)}`);
          return JSON.parse(JSON.stringify(value)) as ProtoObject;
        case 'BoolValue':
          if (typeof value !== 'boolean')
            throw protoError(`invalid google.protobuf.BoolValue value ${raw(value)}`);
          return value;
        case 'Any':
          throw protoError(`google.protobuf.Any is not accepted in requests (field ${field.jsonName})`);
      }
  }
}

function decodeField(field: FieldDescriptor, value: unknown, options: DecodeOptions): ProtoValue {
  if (field.label === 'repeated') {
    if (!Array.isArray(value))
      throw protoError(`invalid value for repeated field ${field.jsonName}: ${raw(value)}`);
    return value.map((item) => decodeSingle(field, field.type, item, options));
  }
  if (field.label === 'map') {
    if (!isProtoObject(value))
      throw protoError(`invalid value for map field ${field.jsonName}: ${raw(value)}`);
    // Map keys are data (label names, input names): they are copied verbatim, never re-cased.
    const result: ProtoObject = {};
    for (const [key, item] of Object.entries(value))
      result[key] = decodeSingle(field, field.type, item, options);
    return result;
  }
  return decodeSingle(field, field.type, value, options);
}

/**
 * Decodes one message from parsed JSON.
 * @example
 * decodeMessage('admin.ExecutionRelaunchRequest', { id: { project: 'p' }, overwriteCache: true }, { discardUnknown: false });
 * // { id: { project: 'p' }, overwrite_cache: true }
 */
export function decodeMessage(typeName: string, json: unknown, options: DecodeOptions): ProtoObject {
  const descriptor = REGISTRY.message(typeName);
  if (!isProtoObject(json))
    throw protoError(`invalid value for message ${descriptor.fullName}: ${raw(json)}`);
  const result: ProtoObject = {};
  const seen = new Set<string>();
  const oneofs = new Set<string>();
  for (const [key, value] of Object.entries(json)) {
    const field = descriptor.byKey.get(key);
    if (!field) {
      if (options.discardUnknown) continue;
      throw protoError(`unknown field ${JSON.stringify(key)}`);
    }
    // Both spellings of one field (`launch_plan` and `launchPlan`) count as a duplicate.
    if (seen.has(field.name)) throw protoError(`duplicate field ${JSON.stringify(key)}`);
    seen.add(field.name);
    if (value === null) continue; // protojson: null leaves any field unset
    if (field.oneof !== undefined) {
      if (oneofs.has(field.oneof)) {
        throw protoError(
          `error parsing ${JSON.stringify(key)}, oneof ${descriptor.fullName}.${field.oneof} is already set`,
        );
      }
      oneofs.add(field.oneof);
    }
    result[field.name] = decodeField(field, value, options);
  }
  return result;
}

/** Parses raw body text then decodes it; an empty body is the empty message (the gateway ignores io.EOF). */
export function decodeBody(typeName: string, body: string, options: DecodeOptions): ProtoObject {
  if (body.trim() === '') return {};
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    throw badRequest((error as Error).message);
  }
  return decodeMessage(typeName, json, options);
}

/** Decodes a single scalar or enum from text, as grpc-gateway does for query and path parameters. */
export function decodeParameter(field: FieldDescriptor, text: string): ProtoValue {
  const { type } = field;
  if (type.kind === 'enum') {
    const values = REGISTRY.enumValues(type.name);
    if (values.includes(text)) return text;
    const number = /^-?\d+$/.test(text) ? Number(text) : Number.NaN;
    const name = values[number];
    if (name === undefined) throw badRequest(`${JSON.stringify(text)} is not a valid value`);
    return name;
  }
  if (type.kind !== 'scalar') throw badRequest(`unsupported query parameter type for ${field.name}`);
  switch (type.scalar) {
    case 'int32':
    case 'int64':
    case 'uint32':
    case 'uint64': {
      const unsigned = type.scalar.startsWith('u');
      const fn = unsigned ? 'strconv.ParseUint' : 'strconv.ParseInt';
      if (!(unsigned ? /^\+?\d+$/ : /^[+-]?\d+$/).test(text)) {
        throw badRequest(`${fn}: parsing ${JSON.stringify(text)}: invalid syntax`);
      }
      const parsed = decodeInteger(type.scalar, BigInt(text).toString());
      if (parsed === undefined)
        throw badRequest(`${fn}: parsing ${JSON.stringify(text)}: value out of range`);
      return type.scalar.endsWith('64') ? parsed.toString() : Number(parsed);
    }
    case 'bool':
      if (!['1', 't', 'T', 'TRUE', 'true', 'True', '0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) {
        throw badRequest(`strconv.ParseBool: parsing ${JSON.stringify(text)}: invalid syntax`);
      }
      return ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text);
    case 'double': {
      const number = Number(text);
      if (text.trim() === '' || Number.isNaN(number)) {
        throw badRequest(`strconv.ParseFloat: parsing ${JSON.stringify(text)}: invalid syntax`);
      }
      return number;
    }
    default:
      return text;
  }
}
