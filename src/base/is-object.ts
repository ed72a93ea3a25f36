/**
 * The one check for "a JSON object": what proto3 JSON calls an object, i.e. a
 * non-null object that is not an array. The JSON mapping and the well-known-type forms
 * use it to tell messages from scalars and lists.
 */

/** True when `x` is a non-null object other than an array (a JSON object, a plain record). */
export function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
