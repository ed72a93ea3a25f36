/** Parses human durations for `--timeout` and friends. */
import { UsageError } from './exit.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** The longest duration accepted: whole milliseconds stay exact up to here. */
export const MAX_DURATION_MS = Number.MAX_SAFE_INTEGER;

/**
 * Milliseconds in `text`: `500ms`, `30s`, `10m`, `1h30m`, `2d`; a bare number is seconds.
 * Throws UsageError naming `flag` for anything else, and for a duration above
 * MAX_DURATION_MS (e.g. 400 digits, which would be Infinity).
 */
export function parseDuration(text: string, flag: string): number {
  const ms = parse(text, flag);
  if (!(ms <= MAX_DURATION_MS)) {
    const shown =
      text.length > 24 ? `${text.slice(0, 20)}… (${text.length} characters)` : JSON.stringify(text);
    throw new UsageError(`${flag}: duration ${shown} is too long (at most ${MAX_DURATION_MS} ms)`);
  }
  return ms;
}

function parse(text: string, flag: string): number {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
  const consumed = parts.map((p) => p[0]).join('');
  if (parts.length === 0 || consumed !== trimmed) {
    throw new UsageError(
      `${flag}: invalid duration ${JSON.stringify(text)} (use e.g. 500ms, 30s, 10m, 1h30m)`,
    );
  }
  return parts.reduce((ms, p) => ms + Number(p[1]) * (UNITS[p[2] ?? ''] ?? 0), 0);
}

/** `3.2s`, `1m05s`: a short human rendering of ms. */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  return `${m}m${String(s).padStart(2, '0')}s`;
}
