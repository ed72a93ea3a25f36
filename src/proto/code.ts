/**
 * gRPC / google.rpc status codes. Codes are numbers everywhere in the library
 * (`grpc.status.NOT_FOUND` is 5); names are for messages and display.
 */

/** The canonical codes, by name. */
export const Code = Object.freeze({
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
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
