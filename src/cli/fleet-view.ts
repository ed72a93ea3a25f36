/**
 * The many-operations view of `lro wait NAME...` and `lro watch`, in one of three forms:
 *
 * - `table` (a terminal): the rows redrawn in place (live-screen.ts), a summary line and
 *   the latest note under them. A frame is drawn at most every `FRAME_MS` when something
 *   changed, and every `TICK_MS` anyway, so elapsed times and ETAs tick between snapshots.
 *   Time comes from the Clock given (the client's), never from a bare timer.
 * - `lines` (no terminal): one plain line per changed operation; notes go to `notes`; a
 *   summary line at the end.
 * - `json`: one JSON line (NDJSON) per changed operation, `{ name, state, progress?,
 *   etaMs?, elapsedMs?, ... }` followed by the record's own fields (the snapshot's `done`,
 *   `metadata`, `response`, `error`; or `waitError` and `exitCode` for a wait that ended
 *   without a done snapshot); notes go to `notes`; at the end
 *   `{ "summary": { operations, running, done, failed, cancelled, timedOut, errors }, "exitCode" }`.
 */
import type { Clock } from '../base/clock.js';
import { escapeControls } from './escape.js';
import { FleetRow, type RowSnapshot, type RowView } from './fleet-row.js';
import { plainLine, renderTable, summaryLine, type TableSize } from './fleet-table.js';
import { toJson } from './format.js';
import { LiveScreen } from './live-screen.js';

/** The form of the view. */
export type FleetViewMode = 'table' | 'lines' | 'json';

/** A stream the view writes to; a terminal's says its size. */
export interface ViewStream {
  write(text: string): unknown;
  columns?: number;
  rows?: number;
}

/** Shortest time between two frames of the table when rows change. */
export const FRAME_MS = 100;
/** Longest time between two frames: elapsed times and ETAs tick at this pace. */
export const TICK_MS = 1000;
/** The size assumed when a terminal does not report one (a pseudo-terminal of size 0). */
const DEFAULT_SIZE: TableSize = { columns: 80, rows: 24 };

/** Fields that a JSON line adds after the row's own. */
export type RecordFields = () => Record<string, unknown>;

/** The view's options. */
export interface FleetViewOptions {
  readonly mode: FleetViewMode;
  /** Where the table, the lines or the JSON lines go. */
  readonly out: ViewStream;
  /** Where notes go in the `lines` and `json` forms (the table shows the latest under it). */
  readonly notes: ViewStream;
  readonly clock: Clock;
}

/** The many-operations view; see the file comment. */
export class FleetView {
  readonly #mode: FleetViewMode;
  readonly #out: ViewStream;
  readonly #notes: ViewStream;
  readonly #clock: Clock;
  /** Rows by operation name, in the order they were added (the order shown). */
  readonly #rows = new Map<string, FleetRow>();
  /** Valid in the `table` form. */
  readonly #screen: LiveScreen | undefined;
  /** Aborted by `stop()`: ends the frame loop's sleep. */
  readonly #stop = new AbortController();
  /** The latest note, shown under the table (the `table` form only; cleared for the final frame). */
  #note: string | undefined;
  /** True when rows changed since the last frame (or no frame was drawn yet). */
  #dirty = true;
  /** Clock time of the last frame (of the start, before the first). */
  #drawnAt: number;

  /**
   * Starts the view; in the `table` form starts the frame loop, whose first frame comes
   * FRAME_MS later (a command that ends sooner draws only its final frame).
   */
  constructor(options: FleetViewOptions) {
    this.#mode = options.mode;
    this.#out = options.out;
    this.#notes = options.notes;
    this.#clock = options.clock;
    this.#drawnAt = this.#clock.now();
    if (this.#mode === 'table') {
      this.#screen = new LiveScreen(this.#out);
      void this.#frames();
    }
  }

