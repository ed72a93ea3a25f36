/**
 * The proto3 JSON forms of the well-known types, which protobufjs's `fromObject` /
 * `toObject` do not implement: Timestamp and Duration as strings, FieldMask as a comma
 * list, wrappers as bare values, Struct / Value / ListValue as free JSON, and nested Anys
 * resolved through the registry. `toProtoObject` rewrites proto3 JSON into the object
 * form protobufjs converts; `fromProtoObject` rewrites protobufjs's JSON output back.
 * Both walk the data along the message's fields, so unset fields cost nothing; every
 * other field is left to protobufjs. Malformed values throw TypeError naming the type.
 * (Over ~250 lines: one mapping per well-known type, each short; split apart they would
 * repeat the field walk that they share.)
 */
// Values from the default import, types from named type-only imports: see builtin.ts.
import type { Type } from 'protobufjs';
import protobuf from 'protobufjs/light.js';
import { isObject } from '../base/is-object.js';
import { DecodeError, UnknownTypeError } from '../wire/errors.js';
import { decodeRaw } from './builtin.js';
import type { Registry } from './registry.js';
import { typeNameOf } from './registry.js';

const WRAPPERS = new Set(
  ['Double', 'Float', 'Int64', 'UInt64', 'Int32', 'UInt32', 'Bool', 'String', 'Bytes'].map(
    (w) => `google.protobuf.${w}Value`,
  ),
);

function nameOf(type: Type): string {
  return type.fullName.replace(/^\./, '');
}

function bad(type: string, value: unknown): TypeError {
  return new TypeError(`invalid proto3 JSON for ${type}: ${JSON.stringify(value)?.slice(0, 80)}`);
}

const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;
const DURATION = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/;

/** Nanoseconds from a fraction of up to 9 digits ('5' → 500000000). */
function nanosOf(fraction: string | undefined): number {
  return fraction === undefined ? 0 : Number(fraction.padEnd(9, '0'));
}

/** '.5', '.500123' or '' for `nanos`, in groups of 3 digits as proto3 JSON printers write them. */
function fractionOf(nanos: number): string {
  if (nanos === 0) return '';
  const digits = String(nanos).padStart(9, '0');
  return `.${digits.endsWith('000000') ? digits.slice(0, 3) : digits.endsWith('000') ? digits.slice(0, 6) : digits}`;
}

function parseTimestamp(value: unknown): { seconds: string; nanos: number } {
  const m = typeof value === 'string' ? TIMESTAMP.exec(value) : null;
  if (m === null) throw bad('google.protobuf.Timestamp', value);
  const [, y, mo, d, h, mi, s, fraction, sign, oh, om] = m;
  let seconds = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)) / 1000;
  if (sign !== undefined) seconds -= (sign === '-' ? -1 : 1) * (Number(oh) * 3600 + Number(om) * 60);
  return { seconds: String(seconds), nanos: nanosOf(fraction) };
}

function formatTimestamp(value: Record<string, unknown>): string {
  const seconds = Number(value.seconds ?? 0);
  const nanos = Number(value.nanos ?? 0);
  const iso = new Date(seconds * 1000).toISOString();
  return `${iso.slice(0, 19)}${fractionOf(nanos)}Z`;
}

function parseDuration(value: unknown): { seconds: string; nanos: number } {
  const m = typeof value === 'string' ? DURATION.exec(value) : null;
  if (m === null) throw bad('google.protobuf.Duration', value);
  const sign = m[1] === '-' ? -1 : 1;
  return { seconds: String(sign * Number(m[2])), nanos: sign * nanosOf(m[3]) };
}

function formatDuration(value: Record<string, unknown>): string {
  const seconds = Number(value.seconds ?? 0);
  const nanos = Number(value.nanos ?? 0);
  const negative = seconds < 0 || nanos < 0;
  return `${negative ? '-' : ''}${Math.abs(seconds)}${fractionOf(Math.abs(nanos))}s`;
}

