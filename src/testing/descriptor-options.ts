/**
 * Options of a .proto element (a field, message, method, ...) as a FileDescriptorProto
 * carries them: standard options by name, and custom options (`google.api.http`,
 * `google.longrunning.operation_info`, `google.api.field_behavior`) as extensions of the
 * options message, so a reflection client sees an LRO method's types and HTTP rule.
 */
import type { Field, Namespace, Type } from 'protobufjs';
import protobuf from 'protobufjs/light.js';
import { isObject } from '../base/is-object.js';
import type { OptionsProto } from './descriptor-protos.js';

/** One option statement as protobufjs parsed it: `{ 'deprecated': true }`, `{ '(google.api.http)': { get: '…' } }`. */
export type ParsedOption = Readonly<Record<string, unknown>>;

/** The field of `optionsType` an option name sets, and the path below it (`(google.api.http).get` → ['get']). */
function target(
  name: string,
  optionsType: Type,
  scope: Namespace,
): { field: Field; path: string[] } | undefined {
  const extension = /^\(([^)]+)\)(?:\.(.+))?$/.exec(name);
  if (extension === null) {
    const [first = '', ...path] = name.split('.');
    const field = optionsType.fields[first];
    return field === undefined ? undefined : { field, path };
  }
  const declared = scope.lookup(extension[1] ?? '', [protobuf.Field]);
  if (!(declared instanceof protobuf.Field) || declared.extend === undefined) return undefined;
  // An extension's field in the extended message is named by its full name ('.google.api.http').
  const field = optionsType.fields[declared.fullName];
  return field === undefined ? undefined : { field, path: extension[2]?.split('.') ?? [] };
}

/** `value` in the shape `fromObject` of `field` takes: unknown keys left out, repeated fields as arrays. */
function convert(value: unknown, field: Field): unknown {
  const type = field.resolvedType;
  if (!(type instanceof protobuf.Type)) return value;
  const one = (v: unknown): unknown => {
    if (!isObject(v)) return v;
    const message: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(v)) {
      const innerField = type.fields[key];
      if (innerField === undefined) continue;
      const converted = convert(inner, innerField);
      message[key] = innerField.repeated && !Array.isArray(converted) ? [converted] : converted;
    }
    return message;
  };
  return Array.isArray(value) ? value.map(one) : one(value);
}

/** `b` merged into `a`: objects key by key, arrays concatenated, anything else replaced. */
function merge(a: unknown, b: unknown): unknown {
  if (Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
  if (!isObject(a) || !isObject(b)) return b;
  const merged: Record<string, unknown> = { ...a };
  for (const [key, value] of Object.entries(b)) merged[key] = merge(merged[key], value);
  return merged;
}

/**
 * `options` as `optionsType` (e.g. `google.protobuf.MethodOptions`) takes them in
 * `fromObject`: plain options under their field's name, custom options under the name
 * of their extension field ('.google.api.http'), the extension name resolved from
 * `scope` as protobuf resolves names. A repeated option set by several statements
 * collects into one array; a message option set by several statements merges. Options
 * that `optionsType` has no field for (an extension of a file its root lacks), and those
 * `keep` refuses (by field name), are left out. Undefined when nothing is left.
 */
export function optionsProto(
  options: readonly ParsedOption[],
  optionsType: Type | undefined,
  scope: Namespace,
  keep: (fieldName: string) => boolean = () => true,
): OptionsProto | undefined {
  if (optionsType === undefined) return undefined;
  const result: OptionsProto = {};
  for (const option of options) {
    for (const [name, raw] of Object.entries(option)) {
      const found = target(name, optionsType, scope);
      if (found === undefined || !keep(found.field.name)) continue;
      const nested = found.path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), raw);
      const value = convert(nested, found.field);
      const key = found.field.name;
      result[key] = found.field.repeated
        ? [...(Array.isArray(result[key]) ? result[key] : []), ...(Array.isArray(value) ? value : [value])]
        : merge(result[key], value);
    }
  }
  return Object.keys(result).length === 0 ? undefined : result;
}
