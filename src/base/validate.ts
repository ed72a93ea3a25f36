/**
 * Argument checks shared by every layer: names, times, counts, signals, retry policies.
 * Each throws before any RPC, with a message naming the argument and the value. (The
 * checks of whole call options, which know request headers, are in
 * transport/call-options.ts.)
 */

/** Describes a bad value for an error message without dumping large objects. */
export function show(value: unknown): string {
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

/** A whole number ≥ `min` (a count, a size), else TypeError / RangeError naming `what`. */
export function checkCount(value: unknown, what: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number') throw new TypeError(`${what} must be a whole number (got ${show(value)})`);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${what} must be a whole number from ${min} to ${max} (got ${show(value)})`);
  }
  return value;
}

/** The largest `pageSize` (proto `int32`): 2^31 - 1. */
export const MAX_PAGE_SIZE = 2 ** 31 - 1;

/** A ListOperations `pageSize`: a whole number from 0 (server's choice) to 2^31 - 1, else TypeError / RangeError. */
export function checkPageSize(value: unknown): number {
  return checkCount(value, 'pageSize', 0, MAX_PAGE_SIZE);
}

/** Like checkMs, passing undefined through. */
export function checkOptionalMs(value: unknown, what: string, min = 0): number | undefined {
  return value === undefined ? undefined : checkMs(value, what, min);
}

/** An AbortSignal or undefined, else TypeError naming `what`. */
export function checkSignal(value: unknown, what: string): void {
  if (value !== undefined && !(value instanceof AbortSignal)) {
    throw new TypeError(`${what} must be an AbortSignal (got ${show(value)})`);
  }
}

/** A RetryPolicy, `false` or undefined, else TypeError / RangeError naming the field. */
export function checkRetry(value: unknown, what: string): void {
  if (value === undefined || value === false) return;
  if (typeof value !== 'object' || value === null) {
    throw new TypeError(`${what} must be a retry policy or false (got ${show(value)})`);
  }
  const retry = value as Record<string, unknown>;
  if (!Array.isArray(retry.codes)) throw new TypeError(`${what}.codes must be an array of status codes`);
  checkCount(retry.maxAttempts, `${what}.maxAttempts`, 1);
  checkMs(retry.initialDelayMs, `${what}.initialDelayMs`);
  checkMs(retry.maxDelayMs, `${what}.maxDelayMs`);
  checkMs(retry.multiplier, `${what}.multiplier`, 1);
}
