/**
 * The library's one error family. Every class extends `LongrunningError`, keeps codes as
 * numbers and error details decoded (never dropped), and has a `static is()` guard that
 * works across duplicate copies of the package (it checks a branded symbol, not the
 * prototype chain).
 * (Over ~250 lines: the whole error family in one file, as DESIGN's table lists it, so the
 * shared brand and detail decoding are written once.)
 */
import type * as grpc from '@grpc/grpc-js';
import { codeName } from './code.js';
import type { Any, RawOperation, RawStatus } from './types.js';

const KINDS = Symbol.for('longrunning.error.kinds');

/** A decoded `google.rpc.Status` detail. When it could not be decoded, `value` is undefined and `bytes` holds it. */
export interface ErrorDetail {
  /** The fully-qualified message name from the detail's type URL. */
  readonly typeName: string;
  /** The decoded message, or undefined when its type is unknown or its bytes are corrupt. */
  readonly value: unknown;
  /** The raw bytes, present only when `value` is undefined. */
  readonly bytes?: Uint8Array;
}

/** What decoding details needs from a registry. */
export interface DetailDecoder {
  unpack(any: Any): unknown;
}

/**
 * Decodes each Any through `registry`. A detail that cannot be decoded is kept as
 * `{ typeName, value: undefined, bytes }`; this never throws.
 */
export function decodeDetails(details: readonly Any[] | undefined, registry: DetailDecoder): ErrorDetail[] {
  return (details ?? []).map((any) => {
    const typeName = any.type_url.slice(any.type_url.lastIndexOf('/') + 1);
    try {
      return { typeName, value: registry.unpack(any) };
    } catch {
      return { typeName, value: undefined, bytes: any.value };
    }
  });
}

/** The base of every error the library throws. */
export class LongrunningError extends Error {
  /** The brand `is()` checks; subclasses set their own. */
  static readonly kind: string = 'LongrunningError';

  /** @internal The kinds `is()` matches: this class's and its ancestors'. */
  declare readonly [KINDS]: readonly string[];

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    const kinds: string[] = [];
    for (let c: unknown = new.target; typeof c === 'function' && 'kind' in c; c = Object.getPrototypeOf(c)) {
      if (typeof c.kind === 'string' && !kinds.includes(c.kind)) kinds.push(c.kind);
    }
    Object.defineProperty(this, KINDS, { value: Object.freeze(kinds) });
    this.name = new.target.kind;
  }

  /** True when `x` is an instance of this class from any copy of the package. */
  static is<C extends abstract new (...args: never[]) => LongrunningError>(
    this: C & { kind: string },
    x: unknown,
  ): x is InstanceType<C> {
    if (typeof x !== 'object' || x === null || !(KINDS in x)) return false;
    const kinds = (x as { [KINDS]: unknown })[KINDS];
    // biome-ignore lint/complexity/noThisInStatic: `this` is the subclass `is` was called on.
    return Array.isArray(kinds) && kinds.includes(this.kind);
  }
}

/** Formats `CODE_NAME: message`, the start of every coded error message. */
function coded(code: number, message: string): string {
  return message === '' ? codeName(code) : `${codeName(code)}: ${message}`;
}

