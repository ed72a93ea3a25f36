/**
 * The connections an `OperationsClient` that owns its channel keeps for held WaitOperation
 * calls. A held wait occupies an HTTP/2 stream for up to `waitChunkMs`; servers commonly
 * allow 100 streams per connection (MAX_CONCURRENT_STREAMS), so a client that held all its
 * waits on its main connection would make its own unary RPCs queue behind them. Instead,
 * each wait connection is a grpc-js channel of its own, carrying at most `perConnection`
 * held waits. Connections are opened as waits need them and closed when the last wait on
 * one ends (at the next turn of the event loop, so a wait that follows at once, as the next
 * chunk of a long wait does, reuses the connection). How many waits are held in all is the
 * client's `maxWaitCalls` budget (`WaitSlots`), not this pool's business.
 *
 * Opening connections is paced the way grpc-js paces its own reconnects, so a server that
 * resets every connection, or answers every held wait with CANCELLED, sees a handful of
 * connections a minute instead of a storm. One connection connects at a time: a wait that
 * finds no room while a new one is not yet READY queues for it (a healthy server is
 * connected in milliseconds). A connection that drops or fails to connect before the
 * server answered a wait on it starts grpc-js's connection backoff (1 s × 1.6, ±20 %, to
 * 120 s; reconnect-pacing.ts); meanwhile `lease()` gives no place and the caller answers
 * the wait with a GetOperation on its main connection. (About 300 lines: the pool, its
 * queue and its watch of each channel's state share the connections' bookkeeping.)
 */
import * as grpc from '@grpc/grpc-js';
import { type Clock, MAX_TIMER_MS, systemClock } from '../base/clock.js';
import { abortReason } from '../base/signals.js';
import { RECONNECT_BACKOFF, ReconnectPacing } from './reconnect-pacing.js';

export { RECONNECT_BACKOFF } from './reconnect-pacing.js';

/** Default number of held WaitOperation calls per wait connection: below the common 100-stream limit. */
export const DEFAULT_MAX_WAIT_CALLS_PER_CONNECTION = 90;

/**
 * The channel option that keeps a wait connection apart: grpc-js shares one connection
 * (subchannel) among channels whose target and options are equal, so each wait channel
 * carries a distinct value, and its own subchannel pool besides.
 */
export const WAIT_CONNECTION_OPTION = 'grpc-node.longrunning.wait_connection';

/** What `#place()` answers when a wait must queue for a connecting connection. */
const QUEUE = Symbol('queue');

/** A lease waiting for a connecting connection: how to settle it. */
interface Queued {
  resolve(lease: WaitLease | undefined): void;
  reject(error: unknown): void;
}

/** A held wait's place on a connection: the client to call on, and how to give the place back. */
export interface WaitLease {
  readonly client: grpc.Client;
  /** Gives the place back; the connection closes once no wait holds it. Idempotent. */
  release(): void;
  /**
   * The connection failed this wait (it dropped): no further wait is placed on it, and it
   * closes once its other waits end. When the server had not yet answered a wait on it,
   * this is a failed attempt and the next connection waits for the reconnect backoff.
   * Idempotent.
   */
  retire(): void;
  /** The server answered this wait (a response or a status of its own): the connection works, and the reconnect backoff starts over. */
  answered(): void;
}

/** How wait connections reach the server. */
export interface WaitConnectionsOptions {
  readonly target: string;
  readonly credentials: grpc.ChannelCredentials;
  /** The client's own channel options; the wait connection option is added to them. */
  readonly channelOptions?: grpc.ChannelOptions;
  /** Held waits per connection (>= 1). */
  readonly perConnection: number;
  /** Where reconnect delays are measured (default `systemClock`). */
  readonly clock?: Clock;
  /** The jitter source of the reconnect backoff, in [0, 1) (default `Math.random`). */
  readonly random?: () => number;
}

/** One connection: its client, the waits it holds now and what is known of it. */
interface Connection {
  readonly client: grpc.Client;
  held: number;
  /** Set when it dropped a wait (or failed to connect): it takes no new ones. */
  retired: boolean;
  /** Set once its channel was READY. */
  ready: boolean;
  /** Set once the server answered a wait on it. */
  answered: boolean;
  /** The pacing's failure count when it was opened: its own failure counts only if none came since. */
  readonly epoch: number;
}

