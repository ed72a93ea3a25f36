/**
 * Anys whose value is held already decoded, or whose decoding already failed, instead of
 * as protobuf bytes. Transports that do not speak protobuf make them: the HTTP/JSON
 * transport for a `@type` the registry lacks or a JSON value that does not convert, and
 * custom operations for the plain values their getters return.
 *
 * A held Any is an ordinary `{ type_url, value }` object, so it flows through snapshots,
 * `sameAny` change detection and the handle unchanged; its `value` bytes are the value's
 * JSON text (never protobuf), so they change exactly when the value does. What reading it
 * gives is recorded here, keyed by the object itself: every registry's `unpack` consults
 * this first, so reading throws the recorded UnknownTypeError / DecodeError, or returns
 * the held value, whichever registry reads it and whenever. A copy of the object (`{ ...any }`)
 * is not held.
 */
import type { Any } from './types.js';

/** What reading a held Any gives. */
export type HeldOutcome =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: unknown };

const held = new WeakMap<object, HeldOutcome>();

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
export function holdValue(typeUrl: string, value: unknown): Any & { value: Buffer } {
  const any = { type_url: typeUrl, value: jsonBytes(value) };
  held.set(any, { ok: true, value });
  return any;
}

/**
 * An Any whose reading throws `error` (an UnknownTypeError or DecodeError). `json` is the
 * value as received, kept as its JSON text in the bytes so that nothing is lost.
 */
export function holdFailure(typeUrl: string, json: unknown, error: unknown): Any & { value: Buffer } {
  const any = { type_url: typeUrl, value: jsonBytes(json) };
  held.set(any, { ok: false, error });
  return any;
}

/** What reading `any` gives when it is held, else undefined (decode its bytes as usual). */
export function heldOutcome(any: Any): HeldOutcome | undefined {
  return held.get(any);
}