  /** The rows as they show now, in order. */
  rows(): RowView[] {
    const now = this.#clock.now();
    return [...this.#rows.values()].map((r) => r.view(now));
  }

  /**
   * Adds a row for `name` (once: a name already shown keeps its row). `waited`: its wait
   * starts now, so it shows an elapsed time; a row from a listing of a done operation is not
   * waited on. Writes nothing until a snapshot comes, except in the table.
   */
  add(name: string, waited: boolean): void {
    if (this.#rows.has(name)) return;
    this.#rows.set(name, new FleetRow(name, waited ? this.#clock.now() : undefined));
    this.#dirty = true;
  }

  /** A changed snapshot of `name`: updates its row and writes its line (or JSON line with `fields`). */
  snapshot(name: string, snapshot: RowSnapshot, fields: RecordFields): void {
    const row = this.#row(name);
    row.update(snapshot, this.#clock.now());
    this.#changed(row, fields);
  }

  /** The wait on `name` ended without a done snapshot: TIMEOUT or ERROR, with `detail` (server text). */
  ended(name: string, state: 'TIMEOUT' | 'ERROR', detail: string | undefined, fields: RecordFields): void {
    const row = this.#row(name);
    row.end(state, detail, this.#clock.now());
    this.#changed(row, fields);
  }

  /** A message for the user (e.g. a retried poll): a line on `notes`, or under the table. */
  note(text: string): void {
    if (this.#mode === 'table') {
      this.#note = text;
      this.#dirty = true;
    } else {
      this.#notes.write(`lro: ${escapeControls(text)}\n`);
    }
  }

  /**
   * Ends the view: the final frame (cursor shown again), the summary line, or the JSON
   * summary with `exitCode`. Idempotent.
   */
  stop(exitCode: number): void {
    if (this.#stop.signal.aborted) return;
    this.#stop.abort();
    const rows = this.rows();
    if (this.#screen !== undefined) {
      this.#note = undefined;
      this.#draw();
      this.#screen.stop();
    } else if (this.#mode === 'lines') {
      this.#out.write(`${summaryLine(rows)}\n`);
    } else {
      const count = (state: string): number => rows.filter((r) => r.state === state).length;
      const summary = {
        operations: rows.length,
        running: count('RUNNING'),
        done: count('DONE'),
        failed: count('FAILED'),
        cancelled: count('CANCELLED'),
        timedOut: count('TIMEOUT'),
        errors: count('ERROR'),
      };
      this.#out.write(`${toJson({ summary, exitCode })}\n`);
    }
  }

  /** The row of `name`, added (as waited on from now) when there is none. */
  #row(name: string): FleetRow {
    const existing = this.#rows.get(name);
    if (existing !== undefined) return existing;
    const row = new FleetRow(name, this.#clock.now());
    this.#rows.set(name, row);
    return row;
  }

  #changed(row: FleetRow, fields: RecordFields): void {
    this.#dirty = true;
    if (this.#mode === 'table') return;
    const view = row.view(this.#clock.now());
    if (this.#mode === 'lines') {
      this.#out.write(`${plainLine(view)}\n`);
      return;
    }
    const record = {
      name: view.name,
      state: view.state,
      ...(view.progress === undefined ? {} : { progress: view.progress }),
      ...(view.etaMs === undefined ? {} : { etaMs: Math.round(view.etaMs) }),
      ...(view.elapsedMs === undefined ? {} : { elapsedMs: Math.round(view.elapsedMs) }),
      ...fields(),
    };
    this.#out.write(`${toJson(record)}\n`);
  }

  #size(): TableSize {
    const { columns, rows } = this.#out;
    return {
      columns: columns !== undefined && columns > 0 ? columns : DEFAULT_SIZE.columns,
      rows: rows !== undefined && rows > 0 ? rows : DEFAULT_SIZE.rows,
    };
  }

  #draw(): void {
    const rows = this.rows();
    const footer = [summaryLine(rows), ...(this.#note === undefined ? [] : [escapeControls(this.#note)])];
    this.#screen?.draw(renderTable(rows, this.#size(), footer));
    this.#dirty = false;
    this.#drawnAt = this.#clock.now();
  }

  /**
   * The frame loop of the table: every FRAME_MS, a frame when rows changed or TICK_MS have
   * passed since the last one. Runs until `stop()` aborts its sleep (the only way out).
   */
  async #frames(): Promise<void> {
    const { signal } = this.#stop;
    while (!signal.aborted) {
      try {
        await this.#clock.sleep(FRAME_MS, signal);
      } catch {
        return; // stopped
      }
      if (this.#dirty || this.#clock.now() - this.#drawnAt >= TICK_MS) this.#draw();
    }
  }
}
