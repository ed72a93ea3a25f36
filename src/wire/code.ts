/**
 * gRPC / google.rpc status codes. Codes are numbers everywhere in the library
 * (`grpc.status.NOT_FOUND` is 5); names are for messages and display.
 */

/** The canonical codes, by name. */
export const Code = Object.freeze({
  /** Not an error. */
  OK: 0,
  /** The operation was cancelled, typically by the caller. */
  CANCELLED: 1,
  /** An unknown error. */
  UNKNOWN: 2,
  /** The client gave an invalid argument. */
  INVALID_ARGUMENT: 3,
  /** The deadline passed before the call completed. */
  DEADLINE_EXCEEDED: 4,
  /** A requested entity was not found. */
  NOT_FOUND: 5,
  /** The entity a client tried to create already exists. */
  ALREADY_EXISTS: 6,
  /** The caller may not do this. */
  PERMISSION_DENIED: 7,
  /** A quota or resource ran out; retried when the error carries `google.rpc.RetryInfo`. */
  RESOURCE_EXHAUSTED: 8,
  /** The system is not in the state the operation requires. */
  FAILED_PRECONDITION: 9,
  /** Aborted, typically by a concurrency conflict. */
  ABORTED: 10,
  /** Past the valid range. */
  OUT_OF_RANGE: 11,
  /** Not implemented or supported (e.g. a server without WaitOperation). */
  UNIMPLEMENTED: 12,
  /** An internal error of the server. */
  INTERNAL: 13,
  /** The service is unavailable for now; retried. */
  UNAVAILABLE: 14,
  /** Unrecoverable data loss or corruption. */
  DATA_LOSS: 15,
  /** The request lacks valid credentials. */
  UNAUTHENTICATED: 16,
} as const);

/** A canonical code name such as `'NOT_FOUND'`. */
export type CodeName = keyof typeof Code;

const NAMES: readonly string[] = Object.keys(Code);

/**
 * The name of a code: `codeName(5)` is `'NOT_FOUND'`. A number outside the canonical set
 * gives `'CODE_<n>'` rather than throwing, since servers may send any integer.
 */
export function codeName(code: number): string {
  return NAMES[code] ?? `CODE_${code}`;
}

/**
 * The gRPC code for an HTTP status, by the standard mapping of google.rpc.Code:
 * 200→0, 400→3, 401→16, 403→7, 404→5, 409→10, 429→8, 499→1, 500→13, 501→12, 503→14,
 * 504→4; any other status gives UNKNOWN (2).
 */
export function codeFromHttpStatus(status: number): number {
  switch (status) {
    case 200:
      return Code.OK;
    case 400:
      return Code.INVALID_ARGUMENT;
    case 401:
      return Code.UNAUTHENTICATED;
    case 403:
      return Code.PERMISSION_DENIED;
    case 404:
      return Code.NOT_FOUND;
    case 409:
      return Code.ABORTED;
    case 429:
      return Code.RESOURCE_EXHAUSTED;
    case 499:
      return Code.CANCELLED;
    case 500:
      return Code.INTERNAL;
    case 501:
      return Code.UNIMPLEMENTED;
    case 503:
      return Code.UNAVAILABLE;
    case 504:
      return Code.DEADLINE_EXCEEDED;
    default:
      return Code.UNKNOWN;
  }
}
