/**
 * `OperationsClient`: the google.longrunning.Operations service over gRPC, plus the
 * Operation handles that wait on it. The methods live in `OperationsApi`; this class adds
 * the grpc-js channel.
 */
import * as grpc from '@grpc/grpc-js';
import { createRegistry } from '../proto/registry.js';
import { GrpcTransport } from '../transport/grpc.js';
import { checkChannelCredentials } from '../transport/grpc-interop.js';
import { checkClientOptions } from '../transport/validate.js';
import { systemClock } from '../wait/clock.js';
import { OperationsApi } from './client-core.js';
import type { BaseClientOptions } from './client-options.js';

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
}

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
  readonly #ownsChannel: boolean;

  constructor(options: OperationsClientOptions) {
    // The same check OperationsApi makes, made first so that bad options open no channel.
    checkClientOptions(options);
    const registry = options.registry ?? createRegistry();
    const clock = options.clock ?? systemClock;
    const grpcClient = grpcClientOf(options);
    super(
      new GrpcTransport(grpcClient, registry, clock, options.callDefaults ?? {}, {
        // A shared channel's security is its owner's business; only our own plaintext gets the hint.
        plaintext: options.channel === undefined && options.credentials?._isSecure() === false,
      }),
      registry,
      clock,
      options,
    );
    this.#grpcClient = grpcClient;
    this.#ownsChannel = options.channel === undefined;
  }

  /** Closes the channel this client opened; a shared channel stays open. */
  protected override onClose(): void {
    if (this.#ownsChannel) this.#grpcClient.close();
  }
}
