/**
 * When a client may open another wait connection (wait-connections.ts): grpc-js's own
 * connection backoff, applied to the pool. A connection that drops (or fails to connect)
 * before the server answered any wait on it is a failed attempt; after one, no connection
 * is opened for a backoff delay, and then one at a time until the server answers a wait on
 * one, which starts the backoff over. Pure bookkeeping on an injected Clock: no timers.
 */
import { Backoff, type BackoffOptions } from '../base/backoff.js';
import type { Clock } from '../base/clock.js';

/**
 * How failed wait connections back off before the next one is opened: grpc-js's own
 * connection backoff (gRPC's connection-backoff spec): 1 s, × 1.6, ±20 % jitter, 120 s at most.
 */
export const RECONNECT_BACKOFF: Readonly<BackoffOptions> = Object.freeze({
  initialDelayMs: 1000,
  multiplier: 1.6,
  maxDelayMs: 120_000,
  jitter: 0.2,
});

/** What the pacing needs to know of an open connection. */
export interface PacedConnection {
  /** It dropped a wait or failed to connect: it takes no new waits. */
  readonly retired: boolean;
  /** The server answered a wait on it. */
  readonly answered: boolean;
  /** `ReconnectPacing.epoch` when it was opened. */
  readonly epoch: number;
}

/** The reconnect state of one pool of wait connections. */
export class ReconnectPacing {
  readonly #clock: Clock;
  readonly #backoff: Backoff;
  /** Failed attempts counted so far. */
  #epoch = 0;
  /** Clock time before which no connection is opened; -Infinity when none is due. */
  #notBefore = Number.NEGATIVE_INFINITY;
  /** True from a failed attempt until the server answers a wait again. */
  #probing = false;

  /** `random` is the jitter source, in [0, 1) (default `Math.random`). */
  constructor(clock: Clock, random?: () => number) {
    this.#clock = clock;
    this.#backoff = new Backoff(RECONNECT_BACKOFF, random);
  }

  /** The failed attempts counted so far: a connection opened now carries this number. */
  get epoch(): number {
    return this.#epoch;
  }

  /** The clock time before which no connection is opened, or undefined when none is due. */
  get reconnectAt(): number | undefined {
    return this.#notBefore > this.#clock.now() ? this.#notBefore : undefined;
  }

  /**
   * True when another connection may be opened now, given the pool's `open` connections:
   * not during the backoff delay, and after a failed attempt not while a connection opened
   * since then is still unanswered (one probe at a time).
   */
  mayOpen(open: readonly PacedConnection[]): boolean {
    if (this.#clock.now() < this.#notBefore) return false;
    return !(this.#probing && open.some((c) => !c.retired && !c.answered && c.epoch === this.#epoch));
  }

  /**
   * `connection` dropped (call once per connection). Counted as a failed attempt, which
   * starts the next backoff delay, only when the server had not answered on it and no
   * failure was counted since it was opened: connections opened before one reset of the
   * server all drop with it, and count once. A connection the server answered on may be
   * replaced at once, as grpc-js reconnects at once after a working connection ends.
   */
  dropped(connection: PacedConnection): void {
    if (connection.answered || connection.epoch !== this.#epoch) return;
    this.#epoch++;
    this.#notBefore = this.#clock.now() + this.#backoff.next();
    this.#probing = true;
  }

  /** The server answered a wait: the backoff starts over. Returns true when that lifted a restriction. */
  answered(): boolean {
    if (!this.#probing && this.#notBefore === Number.NEGATIVE_INFINITY) return false;
    this.#probing = false;
    this.#notBefore = Number.NEGATIVE_INFINITY;
    this.#backoff.reset();
    return true;
  }
}
