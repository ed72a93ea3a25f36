/**
 * Every shape an operation snapshot comes in, and its conversion to the one the handle
 * keeps (`RawOperation`, proto-loader's decoded form): grpc-js/proto-loader snapshots,
 * protobufjs `IOperation` messages (optional and nullable fields, defaults on the
 * prototype, Long/number/string integers), google-gax `Operation` objects (their
 * `latestResponse`) and GAPIC method results (`[operation, …]`). proto3 JSON is converted
 * by proto/json.ts; this file only tells it apart.
 */
import { describeValue } from '../base/describe-value.js';
import { isObject } from '../base/is-object.js';
import { checkName } from '../base/validate.js';
import { isJsonOperation, type OperationJson, operationFromJson } from '../proto/json.js';
import type { Registry } from '../proto/registry.js';
import type { RawOperation, RawStatus } from '../wire/types.js';
import type { Operation } from './operation.js';

/** An integer as protobufjs may give it: a number, a decimal string, or a `Long` (`{ low, high, unsigned }`). */
export type IntegerLike = number | string | { low: number; high: number; unsigned?: boolean };

/** A `google.protobuf.Any` as any decoder gives it (protobufjs `IAny`, proto-loader `Any`). */
export interface AnyLike {
  type_url?: string | null;
  value?: Uint8Array | string | null;
}

/** A `google.rpc.Status` as any decoder gives it (protobufjs `IStatus`). */
export interface StatusLike {
  code?: IntegerLike | null;
  message?: string | null;
  details?: readonly AnyLike[] | null;
}

/** A decoded `google.longrunning.Operation` (protobufjs `IOperation`, proto-loader, RawOperation). */
export interface OperationLike {
  name?: string | null;
  done?: boolean | null;
  metadata?: AnyLike | null;
  error?: StatusLike | null;
  response?: AnyLike | null;
}

/** A google-gax `Operation` (what a GAPIC LRO method resolves with): its raw snapshot is `latestResponse`. */
export interface GaxOperationLike {
  latestResponse: OperationLike;
}

/**
 * What `client.operation(from)` accepts: a name, a decoded snapshot of any decoder, proto3
 * JSON, a google-gax Operation, or another handle (its snapshot, e.g. to declare types on
 * a handle `getOperation` or `listOperations` returned).
 */
export type OperationInput = string | OperationLike | OperationJson | GaxOperationLike | Operation;

function toNumber(x: IntegerLike | null | undefined): number {
  if (x === null || x === undefined) return 0;
  if (typeof x === 'object') return (x.unsigned === true ? x.high >>> 0 : x.high) * 2 ** 32 + (x.low >>> 0);
  return Number(x);
}

/** The decoded Any of a snapshot (value a Buffer). */
type RawAny = NonNullable<RawOperation['metadata']>;

function toAny(any: AnyLike | null | undefined, what: string): RawAny | null {
  if (any === null || any === undefined) return null;
  if (typeof any.type_url !== 'string' || any.type_url === '') {
    throw new TypeError(`${what} is an Any without a type_url`);
  }
  const v = any.value;
  const value =
    v === null || v === undefined
      ? Buffer.alloc(0)
      : typeof v === 'string'
        ? Buffer.from(v, 'base64')
        : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return { type_url: any.type_url, value };
}

function toStatus(status: StatusLike | null | undefined): RawStatus | null {
  if (status === null || status === undefined) return null;
  return {
    code: toNumber(status.code),
    message: status.message ?? '',
    details: (status.details ?? []).flatMap((d, i) => toAny(d, `error.details[${i}]`) ?? []),
  };
}

/**
 * The snapshot inside a GAPIC method's result: `[operation, …]` (google-gax resolves a
 * tuple), a gax `Operation` (its `latestResponse`), or the value itself.
 */
export function unwrapGapicResult(x: unknown): unknown {
  const first = Array.isArray(x) ? x[0] : x;
  if (isObject(first) && 'latestResponse' in first && isObject(first.latestResponse)) {
    return first.latestResponse;
  }
  return first;
}

/**
 * The RawOperation of `from`. A name is a snapshot with nothing known (not done). Throws
 * TypeError saying what `from` is when it is none of the accepted shapes or has an empty
 * name; proto3 JSON needs `registry` (its Anys are converted through it).
 */
export function toRawOperation(from: unknown, registry?: Registry): RawOperation {
  if (typeof from === 'string') {
    return { name: checkName(from), done: false, metadata: null, error: null, response: null };
  }
  const snapshot = unwrapGapicResult(from);
  if (!isObject(snapshot)) {
    throw new TypeError(
      `operation(from): expected an operation name or an Operation snapshot, got ${describeValue(from)}`,
    );
  }
  if (registry !== undefined && isJsonOperation(snapshot)) {
    const raw = operationFromJson(snapshot as OperationJson, registry);
    checkName(raw.name, 'operation name');
    return raw;
  }
  const op = snapshot as OperationLike;
  const name = checkName(op.name, 'operation name');
  const error = toStatus(op.error);
  const response = toAny(op.response, 'response');
  return {
    name,
    done: op.done === true,
    metadata: toAny(op.metadata, 'metadata'),
    error,
    response,
    ...(error !== null
      ? { result: 'error' as const }
      : response !== null
        ? { result: 'response' as const }
        : {}),
  };
}
