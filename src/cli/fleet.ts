/**
 * Waiting on many operations at once, for `lro wait NAME...` and `lro watch`: one wait per
 * operation (`op.watch()`), all on one client, so they share the client's poll budget and
 * list reaping (polling rules 12–13) exactly as a program's waits would. Each changed
 * snapshot goes to the view; each operation's outcome counts as `lro wait NAME` would exit
 * for it alone (0 succeeded, 1 failed or cancelled, 2 response type unknown, 3 RPC error,
 * 4 timeout, 128 + n interrupted), and the command exits with the most severe
 * (`worstExitCode`).
 */
import type { Clock } from '../base/clock.js';
import type { Operation, WaitOptions } from '../client/operation.js';
import type { WaitStrategy } from '../wait/operation-poller.js';
import { OperationError, type RpcError, TimeoutError } from '../wire/errors.js';
import { formatDuration } from './duration.js';
import { escapeControls } from './escape.js';
import { exitCodeOf, Interrupted, worstExitCode } from './exit.js';
import { rowSnapshotOf } from './fleet-row.js';
import type { FleetView, ViewStream } from './fleet-view.js';
import { snapshotJson } from './format.js';
import { explain, failureDocument, type OutcomeFlags } from './outcome.js';

/** How a wait of the fleet ended. */
interface Outcome {
  /** The exit code `lro wait NAME` would give for this operation alone. */
  readonly code: number;
  /** What the wait or the done snapshot threw; undefined when the operation succeeded. */
  readonly error?: unknown;
}

/**
 * The reason waits are aborted with when the command stops for another cause than a signal
 * (a listing failed): such a wait ends with no outcome, its row left as it was.
 */
export class Stopped extends Error {
  override readonly name = 'Stopped';
}

/** The options of a fleet. */
export interface FleetOptions {
  readonly view: FleetView;
  /** The client's clock (for the deadline). */
  readonly clock: Clock;
  /** How failures are worded (explain()). */
  readonly flags: OutcomeFlags;
  readonly strategy: WaitStrategy;
  /** A fixed poll interval (--interval); undefined: the library's backoff. */
  readonly intervalMs?: number | undefined;
  /** Clock time by which every wait ends with TimeoutError (--timeout); undefined: none. */
  readonly deadline?: number | undefined;
  /** --timeout as the user wrote it, named in timeout messages (each wait's own timeout is what was left of it). */
  readonly timeoutText?: string | undefined;
  /** Aborts every wait: with Interrupted on a signal, with Stopped otherwise. */
  readonly signal: AbortSignal;
}

/** The operations of one command and their waits; see the file comment. */
export class Fleet {
  readonly #options: FleetOptions;
  /** The latest handle (snapshot) of each operation, in the order added. */
  readonly #ops = new Map<string, Operation>();
  readonly #outcomes = new Map<string, Outcome>();
  #waiting = 0;
  /** Resolvers of `idle()` calls; called when the last wait ends. */
  #idle: (() => void)[] = [];

  constructor(options: FleetOptions) {
    this.#options = options;
  }