const toSnake = (path: string): string => path.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const toCamel = (path: string): string => path.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** A Value in protobufjs object form from free JSON. */
function valueToObject(json: unknown): Record<string, unknown> {
  if (json === null) return { nullValue: 'NULL_VALUE' };
  if (typeof json === 'number') return { numberValue: json };
  if (typeof json === 'string') return { stringValue: json };
  if (typeof json === 'boolean') return { boolValue: json };
  if (Array.isArray(json)) return { listValue: { values: json.map(valueToObject) } };
  if (isObject(json)) return { structValue: structToObject(json) };
  throw bad('google.protobuf.Value', json);
}

function structToObject(json: unknown): Record<string, unknown> {
  if (!isObject(json)) throw bad('google.protobuf.Struct', json);
  return { fields: Object.fromEntries(Object.entries(json).map(([k, v]) => [k, valueToObject(v)])) };
}

/** Free JSON from a Value in protobufjs JSON output. */
function valueFromObject(object: unknown): unknown {
  if (!isObject(object)) return null;
  if ('numberValue' in object) return object.numberValue;
  if ('stringValue' in object) return object.stringValue;
  if ('boolValue' in object) return object.boolValue;
  if ('structValue' in object) return structFromObject(object.structValue);
  if ('listValue' in object) return listFromObject(object.listValue);
  return null;
}

function structFromObject(object: unknown): Record<string, unknown> {
  const fields = isObject(object) && isObject(object.fields) ? object.fields : {};
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, valueFromObject(v)]));
}

function listFromObject(object: unknown): unknown[] {
  const values = isObject(object) && Array.isArray(object.values) ? object.values : [];
  return values.map(valueFromObject);
}

/** Encodes a JSON Any through the registry into `{ type_url, value }`; an unknown type throws UnknownTypeError. */
function anyToObject(json: unknown, registry: Registry): { type_url: string; value: Uint8Array } {
  if (!isObject(json) || typeof json['@type'] !== 'string') throw bad('google.protobuf.Any', json);
  const typeUrl = json['@type'];
  const type = registry.lookup(typeNameOf(typeUrl));
  if (type === undefined) throw new UnknownTypeError(typeUrl);
  const { '@type': _, ...fields } = json;
  const body = isSpecial(nameOf(type)) ? fields.value : fields;
  return {
    type_url: typeUrl,
    value: type.encode(type.fromObject(toProtoMessage(type, body, registry))).finish(),
  };
}

/**
 * Rewrites an Any of protobufjs's JSON output into proto3 JSON through the registry. protobufjs
 * gives `{ '@type', …fields }` when it resolved the type in its own root (fields not yet
 * rewritten) and `{ type_url, value: base64 }` when it did not.
 */
function anyFromObject(object: unknown, registry: Registry): unknown {
  if (!isObject(object)) return object;
  let typeUrl: string;
  let fields: Record<string, unknown>;
  let type: Type | undefined;
  if (typeof object['@type'] === 'string') {
    const { '@type': url, ...rest } = object;
    typeUrl = url;
    fields = rest;
    type = registry.lookup(typeNameOf(typeUrl));
    if (type === undefined) throw new UnknownTypeError(typeUrl);
  } else if (typeof object.type_url === 'string') {
    typeUrl = object.type_url;
    type = registry.lookup(typeNameOf(typeUrl));
    if (type === undefined) throw new UnknownTypeError(typeUrl);
    try {
      const bytes = Buffer.from(typeof object.value === 'string' ? object.value : '', 'base64');
      fields = type.toObject(decodeRaw(type, bytes), {
        json: true,
        longs: String,
        enums: String,
        bytes: String,
      });
    } catch (cause) {
      throw new DecodeError(typeUrl, cause);
    }
  } else {
    return object;
  }
  const json = fromProtoObject(type, fields, registry);
  return isSpecial(nameOf(type))
    ? { '@type': typeUrl, value: json }
    : { '@type': typeUrl, ...(json as object) };
}

