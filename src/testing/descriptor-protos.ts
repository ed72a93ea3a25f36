/**
 * The shapes of `google.protobuf.FileDescriptorProto` and its parts as plain objects, with
 * the field names of descriptor.proto (snake_case), which a protobufjs root parsed with
 * `keepCase` encodes with `fromObject`. Only the parts reflection serves are listed.
 */

/** Options of any kind: plain option fields, and extensions under their full name with a leading dot. */
export type OptionsProto = Record<string, unknown>;

/** A `[start, end)` range of field numbers (`end` exclusive; in enums inclusive, as descriptor.proto says). */
export interface RangeProto {
  start: number;
  end: number;
}

/** `FieldDescriptorProto`: a field or an extension. */
export interface FieldProto {
  name: string;
  number: number;
  label: number;
  type: number;
  type_name?: string;
  extendee?: string;
  default_value?: string;
  oneof_index?: number;
  proto3_optional?: boolean;
  options?: OptionsProto;
}

/** `EnumDescriptorProto`. */
export interface EnumProto {
  name: string;
  value: { name: string; number: number }[];
  reserved_range?: RangeProto[];
  reserved_name?: string[];
  options?: OptionsProto;
}

/** `DescriptorProto`: a message type. */
export interface MessageProto {
  name: string;
  field: FieldProto[];
  extension: FieldProto[];
  nested_type: MessageProto[];
  enum_type: EnumProto[];
  extension_range: RangeProto[];
  oneof_decl: { name: string }[];
  reserved_range: RangeProto[];
  reserved_name: string[];
  options?: OptionsProto;
}

/** `MethodDescriptorProto`. */
export interface MethodProto {
  name: string;
  input_type: string;
  output_type: string;
  client_streaming?: boolean;
  server_streaming?: boolean;
  options?: OptionsProto;
}

/** `ServiceDescriptorProto`. */
export interface ServiceProto {
  name: string;
  method: MethodProto[];
  options?: OptionsProto;
}

/** `FileDescriptorProto`. */
export interface FileProto {
  name: string;
  package?: string;
  dependency: string[];
  message_type: MessageProto[];
  enum_type: EnumProto[];
  service: ServiceProto[];
  extension: FieldProto[];
  /** 'proto2', 'proto3' or 'editions'. */
  syntax?: string;
  /** The `Edition` enum value when `syntax` is 'editions'. */
  edition?: number;
}

/** The largest field number protobuf allows. */
export const MAX_FIELD_NUMBER = 536_870_911;

/** `FieldDescriptorProto.Label` values. */
export const LABEL = { OPTIONAL: 1, REQUIRED: 2, REPEATED: 3 } as const;

/** `FieldDescriptorProto.Type` values of the non-scalar kinds. */
export const TYPE = { GROUP: 10, MESSAGE: 11, ENUM: 14 } as const;

/** `FieldDescriptorProto.Type` values of the scalar types, by protobufjs's type name. */
export const SCALAR_TYPE: Readonly<Record<string, number>> = {
  double: 1,
  float: 2,
  int64: 3,
  uint64: 4,
  int32: 5,
  fixed64: 6,
  fixed32: 7,
  bool: 8,
  string: 9,
  bytes: 12,
  uint32: 13,
  sfixed32: 15,
  sfixed64: 16,
  sint32: 17,
  sint64: 18,
};

/** Whether a repeated field of this type may be packed (scalars other than strings and bytes, and enums). */
export function isPackable(type: number): boolean {
  return (
    type !== SCALAR_TYPE.string && type !== SCALAR_TYPE.bytes && type !== TYPE.MESSAGE && type !== TYPE.GROUP
  );
}

/** protoc's name for the entry message of map field `fieldName`: `string_labels` → `StringLabelsEntry`. */
export function mapEntryName(fieldName: string): string {
  let name = '';
  let capitalize = true;
  for (const c of fieldName) {
    if (c === '_') capitalize = true;
    else {
      name += capitalize ? c.toUpperCase() : c;
      capitalize = false;
    }
  }
  return `${name}Entry`;
}
