/**
 * Text renderings of the many-operations view, pure (rows in, strings out): the table a
 * terminal shows (one row per operation: name, state, progress bar, ETA, elapsed, then a
 * detail), the plain line written for a changed operation without a terminal, and the
 * summary line. Names and details are server text: escaped here, so no caller can forget.
 *
 * ```
 * NAME          STATE      PROGRESS            ETA  ELAPSED
 * operations/a  RUNNING    ████░░░░░░  42%     12s       5s
 * operations/b  DONE       ██████████ 100%               3s
 * operations/c  FAILED     ████░░░░░░  40%               2s  ABORTED: gone
 * 3 operations: 1 running, 1 done, 1 failed
 * ```
 */
import { escapeControls } from './escape.js';
import type { RowState, RowView } from './fleet-row.js';

/** Cells of the progress bar on a terminal at least WIDE_COLUMNS wide. */
export const BAR_WIDTH = 20;
/** Cells of the progress bar on a narrower terminal, leaving room for names and messages. */
export const NARROW_BAR_WIDTH = 10;
/** The terminal width from which the bar is BAR_WIDTH wide. */
export const WIDE_COLUMNS = 100;
const FILLED = '█';
const EMPTY = '░';

/** Fixed column widths: state, percentage, ETA, elapsed. */
const STATE_WIDTH = 9;
const PERCENT_WIDTH = 4;
const ETA_WIDTH = 6;
const ELAPSED_WIDTH = 7;
const GAP = '  ';
/** Everything on a row but the name, the bar and the detail. */
const FIXED_WIDTH = 4 * GAP.length + STATE_WIDTH + 1 + PERCENT_WIDTH + ETA_WIDTH + ELAPSED_WIDTH;
/** The narrowest name column. */
const MIN_NAME_WIDTH = 4;

/** The size of the terminal a table is drawn for. */
export interface TableSize {
  readonly columns: number;
  readonly rows: number;
}