/** True for the types whose JSON form is not an object of their fields. */
export function isSpecial(typeName: string): boolean {
  return (
    WRAPPERS.has(typeName) ||
    typeName === 'google.protobuf.Timestamp' ||
    typeName === 'google.protobuf.Duration' ||
    typeName === 'google.protobuf.FieldMask' ||
    typeName === 'google.protobuf.Struct' ||
    typeName === 'google.protobuf.Value' ||
    typeName === 'google.protobuf.ListValue'
  );
}

/** Rewrites proto3 JSON of `type` into the object form `type.fromObject` accepts. */
export function toProtoObject(type: Type, json: unknown, registry: Registry): unknown {
  const name = nameOf(type);
  if (WRAPPERS.has(name)) return { value: json };
  switch (name) {
    case 'google.protobuf.Timestamp':
      return parseTimestamp(json);
    case 'google.protobuf.Duration':
      return parseDuration(json);
    case 'google.protobuf.FieldMask':
      if (typeof json !== 'string') throw bad(name, json);
      return { paths: json === '' ? [] : json.split(',').map(toSnake) };
    case 'google.protobuf.Struct':
      return structToObject(json);
    case 'google.protobuf.Value':
      return valueToObject(json);
    case 'google.protobuf.ListValue':
      if (!Array.isArray(json)) throw bad(name, json);
      return { values: json.map(valueToObject) };
    case 'google.protobuf.Any':
      return anyToObject(json, registry);
  }
  if (!isObject(json)) return json;
  let out: Record<string, unknown> | undefined;
  for (const field of type.fieldsArray) {
    const child = field.resolve().resolvedType;
    const value = json[field.name];
    if (!(child instanceof protobuf.Type) || value === undefined || value === null) continue;
    const convert = (v: unknown): unknown => toProtoObject(child, v, registry);
    out ??= { ...json };
    if (field.map && isObject(value)) {
      out[field.name] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, convert(v)]));
    } else if (field.repeated && Array.isArray(value)) {
      out[field.name] = value.map(convert);
    } else {
      out[field.name] = convert(value);
    }
  }
  return out ?? json;
}

/** Like `toProtoObject` for a whole message: throws TypeError when the result is not an object. */
export function toProtoMessage(type: Type, json: unknown, registry: Registry): Record<string, unknown> {
  const object = toProtoObject(type, json, registry);
  if (!isObject(object)) throw bad(nameOf(type), json);
  return object;
}

/** Rewrites protobufjs's JSON output (`toObject` with `json: true`) of `type` into proto3 JSON. */
export function fromProtoObject(type: Type, object: unknown, registry: Registry): unknown {
  const name = nameOf(type);
  if (WRAPPERS.has(name)) return isObject(object) ? object.value : object;
  switch (name) {
    case 'google.protobuf.Timestamp':
      return isObject(object) ? formatTimestamp(object) : object;
    case 'google.protobuf.Duration':
      return isObject(object) ? formatDuration(object) : object;
    case 'google.protobuf.FieldMask':
      return isObject(object) && Array.isArray(object.paths)
        ? object.paths.map(String).map(toCamel).join(',')
        : '';
    case 'google.protobuf.Struct':
      return structFromObject(object);
    case 'google.protobuf.Value':
      return valueFromObject(object);
    case 'google.protobuf.ListValue':
      return listFromObject(object);
    case 'google.protobuf.Any':
      return anyFromObject(object, registry);
  }
  if (!isObject(object)) return object;
  for (const field of type.fieldsArray) {
    const child = field.resolve().resolvedType;
    const value = object[field.name];
    if (!(child instanceof protobuf.Type) || value === undefined || value === null) continue;
    const convert = (v: unknown): unknown => fromProtoObject(child, v, registry);
    if (field.map && isObject(value)) {
      object[field.name] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, convert(v)]));
    } else if (field.repeated && Array.isArray(value)) {
      object[field.name] = value.map(convert);
    } else {
      object[field.name] = convert(value);
    }
  }
  return object;
}