/** Unique per process, so two clients' wait connections never share a subchannel either. */
let nextConnectionId = 1;

/** The wait connections of one client. */
export class WaitConnections {
  readonly #options: WaitConnectionsOptions;
  /** When another connection may be opened (reconnect-pacing.ts). */
  readonly #pacing: ReconnectPacing;
  /** Open connections, oldest first: new waits fill the oldest with room, so newer ones drain and close. */
  readonly #open: Connection[] = [];
  #closed = false;
  #opened = 0;
  /** Leases waiting, in order, for a connecting connection to become READY or fail. */
  readonly #queue: Queued[] = [];

  constructor(options: WaitConnectionsOptions) {
    this.#options = options;
    this.#pacing = new ReconnectPacing(options.clock ?? systemClock, options.random);
  }

  /** Connections open now. */
  get size(): number {
    return this.#open.length;
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Connections opened since the start (for tests and diagnostics). */
  get opened(): number {
    return this.#opened;
  }

  /** Held waits per open connection, oldest first. */
  get held(): number[] {
    return this.#open.map((c) => c.held);
  }

  /** The clock time before which no connection is opened (reconnect backoff), or undefined when none is due. */
  get reconnectAt(): number | undefined {
    return this.#pacing.reconnectAt;
  }

  /**
   * A place for one held wait: on the oldest connection with room, or on a new one. Resolves
   * undefined when no connection may be opened now (the reconnect backoff runs, or one
   * opened since the last failed attempt has not been answered on yet): the caller then
   * makes its call on its main connection. While a new connection is still connecting, a
   * wait that finds no room queues (first come, first served) until it is READY or fails.
   * A queued wait gives up after `maxWaitMs` (a server that never completes a connection)
   * and resolves undefined too. Rejects with an Error once `close()` was called (as grpc-js
   * does for a call on a closed channel), and with the reason of `signal` when it aborts
   * meanwhile.
   */
  lease(signal?: AbortSignal, maxWaitMs = Number.POSITIVE_INFINITY): Promise<WaitLease | undefined> {
    if (this.#closed) return Promise.reject(new Error('Channel has been shut down'));
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    const place = this.#queue.length === 0 ? this.#place() : QUEUE;
    if (place !== QUEUE) return Promise.resolve(place);
    return new Promise<WaitLease | undefined>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = (): void => {
        signal?.removeEventListener('abort', onAbort);
        if (timer !== undefined) clearTimeout(timer);
      };
      const dequeue = (): void => {
        const index = this.#queue.indexOf(queued);
        if (index !== -1) this.#queue.splice(index, 1);
      };
      const queued: Queued = {
        resolve: (lease) => {
          done();
          resolve(lease);
        },
        reject: (error) => {
          done();
          reject(error);
        },
      };
      const onAbort = (): void => {
        dequeue();
        done();
        reject(signal === undefined ? new Error('aborted') : abortReason(signal));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      // One timer a queued wait (not a deadline signal: queueing happens in bursts of thousands).
      if (maxWaitMs <= MAX_TIMER_MS) {
        timer = setTimeout(
          () => {
            dequeue();
            queued.resolve(undefined);
          },
          Math.max(0, maxWaitMs),
        );
      }
      this.#queue.push(queued);
    });
  }

  /**
   * `lease()` without waiting, for the common case: a place now (a lease, or undefined: the
   * main connection), or null when the wait would queue (a connection is connecting, or
   * others queue first) or the connections are closed; `lease()` then says what to do.
   */
  leaseNow(): WaitLease | undefined | null {
    if (this.#closed || this.#queue.length !== 0) return null;
    const place = this.#place();
    return place === QUEUE ? null : place;
  }

  /** Closes every wait connection; calls on them end with CANCELLED. Later leases throw. Idempotent. */
  close(): void {
    this.#closed = true;
    for (const connection of this.#open.splice(0)) connection.client.close();
    this.#changed();
  }

  /** Where a wait goes now: a place, no place (undefined: the main connection), or QUEUE (a connection is connecting). */
  #place(): WaitLease | undefined | typeof QUEUE {
    const room = this.#open.find((c) => !c.retired && c.held < this.#options.perConnection);
    if (room !== undefined) return this.#lease(room);
    if (!this.#pacing.mayOpen(this.#open)) return undefined;
    if (this.#open.some((c) => !c.retired && !c.ready)) return QUEUE;
    return this.#lease(this.#connect());
  }

  #lease(connection: Connection): WaitLease {
    connection.held++;
    let released = false;
    return {
      client: connection.client,
      release: () => {
        if (released) return;
        released = true;
        connection.held--;
        if (connection.held === 0) setImmediate(() => this.#closeIfIdle(connection));
        // The freed place may be one a queued wait can take.
        else if (this.#queue.length > 0) this.#changed();
      },
      retire: () => this.#dropped(connection),
      answered: () => this.#answered(connection),
    };
  }

  #connect(): Connection {
    const { target, credentials, channelOptions } = this.#options;
    this.#opened++;
    const client = new grpc.Client(target, credentials, {
      ...channelOptions,
      [WAIT_CONNECTION_OPTION]: nextConnectionId++,
      'grpc.use_local_subchannel_pool': 1,
      // This pool paces reconnects: a wait connection that failed is retired and closed, so
      // grpc-js must not reconnect it meanwhile (it would within about a second).
      'grpc.initial_reconnect_backoff_ms': RECONNECT_BACKOFF.maxDelayMs,
      'grpc.max_reconnect_backoff_ms': RECONNECT_BACKOFF.maxDelayMs,
    });
    const connection: Connection = {
      client,
      held: 0,
      retired: false,
      ready: false,
      answered: false,
      epoch: this.#pacing.epoch,
    };
    this.#open.push(connection);
    this.#watch(connection);
    return connection;
  }

  /**
   * Follows the connection's channel state (no timer: grpc-js calls back on each change,
   * and once more when the channel closes): READY marks it ready; TRANSIENT_FAILURE (it
   * could not connect) or IDLE after READY (its transport closed) is a drop. Starts the
   * connection at once, so a wait that needs another one learns soon whether it works.
   */
  #watch(connection: Connection): void {
    const channel = connection.client.getChannel();
    const step = (): void => {
      let state: grpc.connectivityState;
      try {
        state = channel.getConnectivityState(!connection.ready);
      } catch {
        return;
      }
      if (state === grpc.connectivityState.SHUTDOWN) return;
      if (state === grpc.connectivityState.TRANSIENT_FAILURE) {
        this.#dropped(connection);
        return;
      }
      if (state === grpc.connectivityState.IDLE && connection.ready) {
        this.#dropped(connection);
        return;
      }
      if (state === grpc.connectivityState.READY && !connection.ready) {
        connection.ready = true;
        this.#changed();
      }
      try {
        // Handled after grpc-js's own state update has run, not inside it.
        channel.watchConnectivityState(state, Number.POSITIVE_INFINITY, () => queueMicrotask(step));
      } catch {
        // Closed meanwhile: nothing left to follow.
      }
    };
    step();
  }

  /**
   * The connection dropped a wait or could not connect: it takes no new waits and closes
   * once idle. If the server had not answered on it and no failure was counted since it
   * was opened, this is a failed attempt: no connection opens for the next reconnect
   * delay, and then only one at a time until the server answers on it. A connection the
   * server had answered on may be replaced at once. Counted once per connection.
   */
  #dropped(connection: Connection): void {
    if (connection.retired) return;
    connection.retired = true;
    this.#pacing.dropped(connection);
    if (connection.held === 0) setImmediate(() => this.#closeIfIdle(connection));
    this.#changed();
  }

  /** The server answered a wait on `connection`: it works, and the reconnect backoff starts over. */
  #answered(connection: Connection): void {
    connection.answered = true;
    if (this.#pacing.answered()) this.#changed();
  }

  /** A connection's state changed (or the pool closed): hands places to the queued waits, in order, while there are any. */
  #changed(): void {
    // Bounded: each turn settles and removes the head of the queue.
    while (this.#queue.length > 0) {
      const head = this.#queue[0];
      if (head === undefined) return;
      if (this.#closed) {
        this.#queue.shift();
        head.reject(new Error('Channel has been shut down'));
        continue;
      }
      const place = this.#place();
      if (place === QUEUE) return;
      this.#queue.shift();
      head.resolve(place);
    }
  }

  #closeIfIdle(connection: Connection): void {
    if (connection.held > 0) return;
    const index = this.#open.indexOf(connection);
    if (index === -1) return;
    this.#open.splice(index, 1);
    connection.client.close();
    this.#changed();
  }
}
