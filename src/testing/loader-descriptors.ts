/**
 * The files behind a service added with `addService` whose definition @grpc/proto-loader
 * made. Such a definition carries no .proto files, only the FileDescriptorProtos
 * proto-loader built with protobufjs's `toDescriptor`: one per package, every one proto3,
 * range ends inclusive, map entries misnamed, the fields extensions add to option
 * messages listed among their own, custom options dropped. They are repaired here so
 * that reflection clients accept them, and the method options the definition does carry
 * (`google.api.http`, `google.longrunning.operation_info`, ...) are put back. Field and
 * message options are lost in proto-loader's output; a server given the service's .proto
 * files as `protoFiles` describes them exactly (those files win over these).
 */
import type * as grpc from '@grpc/grpc-js';
import type { Root, Type } from 'protobufjs';
import protobuf from 'protobufjs/light.js';
import { isObject } from '../base/is-object.js';
import { optionsProto } from './descriptor-options.js';
import {
  type FileProto,
  LABEL,
  MAX_FIELD_NUMBER,
  type MessageProto,
  mapEntryName,
  type RangeProto,
} from './descriptor-protos.js';

/** The FileDescriptorProtos a proto-loader message definition carries, if `value` is one. */
function fileDescriptorProtos(value: unknown): readonly Buffer[] {
  const files: unknown = isObject(value) ? value.fileDescriptorProtos : undefined;
  return Array.isArray(files) ? files.filter((f) => Buffer.isBuffer(f)) : [];
}

/** Whether a decoded object has the parts of a FileDescriptorProto this file reads (decoded with `arrays: true`). */
function isFileProto(x: unknown): x is FileProto {
  return (
    isObject(x) &&
    typeof x.name === 'string' &&
    ['dependency', 'message_type', 'enum_type', 'service', 'extension'].every((k) => Array.isArray(x[k]))
  );
}

/** `[start, end]` ranges as protobufjs wrote them, made `[start, end)`. */
function exclusive(ranges: RangeProto[]): RangeProto[] {
  return ranges.map(({ start, end }) => ({ start, end: Math.min(end, MAX_FIELD_NUMBER) + 1 }));
}

/** Repairs a message in place (see the file comment); true when it uses proto2-only features. */
function repair(message: MessageProto): boolean {
  message.field = message.field.filter((f) => !f.name.startsWith('.'));
  message.extension_range = exclusive(message.extension_range);
  message.reserved_range = exclusive(message.reserved_range);
  let proto2 = message.extension_range.length > 0;
  for (const entry of message.nested_type.filter((n) => n.options?.map_entry === true)) {
    const field = message.field.find((f) => f.type_name === entry.name && f.label === LABEL.REPEATED);
    if (field === undefined) continue;
    entry.name = mapEntryName(field.name);
    field.type_name = entry.name;
  }
  for (const field of message.field) {
    if (field.label === LABEL.REQUIRED) proto2 = true;
    if (field.options !== undefined && field.label !== LABEL.REPEATED) delete field.options.packed;
  }
  for (const nested of message.nested_type) proto2 = repair(nested) || proto2;
  return proto2;
}

/** The method options of a proto-loader method definition that say something (not its defaults). */
function methodOptions(method: unknown): Record<string, unknown>[] {
  const options: unknown = isObject(method) ? method.options : undefined;
  if (!isObject(options)) return [];
  const { uninterpreted_option: _, deprecated, idempotency_level, ...rest } = options;
  return [
    {
      ...rest,
      ...(deprecated === true ? { deprecated } : {}),
      ...(idempotency_level !== undefined &&
      idempotency_level !== 'IDEMPOTENCY_UNKNOWN' &&
      idempotency_level !== 0
        ? { idempotency_level }
        : {}),
    },
  ];
}

/**
 * The repaired files of `definition`, without `dependency` (see descriptor-set.ts); empty
 * when the definition carries none. `root` is a root parsed with `keepCase` that has
 * descriptor.proto and the extensions whose method options are put back: its
 * FileDescriptorProto decodes the files (and encodes them again).
 */
export function definitionFiles(definition: grpc.ServiceDefinition, root: Root): FileProto[] {
  const decoder: Type = root.lookupType('google.protobuf.FileDescriptorProto');
  const files = new Map<string, FileProto>();
  for (const method of Object.values(definition)) {
    const types: unknown[] = [Reflect.get(method, 'requestType'), Reflect.get(method, 'responseType')];
    for (const bytes of types.flatMap(fileDescriptorProtos)) {
      const file: unknown = decoder.toObject(decoder.decode(bytes), {
        arrays: true,
        enums: Number,
        longs: Number,
      });
      if (!isFileProto(file)) continue;
      const known = files.get(file.name);
      if (known === undefined) files.set(file.name, file);
      else {
        // proto-loader hands every message of a package definition the same files: keep each declaration once.
        const add = <T extends { name: string }>(into: T[], from: T[]): void => {
          for (const d of from) if (!into.some((k) => k.name === d.name)) into.push(d);
        };
        add(known.message_type, file.message_type);
        add(known.enum_type, file.enum_type);
        add(known.service, file.service);
        add(known.extension, file.extension);
      }
    }
  }
  const path = Object.values(definition)[0]?.path ?? '';
  const serviceName = path.slice(1, path.lastIndexOf('/'));
  const optionsType = root.lookup('google.protobuf.MethodOptions', [protobuf.Type]);
  for (const file of files.values()) {
    let proto2 = false;
    for (const message of file.message_type) proto2 = repair(message) || proto2;
    file.syntax = proto2 ? 'proto2' : 'proto3';
    for (const service of file.service) {
      if (`${file.package ?? ''}.${service.name}`.replace(/^\./, '') !== serviceName) continue;
      for (const method of service.method) {
        const options = optionsProto(
          methodOptions(definition[method.name]),
          optionsType instanceof protobuf.Type ? optionsType : undefined,
          root,
        );
        if (options === undefined) delete method.options;
        else method.options = options;
      }
    }
  }
  return [...files.values()];
}
