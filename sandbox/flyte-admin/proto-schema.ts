/**
 * A tiny protobuf descriptor model, written as a compact text DSL so the message tables stay readable:
 * each field is `"[repeated|map] <type> [oneof:<name>]"`, where `<type>` is a scalar (`string`, `int64`, …),
 * a well-known type (`Timestamp`, `Duration`, `Struct`, `BoolValue`, `Any`), `enum:<Enum>` or a message
 * name. The codec needs exactly this much to act like protojson: which keys exist (both spellings), which
 * are maps (whose keys must never be re-cased), which are oneof members (omitted when unset) and each
 * field's default.
 * @module
 */

export type ScalarKind = 'string' | 'bool' | 'int32' | 'uint32' | 'int64' | 'uint64' | 'double' | 'bytes';
export type WellKnownKind = 'Timestamp' | 'Duration' | 'Struct' | 'BoolValue' | 'Any';

export type FieldType =
  | { kind: 'scalar'; scalar: ScalarKind }
  | { kind: 'wkt'; wkt: WellKnownKind }
  | { kind: 'enum'; name: string }
  | { kind: 'message'; name: string };

export interface FieldDescriptor {
  /** Proto field name (snake_case); the key of the canonical form. */
  name: string;
  /** protoc's `json_name` (lowerCamelCase). */
  jsonName: string;
  label: 'single' | 'repeated' | 'map';
  type: FieldType;
  oneof?: string;
}

export interface MessageDescriptor {
  /** Short name used in the tables, e.g. `admin.Execution`. */
  name: string;
  /** Fully qualified proto name, used in `Any` type URLs. */
  fullName: string;
  fields: readonly FieldDescriptor[];
  /** Lookup by proto name and by JSON name: protojson accepts both on input. */
  byKey: ReadonlyMap<string, FieldDescriptor>;
}

export interface ProtoRegistry {
  message(name: string): MessageDescriptor;
  enumValues(name: string): readonly string[];
}

/** Table form: message name → field name → DSL spec. */
export type MessageTable = Record<string, Record<string, string>>;
/** Table form: enum name → value names in number order (all enums here are dense from 0). */
export type EnumTable = Record<string, readonly string[]>;

const SCALARS: ReadonlySet<string> = new Set<ScalarKind>([
  'string',
  'bool',
  'int32',
  'uint32',
  'int64',
  'uint64',
  'double',
  'bytes',
]);
const WELL_KNOWN: ReadonlySet<string> = new Set<WellKnownKind>([
  'Timestamp',
  'Duration',
  'Struct',
  'BoolValue',
  'Any',
]);

/**
 * protoc's json_name rule: drop each `_` and upper-case the character after it.
 * @example jsonName('k8s_service_account') // 'k8sServiceAccount'
 */
function jsonName(protoName: string): string {
  return protoName.replace(/_(.)/g, (_, next: string) => next.toUpperCase()).replace(/_/g, '');
}

function parseField(message: string, name: string, spec: string): FieldDescriptor {
  const tokens = spec.trim().split(/\s+/);
  let label: FieldDescriptor['label'] = 'single';
  if (tokens[0] === 'repeated' || tokens[0] === 'map') {
    label = tokens[0] === 'map' ? 'map' : 'repeated';
    tokens.shift();
  }
  const typeToken = tokens.shift();
  if (typeToken === undefined) throw new Error(`${message}.${name}: missing type in "${spec}"`);
  let type: FieldType;
  if (SCALARS.has(typeToken)) type = { kind: 'scalar', scalar: typeToken as ScalarKind };
  else if (WELL_KNOWN.has(typeToken)) type = { kind: 'wkt', wkt: typeToken as WellKnownKind };
  else if (typeToken.startsWith('enum:')) type = { kind: 'enum', name: typeToken.slice(5) };
  else type = { kind: 'message', name: typeToken };
  const oneofToken = tokens.shift();
  if (oneofToken !== undefined && !oneofToken.startsWith('oneof:')) {
    throw new Error(`${message}.${name}: unexpected "${oneofToken}" in "${spec}"`);
  }
  const field: FieldDescriptor = { name, jsonName: jsonName(name), label, type };
  if (oneofToken !== undefined) field.oneof = oneofToken.slice(6);
  return field;
}

/**
 * Builds a registry from message and enum tables and checks every reference up front, so a typo in a table
 * fails at start-up instead of on some rare request.
 * @example
 * const registry = createRegistry({ 'demo.Pair': { key: 'string', value: 'int64' } }, {});
 * registry.message('demo.Pair').byKey.get('key')?.type; // { kind: 'scalar', scalar: 'string' }
 */
export function createRegistry(
  messages: MessageTable,
  enums: EnumTable,
  packagePrefix = 'flyteidl.',
): ProtoRegistry {
  const descriptors = new Map<string, MessageDescriptor>();
  for (const [name, table] of Object.entries(messages)) {
    const fields = Object.entries(table).map(([field, spec]) => parseField(name, field, spec));
    const byKey = new Map<string, FieldDescriptor>();
    for (const field of fields) {
      byKey.set(field.name, field);
      byKey.set(field.jsonName, field);
    }
    descriptors.set(name, { name, fullName: `${packagePrefix}${name}`, fields, byKey });
  }
  for (const descriptor of descriptors.values()) {
    for (const field of descriptor.fields) {
      const { type } = field;
      if (type.kind === 'message' && !descriptors.has(type.name)) {
        throw new Error(`${descriptor.name}.${field.name}: unknown message ${type.name}`);
      }
      if (type.kind === 'enum' && !(type.name in enums)) {
        throw new Error(`${descriptor.name}.${field.name}: unknown enum ${type.name}`);
      }
    }
  }
  return {
    message(name) {
      const descriptor = descriptors.get(name);
      if (!descriptor) throw new Error(`unknown message type ${name}`);
      return descriptor;
    },
    enumValues(name) {
      const values = enums[name];
      if (!values) throw new Error(`unknown enum ${name}`);
      return values;
    },
  };
}