/** Returns the values of the details whose type is `typeName`, decoded. */
/** The delay of the first `google.rpc.RetryInfo` detail in ms, or undefined when there is none or it is malformed. */
function retryInfoDelayMs(details: readonly ErrorDetail[]): number | undefined {
  const info = find<{ retryDelay?: { seconds?: string | number; nanos?: number } | null }>(
    details,
    'google.rpc.RetryInfo',
  )[0];
  const delay = info?.retryDelay;
  if (delay === undefined || delay === null) return undefined;
  const ms = Number(delay.seconds ?? 0) * 1000 + (delay.nanos ?? 0) / 1e6;
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

function find<T>(details: readonly ErrorDetail[], typeName: string): T[] {
  return details.filter((d) => d.typeName === typeName && d.value !== undefined).map((d) => d.value as T);
}

/** The operation finished with an `error` (a google.rpc.Status with a non-zero code). */
export class OperationError extends LongrunningError {
  static override readonly kind = 'OperationError';
  /** The status code, a number (`5` for NOT_FOUND). */
  readonly code: number;
  /** The status message as the server sent it. */
  readonly rawMessage: string;
  /** Every status detail, decoded where possible, in order. */
  readonly details: readonly ErrorDetail[];
  /** The final snapshot of the operation. */
  readonly operation: RawOperation;

  constructor(code: number, rawMessage: string, details: readonly ErrorDetail[], operation: RawOperation) {
    super(coded(code, rawMessage));
    this.code = code;
    this.rawMessage = rawMessage;
    this.details = details;
    this.operation = operation;
  }

  /** The canonical name of `code`, e.g. `'NOT_FOUND'`. */
  get codeName(): string {
    return codeName(this.code);
  }

  /** The decoded details of type `typeName` (e.g. `'google.rpc.ErrorInfo'`). */
  findDetails<T = unknown>(typeName: string): T[] {
    return find<T>(this.details, typeName);
  }

  /** Builds the error of a done operation from its `error` status, decoding details through `registry`. */
  static fromStatus(status: RawStatus, registry: DetailDecoder, operation: RawOperation): OperationError {
    return new OperationError(
      status.code,
      status.message,
      decodeDetails(status.details, registry),
      operation,
    );
  }
}

/** A failed call's error as any grpc-js copy (or google-gax, whose GoogleError has these fields) gives it. */
export interface ServiceErrorLike {
  readonly code: number;
  readonly message: string;
  readonly details?: string | undefined;
  readonly metadata?: { get(key: string): unknown[] } | undefined;
}

/**
 * True for a ServiceErrorLike: an Error with a numeric `code` and a string `details` or a
 * `metadata` object (a DOMException's legacy numeric `code` alone does not count).
 */
export function isServiceErrorLike(x: unknown): x is ServiceErrorLike {
  return (
    x instanceof Error &&
    'code' in x &&
    typeof x.code === 'number' &&
    (('details' in x && typeof x.details === 'string') ||
      ('metadata' in x && typeof x.metadata === 'object' && x.metadata !== null))
  );
}

/** An Operations RPC failed (after its retries). */
export class RpcError extends LongrunningError {
  static override readonly kind = 'RpcError';
  /** The gRPC status code. */
  readonly code: number;
  /** The status message as the server (or grpc-js) gave it. */
  readonly rawMessage: string;
  /** The details of the `grpc-status-details-bin` trailer, decoded where possible. */
  readonly details: readonly ErrorDetail[];
  /** The RPC that failed, e.g. `'GetOperation'` (a bound function's `bound ` prefix is dropped). */
  readonly method: string;

  /** A likely cause the library can tell and the server could not (e.g. plaintext against TLS), or undefined. */
  readonly hint: string | undefined;

  /**
   * How long the server asked the client to wait before trying again, in ms: an HTTP
   * `Retry-After` (given by the REST transport) or else the details' `google.rpc.RetryInfo`;
   * undefined when the server asked for no delay.
   */
  readonly retryDelayMs: number | undefined;

  constructor(
    code: number,
    rawMessage: string,
    details: readonly ErrorDetail[],
    method: string,
    cause?: unknown,
    hint?: string,
    retryDelayMs?: number,
  ) {
    const rpc = method.replace(/^bound /, '');
    super(
      `${coded(code, rawMessage)} (${rpc})${hint === undefined ? '' : `; ${hint}`}`,
      cause === undefined ? undefined : { cause },
    );
    this.hint = hint;
    this.code = code;
    this.rawMessage = rawMessage;
    this.details = details;
    this.method = rpc;
    this.retryDelayMs = retryDelayMs ?? retryInfoDelayMs(details);
  }

  /** The canonical name of `code`. */
  get codeName(): string {
    return codeName(this.code);
  }

  /** The decoded details of type `typeName`. */
  findDetails<T = unknown>(typeName: string): T[] {
    return find<T>(this.details, typeName);
  }

  /**
   * Builds the error of a failed grpc-js call. `decodeStatus` turns the
   * `grpc-status-details-bin` trailer into a Status; a trailer that does not decode
   * leaves `details` empty rather than hiding the call's own error.
   */
  static fromServiceError(
    err: grpc.ServiceError | ServiceErrorLike,
    registry: DetailDecoder & { decodeStatus(bytes: Uint8Array): RawStatus },
    method: string,
  ): RpcError {
    let details: ErrorDetail[] = [];
    const trailer = err.metadata?.get('grpc-status-details-bin')[0];
    if (trailer instanceof Uint8Array) {
      try {
        details = decodeDetails(registry.decodeStatus(trailer).details, registry);
      } catch {
        details = [{ typeName: 'google.rpc.Status', value: undefined, bytes: trailer }];
      }
    }
    return new RpcError(err.code, err.details ?? err.message, details, method, err);
  }
}

/**
 * `wait()` reached its `timeoutMs` before the operation was done. The server operation goes
 * on. When the last poll failed, `cause` is its RpcError.
 */
export class TimeoutError extends LongrunningError {
  static override readonly kind = 'TimeoutError';
  /** The name of the operation waited on. */
  readonly operationName: string;
  /** How long the wait took, in ms of its clock. */
  readonly elapsedMs: number;
  /** How many polls (GetOperation or WaitOperation calls) were made. */
  readonly polls: number;
  /** The latest snapshot received, or undefined when no poll succeeded. */
  readonly lastSnapshot: RawOperation | undefined;

  constructor(
    operationName: string,
    timeoutMs: number,
    elapsedMs: number,
    polls: number,
    last?: RawOperation,
    cause?: unknown,
  ) {
    super(
      `operation ${operationName} not done after timeoutMs ${timeoutMs} ` +
        `(${polls} poll${polls === 1 ? '' : 's'}, ${last === undefined ? 'no snapshot received' : 'last snapshot not done'}` +
        `${cause === undefined ? '' : `; last poll failed: ${cause instanceof Error ? cause.message : String(cause)}`})`,
      cause === undefined ? undefined : { cause },
    );
    this.operationName = operationName;
    this.elapsedMs = elapsedMs;
    this.polls = polls;
    this.lastSnapshot = last;
  }
}

/**
 * An Any's type is not in the registry, its type URL is malformed, or (with
 * `expectedType`) it is not the type the operation declared.
 */
export class UnknownTypeError extends LongrunningError {
  static override readonly kind = 'UnknownTypeError';
  /** The type URL of the Any that could not be unpacked. */
  readonly typeUrl: string;
  /** The declared type the Any did not match, when that is the problem. */
  readonly expectedType: string | undefined;

  constructor(typeUrl: string, message?: string, expectedType?: string) {
    super(message ?? `unknown type: ${JSON.stringify(typeUrl)} is not in the registry`);
    this.typeUrl = typeUrl;
    this.expectedType = expectedType;
  }
}

/** An Any's bytes do not decode as its type. */
export class DecodeError extends LongrunningError {
  static override readonly kind = 'DecodeError';
  /** The type URL of the Any whose bytes did not decode. */
  readonly typeUrl: string;

  constructor(typeUrl: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`cannot decode ${JSON.stringify(typeUrl)}: ${reason}`, { cause });
    this.typeUrl = typeUrl;
  }
}

/** A done operation has neither `response` nor `error`, or an `error` whose code is 0 (OK). */
export class OperationStateError extends LongrunningError {
  static override readonly kind = 'OperationStateError';
  /** The done snapshot in that state. */
  readonly operation: RawOperation;

  constructor(operation: RawOperation, problem: string) {
    super(`operation ${operation.name}: ${problem}`);
    this.operation = operation;
  }
}
