/**
 * Anys whose value is held already decoded, or whose decoding already failed, instead of
 * as protobuf bytes. Transports that do not speak protobuf make them: the HTTP/JSON
 * transport for a `@type` the registry lacks or a JSON value that does not convert, and
 * custom operations for the plain values their getters return.
 *
 * A held Any is a `{ type_url, value }` object that carries what reading it gives under
 * the `HELD` symbol key, on the object itself: it flows through snapshots, `sameAny`
 * change detection and the handle unchanged, a spread copy (`{ ...any }`) keeps it, and
 * JSON output never shows it. Its `value` bytes are the value's JSON text (never
 * protobuf), so they change exactly when the value does. A registry's `unpack` reads the
 * outcome first, so reading throws the recorded UnknownTypeError / DecodeError, or returns
 * the held value, whichever registry reads it and whenever. `HELD` is a global symbol
 * (`Symbol.for`), so two copies of the library in one app read each other's held Anys.
 */
import { isObject } from '../base/is-object.js';
import type { Any } from '../wire/types.js';

/** What reading a held Any gives. */
export type HeldOutcome =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: unknown };

/** The key under which a held Any carries its outcome. */
export const HELD: unique symbol = Symbol.for('longrunning.heldAny');

/** An Any whose value is held: decoded already, or failed already. */
export interface HeldAny extends Any {
  /** The decoded value's JSON text (never protobuf bytes). */
  value: Buffer;
  /** What reading this Any gives. */
  readonly [HELD]: HeldOutcome;
}

/** Distinct bytes for values that have no JSON text (cycles, BigInt), so that each counts as changed. */
let opaque = 0;

/** The UTF-8 JSON text of `value`, or unique bytes when it has none. */
function jsonBytes(value: unknown): Buffer {
  try {
    const text = JSON.stringify(value);
    if (text !== undefined) return Buffer.from(text, 'utf8');
  } catch {
    // falls through to opaque bytes
  }
  return Buffer.from(`\u0000opaque:${++opaque}`, 'utf8');
}

/** An Any that reads as `value`. Its bytes are `value`'s JSON text. */
export function holdValue(typeUrl: string, value: unknown): HeldAny {
  return { type_url: typeUrl, value: jsonBytes(value), [HELD]: { ok: true, value } };
}

/**
 * An Any whose reading throws `error` (an UnknownTypeError or DecodeError). `json` is the
 * value as received, kept as its JSON text in the bytes so that nothing is lost.
 */
export function holdFailure(typeUrl: string, json: unknown, error: unknown): HeldAny {
  return { type_url: typeUrl, value: jsonBytes(json), [HELD]: { ok: false, error } };
}

/** What reading `any` gives when it is held, else undefined (decode its bytes as usual). */
export function heldOutcome(any: Any): HeldOutcome | undefined {
  const outcome: unknown = Reflect.get(any, HELD);
  if (!isObject(outcome) || typeof outcome.ok !== 'boolean') return undefined;
  return outcome.ok ? { ok: true, value: outcome.value } : { ok: false, error: outcome.error };
}
