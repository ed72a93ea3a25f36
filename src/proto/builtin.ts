/**
 * The protos the library ships, loaded once from the generated JSON descriptor, and
 * grpc-js service definitions built from any protobufjs service with proto-loader's
 * conventions (so decoded messages match the generated `__Output` types).
 */
import type * as grpc from '@grpc/grpc-js';
// protobufjs is CommonJS: under ESM only its default export exists at run time, so values
// (classes, Root.fromJSON) come from the default import. Types come from named type-only
// imports, the only protobufjs import the emitted .d.ts keeps: a default import there fails
// to compile for CommonJS consumers without esModuleInterop (TS1192).
import type {
  AnyNestedObject,
  BufferReader,
  IConversionOptions,
  INamespace,
  Message,
  Root,
  Service,
  Type,
} from 'protobufjs';
import protobuf from 'protobufjs/light.js';
import { descriptor } from '../generated/descriptor.js';

/**
 * Options for `Type.toObject` that give proto-loader's `__Output` shapes: camelCase
 * fields, 64-bit integers and enums as strings, defaults filled in, the name of the set
 * field of each oneof, bytes as Buffer.
 */
export const TO_OBJECT_OPTIONS: IConversionOptions = Object.freeze({
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
});

let builtin: Root | undefined;
let core: Root | undefined;

/** The well-known types: all of google.protobuf but descriptor.proto, which describes .proto files and options. */
const WELL_KNOWN = new Set([
  'Any',
  'Duration',
  'Empty',
  'FieldMask',
  'Struct',
  'Value',
  'NullValue',
  'ListValue',
  'Timestamp',
  'DoubleValue',
  'FloatValue',
  'Int64Value',
  'UInt64Value',
  'Int32Value',
  'UInt32Value',
  'BoolValue',
  'StringValue',
  'BytesValue',
]);

/** The namespace `name` nested in `ns`; throws when the generated descriptor lacks it. */
function namespaceIn(ns: INamespace, name: string): INamespace {
  const child = ns.nested?.[name];
  if (child === undefined || !('nested' in child)) throw new Error(`built-in descriptor lacks ${name}`);
  return child;
}

/** `ns` with only the nested objects that `keep` keeps. */
function keepNested(ns: INamespace, keep: (name: string, value: AnyNestedObject) => boolean): INamespace {
  return {
    ...ns,
    nested: Object.fromEntries(Object.entries(ns.nested ?? {}).filter(([k, v]) => keep(k, v))),
  };
}

/**
 * The descriptor without google.api, descriptor.proto and the extensions of option
 * messages (google.longrunning.operation_info): types that describe .proto files rather
 * than messages the library sends or unpacks. Methods keep their options as data.
 */
function coreDescriptor(): INamespace {
  const google = namespaceIn(descriptor, 'google');
  const { api: _api, ...packages } = google.nested ?? {};
  return {
    ...descriptor,
    nested: {
      ...descriptor.nested,
      google: {
        ...google,
        nested: {
          ...packages,
          protobuf: keepNested(namespaceIn(google, 'protobuf'), (name) => WELL_KNOWN.has(name)),
          longrunning: keepNested(namespaceIn(google, 'longrunning'), (_, value) => !('extend' in value)),
        },
      },
    },
  };
}

/**
 * The built-in types the library needs at run time: google.longrunning, google.rpc, the
 * well-known types and the demo protos, i.e. `builtinRoot()` without google.api and
 * descriptor.proto, which take two thirds of its build time (tens of ms at start-up).
 * Built on first use and shared: callers must not add to it. A registry looks a type up
 * here first and in `builtinRoot()` only when this root lacks it.
 */
export function coreRoot(): Root {
  if (core === undefined) {
    core = protobuf.Root.fromJSON(coreDescriptor());
    core.resolveAll();
  }
  return core;
}

/**
 * The root of every built-in file (google.longrunning, google.rpc, google.api, the
 * well-known types and the demo protos). Parsed on first use and shared: callers must not
 * add to it.
 */
export function builtinRoot(): Root {
  if (builtin === undefined) {
    builtin = protobuf.Root.fromJSON(descriptor);
    builtin.resolveAll();
  }
  return builtin;
}

