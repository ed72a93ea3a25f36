/**
 * Reads a completion percentage out of operation metadata, for progress bars and
 * `op.progress`. Never throws: unknown shapes give undefined.
 */

/** Field names that hold a percentage (0..100), in the order they are looked for. */
export const PERCENT_FIELDS: readonly string[] = [
  'progressPercent',
  'progressPercentage',
  'percentComplete',
  'percentDone',
  'completionPercentage',
  'progress',
];

function toNumber(value: unknown): number | undefined {
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && value !== ''
        ? Number(value)
        : Number.NaN;
  return Number.isFinite(n) ? n : undefined;
}

function clamp(n: number): number {
  return Math.min(100, Math.max(0, n));
}

function fromObject(record: Record<string, unknown>): number | undefined {
  for (const field of PERCENT_FIELDS) {
    const n = toNumber(record[field]);
    if (n !== undefined) return clamp(n);
  }
  for (const [key, value] of Object.entries(record)) {
    const n = toNumber(value);
    if (n !== undefined && /fraction/i.test(key) && n >= 0 && n <= 1) return clamp(n * 100);
  }
  return undefined;
}

/**
 * The percentage in `metadata`: the first number in one of PERCENT_FIELDS, else a value
 * in [0, 1] under a key containing "fraction" (scaled by 100); fields of the top level
 * first, then of nested objects one level down. Clamped to 0..100.
 */
export function progressOf(metadata: unknown): number | undefined {
  if (typeof metadata !== 'object' || metadata === null) return undefined;
  const record = metadata as Record<string, unknown>;
  const top = fromObject(record);
  if (top !== undefined) return top;
  for (const value of Object.values(record)) {
    if (typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value)) {
      const nested = fromObject(value as Record<string, unknown>);
      if (nested !== undefined) return nested;
    }
  }
  return undefined;
}
