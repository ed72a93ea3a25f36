/**
 * Argument checks shared by the public API. Each throws before any RPC, with a message
 * naming the argument and the value.
 */

/** Describes a bad value for an error message without dumping large objects. */
function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) {
    return String(value);
  }
  return typeof value;
}

/** A non-empty string, else TypeError naming `what`. */
export function checkName(value: unknown, what = 'name'): string {
  if (typeof value !== 'string' || value === '') {
    throw new TypeError(`${what} must be a non-empty string (got ${show(value)})`);
  }
  return value;
}

/** A finite number ≥ `min` (or undefined when allowed), else TypeError / RangeError naming `what`. */
export function checkMs(value: unknown, what: string, min = 0): number {
  if (typeof value !== 'number')
    throw new TypeError(`${what} must be a number of milliseconds (got ${show(value)})`);
  if (!Number.isFinite(value) || value < min) {
    throw new RangeError(`${what} must be a finite number >= ${min} (got ${show(value)})`);
  }
  return value;
}

/** Like checkMs, passing undefined through. */
export function checkOptionalMs(value: unknown, what: string, min = 0): number | undefined {
  return value === undefined ? undefined : checkMs(value, what, min);
}
