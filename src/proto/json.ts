/**
 * The proto3 JSON mapping of google.longrunning.Operation, ListOperationsResponse and
 * google.rpc.Status, with their `google.protobuf.Any` values (`{ "@type": url, ...fields }`)
 * resolved through a Registry.
 *
 * Messages are converted by protobufjs (`Type.fromObject` / `Type.toObject` with JSON
 * options: camelCase names, 64-bit integers as strings, enums by name, bytes as base64).
 * Two things protobufjs lacks are added around it: it resolves an Any's `@type` only inside
 * the Any's own root (types added to a registry are missed, and an unknown `@type` silently
 * becomes an empty Any), so the Any-valued fields are converted here through the registry,
 * one lookup and one protobufjs conversion per Any; and it does not implement the special
 * JSON forms of the well-known types (Timestamp, Duration, FieldMask, wrappers, Struct),
 * which wkt-json.ts rewrites before and after it.
 *
 * An Any that cannot be converted never fails the message it is in: it becomes a held Any
 * (see held-any.ts) that keeps the JSON and throws UnknownTypeError (type not in the
 * registry, or no `@type`) or DecodeError (the JSON does not convert, e.g. a nested Any of
 * an unknown type) when it is read.
 */
import type { IConversionOptions, Type } from 'protobufjs';
import { isObject } from '../base/is-object.js';
import { DecodeError, UnknownTypeError } from '../wire/errors.js';
import type { Any, ListOperationsPage, RawOperation, RawStatus } from '../wire/types.js';
import { coreRoot, decodeMessage, decodeRaw, encodeMessage } from './builtin.js';
import { heldOutcome, holdFailure } from './held-any.js';
import { type Registry, typeNameOf } from './registry.js';
import { fromProtoObject, isSpecial, toProtoMessage } from './wkt-json.js';

/** An Any in proto3 JSON: the type URL and the fields of the message it holds. */
export interface JsonAny {
  /** The type URL; the message's fields follow in proto3 JSON. */
  readonly '@type': string;
  readonly [field: string]: unknown;
}

/** A google.rpc.Status in proto3 JSON. */
export interface StatusJson {
  /** The gRPC code (absent means 0, OK). */
  readonly code?: number;
  /** The developer-facing message. */
  readonly message?: string;
  /** Error details, each an Any in JSON form. */
  readonly details?: readonly JsonAny[];
}

/** A google.longrunning.Operation in proto3 JSON, as REST APIs return it. */
export interface OperationJson {
  /** The operation's name. */
  readonly name?: string;
  /** Service-specific progress information. */
  readonly metadata?: JsonAny | null;
  /** True once finished (absent means false). */
  readonly done?: boolean;
  /** How it failed, when done with an error. */
  readonly error?: StatusJson | null;
  /** The result, when done and succeeded. */
  readonly response?: JsonAny | null;
}

/** A google.longrunning.ListOperationsResponse in proto3 JSON. */
export interface ListOperationsJson {
  /** The operations of this page. */
  readonly operations?: readonly OperationJson[];
  /** The token of the next page; empty or absent on the last. */
  readonly nextPageToken?: string;
  /** Resources the server could not reach (with `returnPartialSuccess`). */
  readonly unreachable?: readonly string[];
}

/** protobufjs options for proto3 JSON output; default values are left out, as proto3 JSON printers do. */
export const JSON_OPTIONS: IConversionOptions = Object.freeze({
  json: true,
  longs: String,
  enums: String,
  bytes: String,
});

function fullName(type: Type): string {
  return type.fullName.replace(/^\./, '');
}

function builtinType(name: string): Type {
  return coreRoot().lookupType(name);
}

/**
 * Converts a proto3 JSON Any into an Any with protobuf bytes, through `registry`. Never
 * throws: an Any without `@type`, with a type the registry lacks, or whose fields do not
 * convert becomes a held Any that throws UnknownTypeError / DecodeError when read.
 */
export function anyFromJson(json: unknown, registry: Registry): Any & { value: Buffer } {
  const typeUrl = isObject(json) && typeof json['@type'] === 'string' ? json['@type'] : '';
  if (typeUrl === '') {
    return holdFailure('', json, new UnknownTypeError('', 'a JSON Any without "@type" cannot be decoded'));
  }
  let type: Type | undefined;
  try {
    type = registry.lookup(typeNameOf(typeUrl));
  } catch (error) {
    return holdFailure(typeUrl, json, error);
  }
  if (type === undefined) return holdFailure(typeUrl, json, new UnknownTypeError(typeUrl));
  const { '@type': _, ...fields } = json as JsonAny;
  try {
    const body = toProtoMessage(type, isSpecial(fullName(type)) ? fields.value : fields, registry);
    return { type_url: typeUrl, value: encodeMessage(type, body) };
  } catch (cause) {
    return holdFailure(typeUrl, json, new DecodeError(typeUrl, cause));
  }
}

/**
 * Converts an Any into proto3 JSON through `registry`. Throws UnknownTypeError when the
 * type is unknown, DecodeError when its bytes do not decode or its JSON form is not
 * supported. A held Any gives its held value (or throws its error).
 */
export function anyToJson(any: Any, registry: Registry): JsonAny {
  const held = heldOutcome(any);
  if (held !== undefined) {
    if (!held.ok) throw held.error;
    return { ...(isObject(held.value) ? held.value : { value: held.value }), '@type': any.type_url };
  }
  const type = registry.lookup(typeNameOf(any.type_url));
  if (type === undefined) throw new UnknownTypeError(any.type_url);
  let json: unknown;
  try {
    json = fromProtoObject(type, type.toObject(decodeRaw(type, any.value), JSON_OPTIONS), registry);
  } catch (cause) {
    throw UnknownTypeError.is(cause) || DecodeError.is(cause) ? cause : new DecodeError(any.type_url, cause);
  }
  return isSpecial(fullName(type))
    ? { '@type': any.type_url, value: json }
    : { '@type': any.type_url, ...(json as object) };
}