/**
 * `string()` of the readers `decodeRaw` makes: refuses a string running past the end of
 * the bytes. protobufjs's own BufferReader clamps such a read to the bytes there are, so
 * truncated bytes decoded silently (ErrorInfo bytes `0a 05 41` gave `{ reason: 'A' }`);
 * its other reads (bytes, varints, fixed-width, skips) already throw RangeError.
 */
function readCheckedString(this: BufferReader): string {
  const length = this.uint32();
  const start = this.pos;
  const end = start + length;
  if (end > this.len) {
    throw new RangeError(
      `truncated message: a string of ${length} bytes at offset ${start} runs past the end (${this.len} bytes)`,
    );
  }
  this.pos = end;
  // `buf` is a Buffer: these readers are only made for Buffers. No encoding argument:
  // Buffer#toString then goes straight to its UTF-8 decoder.
  return (this.buf as Buffer).toString(undefined, start, end);
}

/**
 * The prototype of those readers: a BufferReader with the checked `string()`. Readers are
 * made with Object.create and their three fields set as the Reader constructor sets them:
 * measured, a class extending BufferReader made unpacking 1.5 to 2.5 times slower, this
 * costs nothing over protobufjs's own reader.
 */
const checkedReaderPrototype: BufferReader = Object.create(protobuf.BufferReader.prototype, {
  string: { value: readCheckedString },
});

/**
 * Decodes `bytes` as a `type` message (protobufjs's message object, not yet `toObject`ed).
 * Throws RangeError for truncated bytes, a string cut short included, and what protobufjs
 * throws for other malformed input.
 */
export function decodeRaw(type: Type, bytes: Uint8Array): Message {
  if (!Buffer.isBuffer(bytes)) return type.decode(bytes); // protobufjs's Uint8Array reader checks strings
  const reader: BufferReader = Object.create(checkedReaderPrototype);
  reader.buf = bytes;
  reader.pos = 0;
  reader.len = bytes.length;
  return type.decode(reader);
}

/**
 * Decodes `bytes` as `type` into the `__Output` shape. A oneof whose members all came on
 * the wire keeps only the one that came last (protobuf's rule; `toObject` alone would keep
 * them all and name the last declared), so e.g. an Operation is never both failed and
 * successful. Throws like `decodeRaw`.
 */
export function decodeMessage<T>(type: Type, bytes: Uint8Array): T {
  const message = decodeRaw(type, bytes);
  const object = type.toObject(message, TO_OBJECT_OPTIONS);
  for (const oneof of type.oneofsArray) {
    // The decoded message's oneof getter names the member set last on the wire.
    const last: unknown = Reflect.get(message, oneof.name);
    if (typeof last !== 'string') continue;
    for (const field of oneof.fieldsArray) if (field.name !== last) delete object[field.name];
    object[oneof.name] = last;
  }
  return object as T;
}

/** Encodes a plain object (either field-name style) as `type`. */
export function encodeMessage(type: Type, value: object): Buffer {
  const bytes = type.encode(type.fromObject(value)).finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Builds the grpc-js definition of `service` (unary and streaming methods alike), for
 * `new grpc.Client` / `grpc.makeGenericClientConstructor` and `server.addService`.
 */
export function serviceDefinition(service: Service): grpc.ServiceDefinition {
  const definition: Record<string, grpc.MethodDefinition<object, object>> = {};
  const path = service.fullName.replace(/^\./, '');
  for (const method of service.methodsArray) {
    method.resolve();
    const request = method.resolvedRequestType;
    const response = method.resolvedResponseType;
    if (request === null || response === null) {
      throw new Error(`method ${path}.${method.name} has unresolved types`);
    }
    definition[method.name] = {
      path: `/${path}/${method.name}`,
      requestStream: method.requestStream === true,
      responseStream: method.responseStream === true,
      requestSerialize: (value: object) => encodeMessage(request, value),
      requestDeserialize: (bytes: Buffer) => decodeMessage(request, bytes),
      responseSerialize: (value: object) => encodeMessage(response, value),
      responseDeserialize: (bytes: Buffer) => decodeMessage(response, bytes),
      originalName: method.name.charAt(0).toLowerCase() + method.name.slice(1),
    };
  }
  return definition;
}
