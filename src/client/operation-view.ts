/**
 * Reading a snapshot the one way every part of the handle does: which member of the
 * `result` oneof it carries, and the JSON-friendly view `Operation.toJSON()` returns.
 */
import type { OperationError } from '../wire/errors.js';
import type { Any, RawOperation } from '../wire/types.js';

/**
 * Which member of the `result` oneof a snapshot carries. A decoded snapshot says it in
 * `result` (the member that came last on the wire, see `decodeMessage`; in JSON, the later
 * key); a snapshot made by hand without `result` counts as failed when it has an error.
 */
export function resultOf(raw: RawOperation): 'error' | 'response' | undefined {
  if (raw.result === 'error' || raw.result === 'response') return raw.result;
  if (raw.error != null) return 'error';
  return raw.response == null ? undefined : 'response';
}

/** What `Operation.toJSON()` returns. */
export interface OperationJsonView {
  /** The operation's name. */
  name: string;
  /** Whether the operation is done. */
  done: boolean;
  /** The unpacked metadata, or `{ '@type', '@error' }` when it cannot be unpacked; absent without metadata. */
  metadata?: unknown;
  /** The unpacked response when done and succeeded (or `{ '@type', '@error' }`); absent otherwise. */
  response?: unknown;
  /** `{ code, codeName, message, details }` when done and failed; absent otherwise. */
  error?: unknown;
}

/** The parts of a handle its JSON view reads; each getter may throw (the view never does). */
interface Viewed {
  readonly name: string;
  readonly done: boolean;
  readonly raw: RawOperation;
  readonly metadata: unknown;
  readonly response: unknown;
  readonly error: OperationError | undefined;
}

/**
 * The JSON view of `op`; `succeeded` says the snapshot's result is its response. Values
 * that cannot be unpacked appear as `{ '@type', '@error' }`; never throws.
 */
export function jsonView(op: Viewed, succeeded: boolean): OperationJsonView {
  const view = (any: Any | null | undefined, read: () => unknown): unknown => {
    if (any == null) return undefined;
    try {
      return read();
    } catch (e) {
      return { '@type': any.type_url, '@error': e instanceof Error ? e.message : String(e) };
    }
  };
  const { raw } = op;
  const error = op.error;
  return {
    name: op.name,
    done: op.done,
    ...(raw.metadata == null ? {} : { metadata: view(raw.metadata, () => op.metadata) }),
    ...(op.done && raw.response != null && succeeded
      ? { response: view(raw.response, () => op.response) }
      : {}),
    ...(error === undefined
      ? {}
      : {
          error: {
            code: error.code,
            codeName: error.codeName,
            message: error.rawMessage,
            details: error.details.map((d) =>
              d.value === undefined
                ? { typeName: d.typeName, bytes: Buffer.from(d.bytes ?? []).toString('base64') }
                : { typeName: d.typeName, value: d.value },
            ),
          },
        }),
  };
}
