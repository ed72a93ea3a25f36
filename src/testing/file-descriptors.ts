/**
 * FileDescriptorProtos of .proto files as protoc writes them, built from a protobufjs root
 * parsed with field names as written (`loadProtoFiles(…, { keepCase: true })`): one per
 * source file, named by its import path, with the file's own syntax, absolute type
 * references, map entry messages, proto3 `optional` fields, extension and reserved
 * ranges with exclusive ends, and the options of fields, messages, enums, services and
 * methods, custom ones included. protobufjs's own `toDescriptor` does none of this
 * (one file per package, every file proto3, inclusive range ends, custom options dropped,
 * the fields extensions add to option messages listed as their own), and reflection
 * clients refuse what it makes.
 */
import type {
  Enum,
  FieldBase,
  MapField,
  Method,
  Namespace,
  OneOf,
  ReflectionObject,
  Root,
  Service,
  Type,
} from 'protobufjs';
import protobuf from 'protobufjs/light.js';
import type { LoadedProtos } from '../proto/proto-files.js';
import { optionsProto, type ParsedOption } from './descriptor-options.js';
import {
  type EnumProto,
  type FieldProto,
  type FileProto,
  isPackable,
  LABEL,
  MAX_FIELD_NUMBER,
  type MessageProto,
  mapEntryName,
  type RangeProto,
  SCALAR_TYPE,
  type ServiceProto,
  TYPE,
} from './descriptor-protos.js';

/** A file's descriptor and the `google.protobuf.FileDescriptorProto` type that encodes it (its options' extensions known). */
export interface DescribedFile {
  readonly proto: FileProto;
  readonly encoder: Type;
}

/** What the builders share: the root whose descriptor.proto types encode the files, and its options types by name. */
interface Context {
  readonly encoding: Root;
  readonly optionTypes: Map<string, Type | undefined>;
}

/** The parsed option statements of `object`. */
function parsed(object: ReflectionObject): ParsedOption[] {
  const options: unknown = object.parsedOptions;
  return Array.isArray(options) ? options : object.options === undefined ? [] : [object.options];
}

/** The options of `object` as `google.protobuf.<kind>` of the encoding root takes them. */
function options(
  context: Context,
  object: ReflectionObject,
  kind: string,
  keep?: (fieldName: string) => boolean,
): { options?: Record<string, unknown> } {
  if (!context.optionTypes.has(kind)) {
    const type = context.encoding.lookup(`google.protobuf.${kind}`, [protobuf.Type]);
    context.optionTypes.set(kind, type instanceof protobuf.Type ? type : undefined);
  }
  const found = optionsProto(
    parsed(object),
    context.optionTypes.get(kind),
    object.parent ?? context.encoding,
    keep,
  );
  return found === undefined ? {} : { options: found };
}

/** protobufjs's syntax or edition of a top-level object ('proto2', 'proto3', '2023'), kept in a private field. */
function editionOf(object: ReflectionObject): string {
  const edition: unknown = Reflect.get(object, '_edition');
  return typeof edition === 'string' ? edition : 'proto2';
}

/** The descriptor type number of `field`'s type. Throws for a type protobufjs left unresolved. */
function typeNumber(field: FieldBase): number {
  if (field.resolvedType instanceof protobuf.Enum) return TYPE.ENUM;
  if (field.resolvedType instanceof protobuf.Type) {
    return field instanceof protobuf.Field && field.delimited ? TYPE.GROUP : TYPE.MESSAGE;
  }
  const scalar = SCALAR_TYPE[field.type];
  if (scalar === undefined) throw new Error(`${field.fullName}: unresolved type ${field.type}`);
  return scalar;
}

