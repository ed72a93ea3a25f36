/**
 * One row of the many-operations view (`lro wait NAME...`, `lro watch`): what is known of
 * one operation (state, progress, ETA, elapsed time, a detail word or message) as its
 * snapshots arrive. Pure: times are Clock ms passed in by the caller. The strings kept here
 * are server text, raw; the renderers (fleet-table.ts) escape them.
 */
import { EtaEstimate } from './eta-estimate.js';
import { type OperationState, type OperationView, stateOf } from './format.js';

/**
 * A row's state: the operation's, or how its wait ended without a done snapshot:
 * `TIMEOUT` (not done at --timeout) or `ERROR` (the wait failed, e.g. an RPC error).
 */
export type RowState = OperationState | 'TIMEOUT' | 'ERROR';

/** What a row takes from one snapshot. */
export interface RowSnapshot {
  readonly state: OperationState;
  /** 0..100, undefined when the metadata reports none. */
  readonly progress: number | undefined;
  /**
   * Shown after the columns: the error message of a failed or cancelled operation, or the
   * metadata's own `state` word of a running one when it says more than RUNNING.
   */
  readonly detail: string | undefined;
}

/** What a row shows at one moment: the input of the renderers. */
export interface RowView {
  readonly name: string;
  readonly state: RowState;
  readonly progress: number | undefined;
  /** Time left by the progress seen, for a running row with an estimate. */
  readonly etaMs: number | undefined;
  /** Since the wait started, up to when it ended; undefined for a row never waited on (listed done). */
  readonly elapsedMs: number | undefined;
  readonly detail: string | undefined;
}

/** The metadata's `state` field when it is a non-empty string; never throws. */
function metadataState(op: OperationView): string | undefined {
  try {
    const metadata = op.metadata;
    if (typeof metadata !== 'object' || metadata === null || !('state' in metadata)) return undefined;
    return typeof metadata.state === 'string' && metadata.state !== '' ? metadata.state : undefined;
  } catch {
    return undefined;
  }
}

/** The row input of a snapshot handle. Never throws on undecodable metadata. */
export function rowSnapshotOf(op: OperationView): RowSnapshot {
  const state = stateOf(op);
  const progress = op.progress;
  if (op.done) return { state, progress, detail: op.error?.message };
  const word = metadataState(op);
  return { state, progress, detail: word === undefined || word === state ? undefined : word };
}

/** One operation's row. */
export class FleetRow {
  readonly name: string;
  /** When waiting started (Clock ms); undefined for a row shown from a listing, already done. */
  readonly #startedAt: number | undefined;
  #state: RowState = 'RUNNING';
  #progress: number | undefined;
  #detail: string | undefined;
  /** When the row stopped running (Clock ms); valid once `#state` is not RUNNING. */
  #endedAt: number | undefined;
  readonly #eta = new EtaEstimate();

  /** A running row, waited on from `startedAt` (undefined: not waited on). */
  constructor(name: string, startedAt: number | undefined) {
    this.name = name;
    this.#startedAt = startedAt;
  }

  /** False while the operation runs and its wait goes on. */
  get ended(): boolean {
    return this.#state !== 'RUNNING';
  }

  /** The row's state now. */
  get state(): RowState {
    return this.#state;
  }

  /** Takes a snapshot seen at `at`. An ended row keeps its state. */
  update(snapshot: RowSnapshot, at: number): void {
    if (this.ended) return;
    this.#state = snapshot.state;
    this.#detail = snapshot.detail;
    if (snapshot.progress !== undefined) this.#progress = snapshot.progress;
    this.#eta.observe(at, snapshot.progress);
    if (this.ended) this.#endedAt = at;
  }

  /** Ends a running row without a done snapshot (its wait timed out or failed) at `at`. */
  end(state: 'TIMEOUT' | 'ERROR', detail: string | undefined, at: number): void {
    if (this.ended) return;
    this.#state = state;
    this.#detail = detail;
    this.#endedAt = at;
  }

  /** What the row shows at `now`. */
  view(now: number): RowView {
    const running = !this.ended;
    const until = running ? now : (this.#endedAt ?? now);
    return {
      name: this.name,
      state: this.#state,
      progress: this.#progress,
      etaMs: running ? this.#eta.remainingMs(now) : undefined,
      elapsedMs: this.#startedAt === undefined ? undefined : Math.max(0, until - this.#startedAt),
      detail: this.#detail,
    };
  }
}