/** Whole seconds and up: `0s`, `59s`, `1m05s`, `1h02m`, `2d03h` (cut down, never rounded up). */
export function formatSpan(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const pad = (n: number): string => String(n).padStart(2, '0');
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${pad(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86_400)}d${pad(Math.floor((s % 86_400) / 3600))}h`;
}

/** A time left, rounded up to whole seconds (0.2 s left is `1s`; none left is `0s`). */
export function formatEta(ms: number): string {
  return formatSpan(Math.ceil(Math.max(0, ms) / 1000) * 1000);
}

/** True for a row that reached its end as the server sees it (not a wait that ended). */
function operationEnded(state: RowState): boolean {
  return state === 'DONE' || state === 'FAILED' || state === 'CANCELLED';
}

/** The progress a row shows: 100 when DONE, else what was last reported. */
function shownProgress(row: RowView): number | undefined {
  return row.state === 'DONE' ? 100 : row.progress;
}

/** `width` cells, filled in proportion to `percent` (rounded down; empty when unknown). */
export function progressBar(percent: number | undefined, width = BAR_WIDTH): string {
  const filled = percent === undefined ? 0 : Math.floor((Math.min(100, Math.max(0, percent)) * width) / 100);
  return FILLED.repeat(filled) + EMPTY.repeat(width - filled);
}

/** `42%` right-aligned in 4 cells, `   -` when unknown. */
function percentCell(percent: number | undefined): string {
  return (percent === undefined ? '-' : `${Math.round(percent)}%`).padStart(PERCENT_WIDTH);
}

/** The first `width` characters of `text` (by code point), or all of it. */
function clip(text: string, width: number): string {
  const chars = Array.from(text);
  return chars.length <= width ? text : chars.slice(0, Math.max(0, width)).join('');
}

/** `text` in exactly `width` characters: padded, or cut at the start behind `…` (an id ends a name). */
function fitName(text: string, width: number): string {
  const chars = Array.from(text);
  if (chars.length <= width) return text + ' '.repeat(width - chars.length);
  return `…${chars.slice(chars.length - (width - 1)).join('')}`;
}

/** Widths of the columns that vary with the terminal. */
interface Widths {
  readonly name: number;
  readonly bar: number;
}

/** One table row: every column, then the detail; the name escaped and fitted to its column. */
function tableRow(row: RowView, widths: Widths): string {
  const percent = shownProgress(row);
  const eta = row.state === 'RUNNING' && row.etaMs !== undefined ? formatEta(row.etaMs) : '';
  const elapsed = row.elapsedMs === undefined ? '' : formatSpan(row.elapsedMs);
  const cells = [
    fitName(escapeControls(row.name), widths.name),
    row.state.padEnd(STATE_WIDTH),
    `${progressBar(percent, widths.bar)} ${percentCell(percent)}`,
    eta.padStart(ETA_WIDTH),
    elapsed.padStart(ELAPSED_WIDTH),
  ];
  const line = cells.join(GAP);
  return row.detail === undefined ? line : `${line}${GAP}${escapeControls(row.detail)}`;
}

/** The header of a table of `widths`. */
function header(widths: Widths): string {
  return [
    fitName('NAME', widths.name),
    'STATE'.padEnd(STATE_WIDTH),
    'PROGRESS'.padEnd(widths.bar + 1 + PERCENT_WIDTH),
    'ETA'.padStart(ETA_WIDTH),
    'ELAPSED'.padStart(ELAPSED_WIDTH),
  ].join(GAP);
}

/** Words of the summary per state, in the order they are listed. */
const SUMMARY: readonly (readonly [RowState, string, string])[] = [
  ['RUNNING', 'running', 'running'],
  ['DONE', 'done', 'done'],
  ['FAILED', 'failed', 'failed'],
  ['CANCELLED', 'cancelled', 'cancelled'],
  ['TIMEOUT', 'timed out', 'timed out'],
  ['ERROR', 'error', 'errors'],
];

/** `3 operations: 1 running, 1 done, 1 failed` (states with no row left out). */
export function summaryLine(rows: readonly RowView[]): string {
  const parts: string[] = [];
  for (const [state, one, many] of SUMMARY) {
    const n = rows.filter((r) => r.state === state).length;
    if (n > 0) parts.push(`${n} ${n === 1 ? one : many}`);
  }
  const head = `${rows.length} operation${rows.length === 1 ? '' : 's'}`;
  return parts.length === 0 ? head : `${head}: ${parts.join(', ')}`;
}

/**
 * The line written for a changed row without a terminal:
 * `operations/a  RUNNING  42%  eta 12s  elapsed 5s  (EXPORTING)`. A failed or cancelled
 * operation shows where its progress stopped and its message; a row without progress,
 * ETA or elapsed time leaves them out.
 */
export function plainLine(row: RowView): string {
  const parts = [escapeControls(row.name), row.state];
  const percent = shownProgress(row);
  if (percent !== undefined) {
    const rounded = Math.round(percent);
    const stopped = (row.state === 'FAILED' || row.state === 'CANCELLED') && rounded < 100;
    parts.push(stopped ? `stopped at ${rounded}%` : `${rounded}%`);
  }
  if (row.state === 'RUNNING' && row.etaMs !== undefined) parts.push(`eta ${formatEta(row.etaMs)}`);
  if (row.elapsedMs !== undefined) parts.push(`elapsed ${formatSpan(row.elapsedMs)}`);
  if (row.detail !== undefined) {
    const detail = escapeControls(row.detail);
    parts.push(operationEnded(row.state) ? detail : `(${detail})`);
  }
  return parts.join('  ');
}

/**
 * The rows a table of `height` row lines shows: all of them when they fit; otherwise the
 * running ones first, then the ended ones, each group in the given order, cut to `height`.
 */
function visibleRows(rows: readonly RowView[], height: number): readonly RowView[] {
  if (rows.length <= height) return rows;
  const running = rows.filter((r) => r.state === 'RUNNING');
  const ended = rows.filter((r) => r.state !== 'RUNNING');
  return [...running, ...ended].slice(0, height);
}

/**
 * The lines of one frame: a header, a line per row, then `footer` (the summary, notes).
 * The name column is as wide as the longest name, within what the terminal leaves; the
 * bar is BAR_WIDTH cells from WIDE_COLUMNS columns on, NARROW_BAR_WIDTH below. Every line
 * is cut to `size.columns - 1` characters, so none wraps (a wrapped line would throw off
 * the in-place redraw), and the frame fits in `size.rows - 1` lines: when the rows do not
 * fit, the running ones come first and a line says how many are not shown.
 */
export function renderTable(rows: readonly RowView[], size: TableSize, footer: readonly string[]): string[] {
  const width = Math.max(1, size.columns - 1);
  const bar = size.columns >= WIDE_COLUMNS ? BAR_WIDTH : NARROW_BAR_WIDTH;
  const longest = rows.reduce((n, r) => Math.max(n, Array.from(escapeControls(r.name)).length), 4);
  const widths = { name: Math.max(MIN_NAME_WIDTH, Math.min(longest, width - FIXED_WIDTH - bar)), bar };
  const room = Math.max(1, size.rows - 2 - footer.length);
  const shown = visibleRows(rows, rows.length <= room ? room : room - 1);
  const lines = [header(widths), ...shown.map((r) => tableRow(r, widths))];
  if (shown.length < rows.length) lines.push(`… ${rows.length - shown.length} more not shown`);
  return [...lines, ...footer].map((l) => clip(l, width));
}