/** A field or extension declaration; `oneofs` is its message's oneof order. */
function fieldProto(
  context: Context,
  field: FieldBase,
  syntax: string,
  oneofs: readonly OneOf[],
): FieldProto {
  const type = typeNumber(field);
  const repeated = field.repeated || field.map;
  const proto: FieldProto = {
    name: field.name,
    number: field.id,
    label: repeated
      ? LABEL.REPEATED
      : field instanceof protobuf.Field && field.required && syntax === 'proto2'
        ? LABEL.REQUIRED
        : LABEL.OPTIONAL,
    type,
    ...options(context, field, 'FieldOptions', (name) => name !== 'packed' || (repeated && isPackable(type))),
  };
  if (field.resolvedType !== null) proto.type_name = field.resolvedType.fullName;
  const extended = field.extensionField?.parent;
  if (field.extend !== undefined && extended) proto.extendee = extended.fullName;
  const defaultValue: unknown = field.options?.default;
  if (syntax === 'proto2' && defaultValue !== undefined) proto.default_value = String(defaultValue);
  if (field.partOf !== null) proto.oneof_index = oneofs.indexOf(field.partOf);
  if (field.options?.proto3_optional === true) proto.proto3_optional = true;
  return proto;
}

/** The entry message protoc declares for map field `field`, and the field as a repeated entry of it. */
function mapField(
  context: Context,
  field: MapField,
  syntax: string,
  owner: Type,
): [FieldProto, MessageProto] {
  const entry = mapEntryName(field.name);
  const { options: fieldOptions, ...value } = fieldProto(context, field, syntax, []);
  const message: MessageProto = {
    ...emptyMessage(entry),
    field: [
      { name: 'key', number: 1, label: LABEL.OPTIONAL, type: SCALAR_TYPE[field.keyType] ?? 0 },
      { ...value, name: 'value', number: 2, label: LABEL.OPTIONAL },
    ],
    options: { map_entry: true },
  };
  const repeated: FieldProto = { ...value, type: TYPE.MESSAGE, type_name: `${owner.fullName}.${entry}` };
  return [fieldOptions === undefined ? repeated : { ...repeated, options: fieldOptions }, message];
}

function emptyMessage(name: string): MessageProto {
  return {
    name,
    field: [],
    extension: [],
    nested_type: [],
    enum_type: [],
    extension_range: [],
    oneof_decl: [],
    reserved_range: [],
    reserved_name: [],
  };
}

/** Whether `oneof` is the synthetic one protobufjs makes for a proto3 `optional` field. */
function isSynthetic(oneof: OneOf): boolean {
  return oneof.fieldsArray.length === 1 && oneof.fieldsArray[0]?.options?.proto3_optional === true;
}

/** Reserved ranges and names; protobufjs keeps ranges with inclusive ends. `exclusive` makes them exclusive (messages). */
function reserved(list: (number[] | string)[] | undefined, exclusive: boolean): [RangeProto[], string[]] {
  const ranges: RangeProto[] = [];
  const names: string[] = [];
  for (const item of list ?? []) {
    if (typeof item === 'string') names.push(item);
    else ranges.push({ start: item[0] ?? 0, end: (item[1] ?? item[0] ?? 0) + (exclusive ? 1 : 0) });
  }
  return [ranges, names];
}

function messageProto(context: Context, type: Type, syntax: string): MessageProto {
  const message = emptyMessage(type.name);
  // Real oneofs first, then the synthetic ones of proto3 `optional` fields, as protoc orders them.
  const oneofs = [
    ...type.oneofsArray.filter((o) => !isSynthetic(o)),
    ...type.oneofsArray.filter((o) => isSynthetic(o)),
  ];
  message.oneof_decl = oneofs.map((o) => ({ name: o.name }));
  for (const field of type.fieldsArray) {
    // A field that an extension declared elsewhere adds to this message is that file's, not this one's.
    if (field.declaringField !== null) continue;
    if (field instanceof protobuf.MapField) {
      const [proto, entry] = mapField(context, field, syntax, type);
      message.field.push(proto);
      message.nested_type.push(entry);
    } else message.field.push(fieldProto(context, field, syntax, oneofs));
  }
  for (const nested of type.nestedArray) {
    if (nested instanceof protobuf.Type) message.nested_type.push(messageProto(context, nested, syntax));
    else if (nested instanceof protobuf.Enum) message.enum_type.push(enumProto(context, nested));
    else if (nested instanceof protobuf.Field)
      message.extension.push(fieldProto(context, nested, syntax, []));
  }
  message.extension_range = (type.extensions ?? []).map(([start = 0, end = start]) => ({
    start,
    end: Math.min(end, MAX_FIELD_NUMBER) + 1,
  }));
  [message.reserved_range, message.reserved_name] = reserved(type.reserved, true);
  return { ...message, ...options(context, type, 'MessageOptions') };
}

