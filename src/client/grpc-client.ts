/**
 * `OperationsClient`: the google.longrunning.Operations service over gRPC, plus the
 * Operation handles that wait on it. The methods live in `OperationsApi`; this class adds
 * the grpc-js channel.
 */
import * as grpc from '@grpc/grpc-js';
import { systemClock } from '../base/clock.js';
import { checkCount } from '../base/validate.js';
import { createRegistry } from '../proto/registry.js';
import { GrpcTransport } from '../transport/grpc.js';
import { checkChannelCredentials } from '../transport/grpc-interop.js';
import { callStartMethod } from '../transport/start-call.js';
import { DEFAULT_MAX_WAIT_CALLS_PER_CONNECTION, WaitConnections } from '../transport/wait-connections.js';
import { DEFAULT_MAX_WAIT_CALLS, OperationsApi } from './client-core.js';
import type { BaseClientOptions } from './client-options.js';
import { checkClientOptions } from './client-options.js';

export {
  checkCallOptions,
  DEFAULT_MAX_WAIT_CALLS,
  debug,
  toRawOperation,
} from './client-core.js';

/** How to reach the service over gRPC, and how calls and waits behave by default. */
export interface OperationsClientOptions extends BaseClientOptions {
  /** `'host:port'`. Required unless `channel` is given. */
  address?: string;
  /**
   * Share an existing channel (e.g. a GAPIC client's `getChannel()`); `close()` then
   * leaves it open. A channel of another grpc-js copy works too: this is the way to use
   * an application's own grpc-js when two copies are installed.
   */
  channel?: grpc.Channel | ChannelOfAnyCopy;
  /** Default: TLS with the system roots. Pass `grpc.credentials.createInsecure()` for plaintext. */
  credentials?: grpc.ChannelCredentials;
  /** grpc-js channel options of the channel this client opens (ignored with `channel`). */
  channelOptions?: grpc.ChannelOptions;
  /**
   * WaitOperation calls open at once; waiters beyond poll with GetOperation. On a shared
   * `channel` default 64 (below the common 100-stream limit, so the channel's other RPCs
   * never queue behind held waits); on a channel this client owns, default
   * `DEFAULT_MAX_WAIT_CALLS_OWNED` (held on wait connections of their own).
   */
  maxWaitCalls?: number;
  /**
   * Held WaitOperation calls per wait connection, on a channel this client owns (default
   * 90): connections are opened as needed up to `maxWaitCalls` in all, and closed when no
   * wait holds them. Ignored with a shared `channel`, which carries every call itself.
   */
  maxWaitCallsPerConnection?: number;
}

/**
 * Default `maxWaitCalls` of a client that owns its channel: its held waits go over
 * connections of their own, so the cap only bounds what the client asks of the server (one
 * stream and one pending call per wait). Chosen from measurements: BENCHMARKS.md, scenario 3.
 */
export const DEFAULT_MAX_WAIT_CALLS_OWNED = 10_000;

/** A grpc-js Channel of any copy, as far as a grpc-js Client uses it (the types of two copies differ nominally). */
export interface ChannelOfAnyCopy {
  getTarget(): string;
  close(): void;
  getConnectivityState(tryToConnect: boolean): number;
  watchConnectivityState(
    currentState: never,
    deadline: Date | number,
    callback: (error?: Error) => void,
  ): void;
  createCall(...args: never[]): unknown;
}

/** Makes the grpc-js client: on its own channel, or on a shared one. Throws TypeError without address or channel. */
function grpcClientOf(options: OperationsClientOptions): grpc.Client {
  const { address, channel } = options;
  if (channel !== undefined) {
    return new grpc.Client(channel.getTarget(), grpc.credentials.createInsecure(), {
      // Used through the methods ChannelOfAnyCopy lists, which every grpc-js 1.x channel has.
      channelOverride: channel as grpc.Channel,
    });
  }
  if (typeof address !== 'string' || address === '') {
    throw new TypeError('OperationsClient needs an address ("host:port") or a channel');
  }
  const credentials =
    options.credentials === undefined
      ? grpc.credentials.createSsl()
      : checkChannelCredentials(options.credentials, 'OperationsClient options.credentials');
  return new grpc.Client(address, credentials, options.channelOptions);
}

/** The google.longrunning.Operations service over gRPC. */
export class OperationsClient extends OperationsApi {
  readonly #grpcClient: grpc.Client;
  /** The connections of held waits; undefined on a shared channel (the client owns nothing to close). */
  readonly #waitConnections: WaitConnections | undefined;

  constructor(options: OperationsClientOptions) {
    // The same check OperationsApi makes, made first so that bad options open no channel.
    checkClientOptions(options);
    const perConnection =
      options.maxWaitCallsPerConnection === undefined
        ? DEFAULT_MAX_WAIT_CALLS_PER_CONNECTION
        : checkCount(options.maxWaitCallsPerConnection, 'maxWaitCallsPerConnection', 1);
    const registry = options.registry ?? createRegistry();
    const clock = options.clock ?? systemClock;
    const grpcClient = grpcClientOf(options);
    const owned = options.channel === undefined;
    const waitConnections = owned
      ? new WaitConnections({
          target: grpcClient.getChannel().getTarget(),
          // Checked by grpcClientOf.
          credentials: options.credentials ?? grpc.credentials.createSsl(),
          ...(options.channelOptions === undefined ? {} : { channelOptions: options.channelOptions }),
          perConnection,
          clock,
        })
      : undefined;
    super(
      new GrpcTransport(grpcClient, registry, clock, options.callDefaults ?? {}, {
        // A shared channel's security is its owner's business; only our own plaintext gets the hint.
        plaintext: owned && options.credentials?._isSecure() === false,
        ...(waitConnections === undefined ? {} : { waitConnections }),
      }),
      registry,
      clock,
      {
        ...options,
        maxWaitCalls: options.maxWaitCalls ?? (owned ? DEFAULT_MAX_WAIT_CALLS_OWNED : DEFAULT_MAX_WAIT_CALLS),
      },
      callStartMethod,
    );
    this.#grpcClient = grpcClient;
    this.#waitConnections = waitConnections;
  }

  /** Closes the channel and the wait connections this client opened; a shared channel stays open. */
  protected override onClose(): void {
    if (this.#waitConnections === undefined) return;
    this.#waitConnections.close();
    this.#grpcClient.close();
  }
}
