/**
 * Names for the generated wire types the library passes around, so hand-written code
 * and users need not reach into `src/generated/`.
 */
import type { ListOperationsResponse__Output } from '../generated/google/longrunning/ListOperationsResponse.js';
import type { Operation__Output } from '../generated/google/longrunning/Operation.js';
import type { Any as GeneratedAny } from '../generated/google/protobuf/Any.js';
import type { Status__Output } from '../generated/google/rpc/Status.js';

/** A `google.longrunning.Operation` as decoded off the wire (camelCase, defaults filled in). */
export type RawOperation = Operation__Output;

/** A `google.longrunning.ListOperationsResponse` as decoded off the wire. */
export type RawListResponse = ListOperationsResponse__Output;

/** A `google.rpc.Status` as decoded off the wire. */
export type RawStatus = Status__Output;

/**
 * A `google.protobuf.Any`: a type URL and the encoded bytes. `type_url` keeps its snake
 * case (protobufjs treats Any specially).
 */
export interface Any {
  /** `type.googleapis.com/<full.type.Name>` (any prefix is accepted; the type name follows the last `/`). */
  type_url: string;
  /** The message encoded in protobuf binary. */
  value: Uint8Array;
}

/** Input accepted where an Any is expected: what the generated input type allows. */
export type AnyInput = GeneratedAny;

/** One page of ListOperations. */
export interface ListOperationsPage {
  /** The operations of this page. */
  operations: RawOperation[];
  /** The token of the next page; empty on the last. */
  nextPageToken: string;
  /** Resources the server could not reach (with `returnPartialSuccess`). */
  unreachable: string[];
}
