/**
 * flyteidl's own protos (`@flyteorg/flyteidl`), as a real client holds them, for tests: loaded with
 * protobufjs, then handed to @bufbuild/protobuf (a conformance-tested protojson) through
 * protobufjs' descriptor extension. Requests are written as a client library writes them —
 * proto names (`MessageToJson(preserving_proto_field_name=True)`) or protobuf's default JSON
 * (lowerCamelCase, here with enums as numbers) — and answers are parsed strictly as their
 * flyteidl message (unknown fields, duplicates and wrong types refused, as Go's protojson does).
 *
 * protobufjs' descriptors leave type names relative, give no file dependencies and an empty
 * `json_name`; `registryOf` qualifies the names, derives the dependencies and fills `json_name`
 * the way protoc does (bufbuild's `protoCamelCase`, an implementation independent of the gateway's).
 */
import { dirname, join } from 'node:path';
import {
  createFileRegistry,
  type DescEnum,
  type DescMessage,
  type FileRegistry,
  fromBinary,
  fromJson,
  type JsonValue,
  toJson,
} from '@bufbuild/protobuf';
import { protoCamelCase } from '@bufbuild/protobuf/reflect';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import protobuf from 'protobufjs';
import descriptor from 'protobufjs/ext/descriptor';

const PROTOS = join(dirname(require.resolve('@flyteorg/flyteidl/package.json')), 'protos');
/** Every message these tests write or read lives in (or is imported by) this file. */
const ENTRY = 'flyteidl/admin/execution.proto';

interface FlyteIdl {
  /** protobufjs reflection, keepCase (proto names). */
  root: protobuf.Root;
  registry: FileRegistry;
}

let loaded: FlyteIdl | undefined;

/** The protos, loaded once per test file. */
export function flyteidl(): FlyteIdl {
  if (loaded) return loaded;
  const root = new protobuf.Root();
  // google/protobuf/* come bundled with protobufjs; google/api/* (service annotations) are not needed
  // by admin/execution.proto and would be stubbed here if they were.
  root.resolvePath = (_origin, target) => (target.startsWith('google/') ? target : join(PROTOS, target));
  root.loadSync([ENTRY], { keepCase: true });
  root.resolveAll();
  loaded = { root, registry: registryOf(root) };
  return loaded;
}

type FileProto = descriptor.IFileDescriptorProto;
type MessageProto = descriptor.IDescriptorProto;

function registryOf(root: protobuf.Root): FileRegistry {
  const set = root.toDescriptor('proto3') as descriptor.IFileDescriptorSet;
  const files = set.file ?? [];
  const fileOf = new Map<string, string>();
  const qualify = (
    file: FileProto,
    messages: MessageProto[],
    prefix: string,
    parent: protobuf.NamespaceBase,
  ) => {
    for (const message of messages) {
      const fullName = `${prefix}.${message.name}`;
      fileOf.set(fullName, file.name ?? '');
      // Map entries exist only in descriptors: resolve their value types from the enclosing message.
      const scope = (parent.get(message.name ?? '') as protobuf.NamespaceBase | null) ?? parent;
      const entries = new Set(
        (message.nestedType ?? []).filter((n) => n.options?.mapEntry).map((n) => n.name),
      );
      for (const field of message.field ?? []) {
        field.jsonName = protoCamelCase(field.name ?? '');
        if (!field.typeName || field.typeName.startsWith('.')) continue;
        const resolved = entries.has(field.typeName)
          ? undefined
          : (scope.lookup(field.typeName) ?? parent.lookup(field.typeName));
        field.typeName = resolved ? resolved.fullName : `${fullName}.${field.typeName}`;
      }
      for (const nested of message.enumType ?? []) fileOf.set(`${fullName}.${nested.name}`, file.name ?? '');
      qualify(file, message.nestedType ?? [], fullName, scope);
    }
  };
  for (const file of files) {
    for (const nested of file.enumType ?? []) fileOf.set(`.${file.package}.${nested.name}`, file.name ?? '');
    qualify(
      file,
      file.messageType ?? [],
      `.${file.package}`,
      root.lookup(file.package ?? '') as protobuf.NamespaceBase,
    );
  }
  for (const file of files) {
    const dependencies = new Set<string>();
    const visit = (messages: MessageProto[]) => {
      for (const message of messages) {
        for (const field of message.field ?? []) {
          const owner = fileOf.get(field.typeName ?? '');
          if (owner && owner !== file.name) dependencies.add(owner);
        }
        visit(message.nestedType ?? []);
      }
    };
    visit(file.messageType ?? []);
    file.dependency = [...dependencies];
  }
  // Dependencies first: google.protobuf, then flyteidl.core, then flyteidl.admin.
  const ordered = [...files].sort((a, b) => (a.dependency?.length ?? 0) - (b.dependency?.length ?? 0));
  const bytes = descriptor.FileDescriptorSet.encode({ file: ordered }).finish();
  return createFileRegistry(fromBinary(FileDescriptorSetSchema, bytes));
}

/** A flyteidl message by its full name without the `flyteidl.` prefix, e.g. `admin.Execution`. */
export function messageDesc(name: string): DescMessage {
  const desc = flyteidl().registry.getMessage(`flyteidl.${name}`);
  if (!desc) throw new Error(`no flyteidl message ${name}`);
  return desc;
}

/** A flyteidl enum by full name, e.g. `core.ResourceType`. */
export function enumDesc(name: string): DescEnum {
  const desc = flyteidl().registry.getEnum(`flyteidl.${name}`);
  if (!desc) throw new Error(`no flyteidl enum ${name}`);
  return desc;
}

/** How a client library writes a message. */
export type Spelling = 'proto-names' | 'protobuf-default';
export const SPELLINGS: Spelling[] = ['proto-names', 'protobuf-default'];

/**
 * A request as a client library writes it: the message built from `value` (any protojson), then
 * written with proto names and enum names, or as protobuf's default JSON with enums as numbers.
 * @example
 * clientJson('admin.ExecutionRelaunchRequest', { overwrite_cache: true }, 'protobuf-default'); // { overwriteCache: true }
 */
export function clientJson(name: string, value: JsonValue, spelling: Spelling): JsonValue {
  const { registry } = flyteidl();
  const desc = messageDesc(name);
  const message = fromJson(desc, value, { registry });
  return spelling === 'proto-names'
    ? toJson(desc, message, { registry, useProtoFieldName: true })
    : toJson(desc, message, { registry, enumAsInteger: true });
}

/**
 * Parses an answer strictly as its flyteidl message (throws on an unknown field, a duplicate, a
 * wrong type) and returns its canonical JSON (proto names, enum names).
 * @example
 * parseStrict('admin.Execution', await res.json());
 */
export function parseStrict(name: string, json: JsonValue): JsonValue {
  const { registry } = flyteidl();
  const desc = messageDesc(name);
  return toJson(desc, fromJson(desc, json, { registry }), { registry, useProtoFieldName: true });
}