function enumProto(context: Context, type: Enum): EnumProto {
  const [reservedRange, reservedName] = reserved(type.reserved, false);
  return {
    name: type.name,
    value: Object.entries(type.values).map(([name, number]) => ({ name, number })),
    ...(reservedRange.length > 0 ? { reserved_range: reservedRange } : {}),
    ...(reservedName.length > 0 ? { reserved_name: reservedName } : {}),
    ...options(context, type, 'EnumOptions'),
  };
}

function methodProto(context: Context, method: Method): ServiceProto['method'][number] {
  method.resolve();
  return {
    name: method.name,
    input_type: method.resolvedRequestType?.fullName ?? method.requestType,
    output_type: method.resolvedResponseType?.fullName ?? method.responseType,
    ...(method.requestStream === true ? { client_streaming: true } : {}),
    ...(method.responseStream === true ? { server_streaming: true } : {}),
    ...options(context, method, 'MethodOptions'),
  };
}

function serviceProto(context: Context, service: Service): ServiceProto {
  return {
    name: service.name,
    method: service.methodsArray.map((m) => methodProto(context, m)),
    ...options(context, service, 'ServiceOptions'),
  };
}

/**
 * The descriptors of every file of `loaded`, in the order their first declaration comes
 * in the root, each without `dependency` (see descriptor-set.ts). Files are encoded with
 * `loaded.root`'s own descriptor.proto types when it has them (then every custom option
 * its files declare is kept), else with `fallback`'s. Throws an Error for a field whose
 * type protobufjs left unresolved.
 */
export function describeFiles(loaded: LoadedProtos, fallback: Root): DescribedFile[] {
  const own = loaded.root.lookup('google.protobuf.FileDescriptorProto', [protobuf.Type]);
  const encoding = own instanceof protobuf.Type ? loaded.root : fallback;
  const encoder = encoding.lookupType('google.protobuf.FileDescriptorProto');
  const context: Context = { encoding, optionTypes: new Map() };
  const files = new Map<string, FileProto>();
  const fileOf = (object: ReflectionObject, ns: Namespace): FileProto => {
    const pkg = ns.fullName.replace(/^\./, '');
    const name =
      object.filename === null
        ? `${pkg.replace(/\./g, '_') || 'root'}.proto`
        : loaded.importName(object.filename);
    let file = files.get(name);
    if (file === undefined) {
      const edition = editionOf(object);
      file = {
        name,
        ...(pkg === '' ? {} : { package: pkg }),
        dependency: [],
        message_type: [],
        enum_type: [],
        service: [],
        extension: [],
        ...(edition === 'proto2' || edition === 'proto3'
          ? { syntax: edition }
          : { syntax: 'editions', edition: edition === '2023' ? 1000 : 0 }),
      };
      files.set(name, file);
    }
    return file;
  };
  const visit = (ns: Namespace): void => {
    for (const object of ns.nestedArray) {
      if (object instanceof protobuf.Type) {
        const file = fileOf(object, ns);
        file.message_type.push(messageProto(context, object, file.syntax ?? 'proto2'));
      } else if (object instanceof protobuf.Enum)
        fileOf(object, ns).enum_type.push(enumProto(context, object));
      else if (object instanceof protobuf.Service)
        fileOf(object, ns).service.push(serviceProto(context, object));
      else if (object instanceof protobuf.Field) {
        const file = fileOf(object, ns);
        file.extension.push(fieldProto(context, object, file.syntax ?? 'proto2', []));
      } else if (object instanceof protobuf.Namespace) visit(object);
    }
  };
  visit(loaded.root);
  return [...files.values()].map((proto) => ({ proto, encoder }));
}