/** Converts a JSON Status (`code`, `message`, `details` as JSON Anys). Undecodable details are held, never dropped. */
export function statusFromJson(json: unknown, registry: Registry): RawStatus {
  const source = isObject(json) ? json : {};
  const { details, ...rest } = source;
  const type = builtinType('google.rpc.Status');
  const status = decodeMessage<RawStatus>(type, encodeMessage(type, rest));
  status.details = (Array.isArray(details) ? details : []).map((d) => anyFromJson(d, registry));
  return status;
}

/**
 * Converts a JSON Operation into the snapshot shape gRPC decodes (defaults filled in, the
 * `result` oneof named). Throws TypeError when `json` is not an object; its Anys never
 * make it throw (see `anyFromJson`).
 */
export function operationFromJson(json: unknown, registry: Registry): RawOperation {
  if (!isObject(json)) throw new TypeError(`expected a JSON Operation object (got ${typeof json})`);
  const { metadata, response, error, ...envelope } = json;
  const type = builtinType('google.longrunning.Operation');
  const raw = decodeMessage<RawOperation>(type, encodeMessage(type, envelope));
  raw.metadata = metadata == null ? null : anyFromJson(metadata, registry);
  // Both `error` and `response`: the later key wins, as the later field does on the wire.
  const keys = Object.keys(json);
  const last = error != null && (response == null || keys.indexOf('error') > keys.indexOf('response'));
  if (last) {
    raw.error = statusFromJson(error, registry);
    raw.result = 'error';
  } else if (response != null) {
    raw.response = anyFromJson(response, registry);
    raw.result = 'response';
  }
  return raw;
}

/**
 * Converts a snapshot into proto3 JSON (defaults left out). Throws what `anyToJson`
 * throws for an Any that cannot be shown as JSON.
 */
export function operationToJson(raw: RawOperation, registry: Registry): OperationJson {
  const type = builtinType('google.longrunning.Operation');
  const envelope: OperationJson = type.toObject(
    type.fromObject({ name: raw.name, ...(raw.done ? { done: true } : {}) }),
    JSON_OPTIONS,
  );
  const error = raw.error;
  return {
    ...envelope,
    ...(raw.metadata == null ? {} : { metadata: anyToJson(raw.metadata, registry) }),
    ...(error == null ? {} : { error: statusToJson(error, registry) }),
    ...(raw.response == null ? {} : { response: anyToJson(raw.response, registry) }),
  };
}

/** Converts a Status into proto3 JSON; throws like `anyToJson` for a detail that cannot be shown. */
export function statusToJson(status: RawStatus, registry: Registry): StatusJson {
  const type = builtinType('google.rpc.Status');
  const envelope: StatusJson = type.toObject(
    type.fromObject({ code: status.code, message: status.message }),
    JSON_OPTIONS,
  );
  const details = (status.details ?? []).map((d) => anyToJson(d, registry));
  return details.length === 0 ? envelope : { ...envelope, details };
}

/** Converts a JSON ListOperationsResponse; throws TypeError when it or one of its operations is not an object. */
export function listResponseFromJson(json: unknown, registry: Registry): ListOperationsPage {
  if (!isObject(json))
    throw new TypeError(`expected a JSON ListOperationsResponse object (got ${typeof json})`);
  const { operations, ...envelope } = json;
  const type = builtinType('google.longrunning.ListOperationsResponse');
  const page = decodeMessage<ListOperationsPage>(type, encodeMessage(type, envelope));
  page.operations = (Array.isArray(operations) ? operations : []).map((o) => operationFromJson(o, registry));
  return page;
}

/** Converts one page into proto3 JSON; throws like `operationToJson`. */
export function listResponseToJson(page: ListOperationsPage, registry: Registry): ListOperationsJson {
  const type = builtinType('google.longrunning.ListOperationsResponse');
  const envelope: ListOperationsJson = type.toObject(
    type.fromObject({
      ...(page.nextPageToken === '' ? {} : { nextPageToken: page.nextPageToken }),
      ...(page.unreachable.length === 0 ? {} : { unreachable: page.unreachable }),
    }),
    JSON_OPTIONS,
  );
  const operations = page.operations.map((o) => operationToJson(o, registry));
  return operations.length === 0 ? envelope : { ...envelope, operations };
}

/** A google.protobuf.Duration in proto3 JSON: seconds with up to 3 decimals and an `s`, e.g. `'1.5s'`. */
export function durationToJson(ms: number): string {
  return `${(Math.max(0, ms) / 1000).toFixed(3).replace(/\.?0+$/, '')}s`;
}

/** Milliseconds of a proto3 JSON Duration (`'1.5s'`, `'-2s'`, `'0.000000001s'`), or undefined when malformed. */
export function durationFromJson(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  const match = /^(-?\d+(?:\.\d{1,9})?)s$/.exec(text);
  return match === null ? undefined : Number(match[1]) * 1000;
}

/**
 * True when `x` is an Operation in proto3 JSON rather than a decoded snapshot: one of its
 * Any-valued fields is an object without a `type_url` (typically with `@type`).
 */
export function isJsonOperation(x: unknown): boolean {
  if (!isObject(x)) return false;
  const isJsonAny = (v: unknown): boolean => isObject(v) && !('type_url' in v);
  const error = x.error;
  const details = isObject(error) && Array.isArray(error.details) ? error.details : [];
  return isJsonAny(x.metadata) || isJsonAny(x.response) || details.some(isJsonAny);
}
