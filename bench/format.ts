/**
 * Formatting for the report: numbers with 0, 1 or 2 decimals, KiB as MB, an interquartile
 * range, a share as a percentage, and Markdown tables.
 */

/** 0, 1 or 2 decimals. */
export const f0 = (x: number): string => x.toFixed(0);
export const f1 = (x: number): string => x.toFixed(1);
export const f2 = (x: number): string => x.toFixed(2);
export const mb = (kb: number): string => `${(kb / 1024).toFixed(1)} MB`;
export const iqr = ([lo, hi]: readonly number[]): string => `${f2(lo ?? Number.NaN)}–${f2(hi ?? Number.NaN)}`;
/** `share` (0..1) as a percentage with one decimal: `86.0 %`. */
export const percent = (share: number): string => `${(100 * share).toFixed(1)} %`;

/** A Markdown table; the first column and those in `text` are left-aligned, the rest (numbers) right. */
export function table(header: string[], rows: string[][], text: number[] = []): string {
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  const rule = header.map((_, i) => (i === 0 || text.includes(i) ? '---' : '---:'));
  return [line(header), line(rule), ...rows.map(line)].join('\n');
}
