/**
 * protojson-style encoding of canonical messages with `EmitUnpopulated`: every field is printed, unset ones
 * as their default (`""`, `0`, `false`, `[]`, `{}`, the enum's value-0 name, `null` for messages and
 * wrappers), except unset oneof members, which are left out. `naming` picks proto names (flyteadmin's
 * `application/json` marshaler) or lowerCamelCase JSON names (the gateway's default); map keys, Struct
 * contents and `@type` are data and are never re-cased.
 * @module
 */
import type { FieldDescriptor, FieldType } from './proto-schema.js';
import { REGISTRY } from './proto-types-admin.js';
import { isProtoObject, type ProtoObject, type ProtoValue } from './proto-value.js';
import type { StatusDetail, StatusError } from './status-error.js';

/** `proto`: snake_case field names; `json`: lowerCamelCase field names. */
export type Naming = 'proto' | 'json';

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

function defaultSingle(type: FieldType): Json {
  switch (type.kind) {
    case 'scalar':
      switch (type.scalar) {
        case 'string':
        case 'bytes':
          return '';
        case 'bool':
          return false;
        case 'int64':
        case 'uint64':
          return '0';
        default:
          return 0;
      }
    case 'enum':
      return REGISTRY.enumValues(type.name)[0] ?? 0;
    default:
      // Messages and well-known types (Timestamp, Duration, BoolValue, Struct) have presence: unset is null.
      return null;
  }
}

function encodeSingle(type: FieldType, value: ProtoValue, naming: Naming): Json {
  if (type.kind === 'message')
    return encodeMessage(type.name, isProtoObject(value) ? value : undefined, naming);
  if (type.kind === 'scalar' && (type.scalar === 'int64' || type.scalar === 'uint64')) return String(value);
  return value as Json;
}

function encodeField(field: FieldDescriptor, value: ProtoValue, naming: Naming): Json {
  if (field.label === 'repeated') {
    return Array.isArray(value) ? value.map((item) => encodeSingle(field.type, item, naming)) : [];
  }
  if (field.label === 'map') {
    const result: { [key: string]: Json } = {};
    if (isProtoObject(value)) {
      for (const [key, item] of Object.entries(value)) {
        if (item !== undefined) result[key] = encodeSingle(field.type, item, naming);
      }
    }
    return result;
  }
  return encodeSingle(field.type, value, naming);
}

/**
 * Encodes a canonical message, or `null` when it is unset.
 * @example
 * encodeMessage('admin.ExecutionCreateResponse', { id: { project: 'p', domain: 'd', name: 'n' } }, 'proto');
 * // { id: { project: 'p', domain: 'd', name: 'n', org: '' } }
 */
export function encodeMessage(typeName: string, value: ProtoObject | undefined, naming: Naming): Json {
  if (value === undefined) return null;
  const descriptor = REGISTRY.message(typeName);
  const result: { [key: string]: Json } = {};
  for (const field of descriptor.fields) {
    const key = naming === 'proto' ? field.name : field.jsonName;
    const fieldValue = value[field.name];
    if (fieldValue === undefined || fieldValue === null) {
      if (field.oneof !== undefined) continue;
      result[key] = field.label === 'repeated' ? [] : field.label === 'map' ? {} : defaultSingle(field.type);
      continue;
    }
    result[key] = encodeField(field, fieldValue, naming);
  }
  return result;
}

/** A `google.protobuf.Any` in JSON: `@type` first, then the payload message's fields. */
function encodeAny(detail: StatusDetail, naming: Naming): Json {
  const descriptor = REGISTRY.message(detail.typeName);
  const payload = encodeMessage(detail.typeName, detail.value, naming);
  return { '@type': `type.googleapis.com/${descriptor.fullName}`, ...(payload as { [key: string]: Json }) };
}

/** The `google.rpc.Status` body of an error: the same three keys under either naming. */
export function encodeStatus(error: StatusError, naming: Naming): Json {
  return {
    code: error.code,
    message: error.message,
    details: error.details.map((detail) => encodeAny(detail, naming)),
  };
}