  /**
   * Adds an operation (once per name: a name already added is skipped). `listed`: `op` is
   * a snapshot the server returned (from a listing), shown at once; otherwise it is a name
   * whose first snapshot the wait brings. A done operation is shown and settled without an
   * RPC; a running one is waited on until done, --timeout, an error or a signal.
   */
  add(op: Operation, listed: boolean): void {
    const { view } = this.#options;
    if (this.#ops.has(op.name)) return;
    this.#ops.set(op.name, op);
    view.add(op.name, !op.done);
    if (listed) view.snapshot(op.name, rowSnapshotOf(op), () => snapshotJson(op));
    this.#waiting++;
    const settled = op.done ? this.#settle(op.name, op) : this.#wait(op);
    void settled.finally(() => {
      this.#waiting--;
      if (this.#waiting > 0) return;
      const resolvers = this.#idle;
      this.#idle = [];
      for (const resolve of resolvers) resolve();
    });
  }

  /** Resolves once no wait is running and every outcome is recorded (at once when none is). */
  idle(): Promise<void> {
    if (this.#waiting === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** The latest handles, in the order added. */
  operations(): Operation[] {
    return [...this.#ops.values()];
  }

  /** The operations not known to be done (for CancelOperation on interrupt). */
  running(): Operation[] {
    return this.operations().filter((op) => !op.done);
  }

  /** The most severe exit code of the outcomes so far (0 when there are none). */
  exitCode(): number {
    return worstExitCode([...this.#outcomes.values()].map((o) => o.code));
  }

  /**
   * Writes on `err` one line per wait that ended in an error other than the operation's own
   * (an RPC error, a timeout, an unknown type), prefixed with the operation's name unless
   * the message names it, then each distinct hint once; interrupted waits are left to the
   * caller (one line for all). Everything escaped.
   */
  reportFailures(err: ViewStream): void {
    const hints = new Set<string>();
    for (const [name, { error }] of this.#outcomes) {
      if (error === undefined || OperationError.is(error) || error instanceof Interrupted) continue;
      const { hint } = explain(error, this.#options.flags);
      const message = this.#message(error);
      const prefix = message.includes(name) ? '' : `${name}: `;
      err.write(`lro: ${escapeControls(prefix + message)}\n`);
      if (hint !== undefined) hints.add(hint);
    }
    for (const hint of hints) err.write(`lro: hint: ${escapeControls(hint)}\n`);
  }

  /** Follows one operation's snapshots until its wait ends, then records the outcome. */
  async #wait(op: Operation): Promise<void> {
    const { view, strategy, intervalMs, deadline, signal, clock } = this.#options;
    const { name } = op;
    const onRetry = (error: RpcError, attempt: number, nextDelayMs: number): void => {
      const message = this.#message(error);
      view.note(`${name}: poll ${attempt} failed: ${message}; retrying in ${formatDuration(nextDelayMs)}`);
    };
    const options: WaitOptions = {
      strategy,
      signal,
      onRetry,
      ...(deadline === undefined ? {} : { timeoutMs: Math.max(0, deadline - clock.now()) }),
      ...(intervalMs === undefined
        ? {}
        : { polling: { initialDelayMs: intervalMs, maxDelayMs: intervalMs, multiplier: 1 } }),
    };
    let last = op;
    try {
      for await (const snapshot of op.watch(options)) {
        last = snapshot;
        this.#ops.set(name, snapshot);
        view.snapshot(name, rowSnapshotOf(snapshot), () => snapshotJson(snapshot));
      }
    } catch (error) {
      this.#ended(name, error);
      return;
    }
    await this.#settle(name, last);
  }

  /** Records the outcome of a done snapshot, as `op.wait()` settles it (no RPC). */
  async #settle(name: string, done: Operation): Promise<void> {
    try {
      await done.wait();
      this.#outcomes.set(name, { code: 0 });
    } catch (error) {
      this.#outcomes.set(name, { code: exitCodeOf(error), error });
    }
  }

  /** Records a wait that ended without a done snapshot, and shows it (but for an interruption). */
  #ended(name: string, error: unknown): void {
    if (error instanceof Stopped) return;
    this.#outcomes.set(name, { code: exitCodeOf(error), error });
    if (error instanceof Interrupted) return;
    const document = failureDocument(error, this.#options.flags);
    const message = this.#message(error);
    const fields = () => ({ waitError: { ...document.error, message }, exitCode: document.exitCode });
    if (TimeoutError.is(error)) this.#options.view.ended(name, 'TIMEOUT', undefined, fields);
    else this.#options.view.ended(name, 'ERROR', message, fields);
  }

  /** What a failure is called (explain()), a timeout naming --timeout as the user wrote it. */
  #message(error: unknown): string {
    const { message } = explain(error, this.#options.flags);
    const { timeoutText } = this.#options;
    if (!TimeoutError.is(error) || timeoutText === undefined) return message;
    return message.replace(/after --timeout [\d.]+ms/, `after --timeout ${timeoutText}`);
  }
}
