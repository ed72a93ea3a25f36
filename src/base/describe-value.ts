/**
 * Describing a value in an error message by its shape only ("an object with fields a, b"),
 * never its contents, which may hold secrets. Used wherever a caller passed something of
 * the wrong kind.
 */

/** Short description of a value for error messages (never its contents, which may hold secrets). */
export function describeValue(x: unknown): string {
  if (x === null || x === undefined) return String(x);
  if (Array.isArray(x)) return `an array of ${x.length}`;
  if (typeof x === 'object') {
    const keys = Object.keys(x).slice(0, 6);
    return keys.length === 0 ? 'an object with no fields' : `an object with fields ${keys.join(', ')}`;
  }
  if (typeof x === 'function') return 'a function';
  return `a ${typeof x}`;
}
