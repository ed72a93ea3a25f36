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
 */
import * as grpc from '@grpc/grpc-js';

/** Default number of held WaitOperation calls per wait connection: below the common 100-stream limit. */
export const DEFAULT_MAX_WAIT_CALLS_PER_CONNECTION = 90;

/**
 * The channel option that keeps a wait connection apart: grpc-js shares one connection
 * (subchannel) among channels whose target and options are equal, so each wait channel
 * carries a distinct value, and its own subchannel pool besides.
 */
export const WAIT_CONNECTION_OPTION = 'grpc-node.longrunning.wait_connection';

/** A held wait's place on a connection: the client to call on, and how to give the place back. */
export interface WaitLease {
  readonly client: grpc.Client;
  /** Gives the place back; the connection closes once no wait holds it. Idempotent. */
  release(): void;
  /**
   * The connection failed this wait (it dropped): no further wait is placed on it, and it
   * closes once its other waits end. Idempotent.
   */
  retire(): void;
}

/** How wait connections reach the server. */
export interface WaitConnectionsOptions {
  readonly target: string;
  readonly credentials: grpc.ChannelCredentials;
  /** The client's own channel options; the wait connection option is added to them. */
  readonly channelOptions?: grpc.ChannelOptions;
  /** Held waits per connection (>= 1). */
  readonly perConnection: number;
}

/** One connection: its client and the waits it holds now. */
interface Connection {
  readonly client: grpc.Client;
  held: number;
  /** Set when it dropped a wait: it takes no new ones. */
  retired: boolean;
}

/** Unique per process, so two clients' wait connections never share a subchannel either. */
let nextConnectionId = 1;

/** The wait connections of one client. */
export class WaitConnections {
  readonly #options: WaitConnectionsOptions;
  /** Open connections, oldest first: new waits fill the oldest with room, so newer ones drain and close. */
  readonly #open: Connection[] = [];
  #closed = false;
  #opened = 0;

  constructor(options: WaitConnectionsOptions) {
    this.#options = options;
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

  /**
   * A place for one held wait: on the oldest connection with room, or a new one. Throws an
   * Error once `close()` was called (as grpc-js does for a call on a closed channel).
   */
  lease(): WaitLease {
    if (this.#closed) throw new Error('Channel has been shut down');
    let connection = this.#open.find((c) => !c.retired && c.held < this.#options.perConnection);
    if (connection === undefined) {
      connection = { client: this.#connect(), held: 0, retired: false };
      this.#open.push(connection);
    }
    const leased = connection;
    leased.held++;
    let released = false;
    return {
      client: leased.client,
      release: () => {
        if (released) return;
        released = true;
        leased.held--;
        if (leased.held === 0) setImmediate(() => this.#closeIfIdle(leased));
      },
      retire: () => {
        leased.retired = true;
      },
    };
  }

  /** Closes every wait connection; calls on them end with CANCELLED. Later leases throw. Idempotent. */
  close(): void {
    this.#closed = true;
    for (const connection of this.#open.splice(0)) connection.client.close();
  }

  #connect(): grpc.Client {
    const { target, credentials, channelOptions } = this.#options;
    this.#opened++;
    return new grpc.Client(target, credentials, {
      ...channelOptions,
      [WAIT_CONNECTION_OPTION]: nextConnectionId++,
      'grpc.use_local_subchannel_pool': 1,
    });
  }

  #closeIfIdle(connection: Connection): void {
    if (connection.held > 0) return;
    const index = this.#open.indexOf(connection);
    if (index === -1) return;
    this.#open.splice(index, 1);
    connection.client.close();
  }
}
