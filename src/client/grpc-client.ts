/**
 * `OperationsClient`: the google.longrunning.Operations service over gRPC, plus the
 * Operation handles that wait on it. The methods live in `OperationsApi`; this class adds
 * the grpc-js channel.
 */
import * as grpc from '@grpc/grpc-js';
import { createRegistry, type Registry } from '../proto/registry.js';
import { GrpcTransport } from '../transport/grpc.js';
import type { CallOptions } from '../transport/operations-transport.js';
import { checkMs } from '../transport/validate.js';
import type { PollingOptions } from '../wait/backoff.js';
import { type Clock, systemClock } from '../wait/clock.js';
import { checkCallOptions, OperationsApi } from './client-core.js';

export {
  checkCallOptions,
  createContext,
  DEFAULT_MAX_WAIT_CALLS,
  debug,
  toRawOperation,
} from './client-core.js';

/** How to reach the service and how calls and waits behave by default. */
export interface OperationsClientOptions {
  /** `'host:port'`. Required unless `channel` is given. */
  address?: string;
  /** Share an existing channel (e.g. a GAPIC client's `getChannel()`); `close()` then leaves it open. */
  channel?: ReturnType<grpc.Client['getChannel']>;
  /** Default: TLS with the system roots. Pass `grpc.credentials.createInsecure()` for plaintext. */
  credentials?: grpc.ChannelCredentials;
  /** grpc-js channel options of the channel this client opens (ignored with `channel`). */
  channelOptions?: grpc.ChannelOptions;
  /** The types Anys are unpacked with (default `createRegistry()`: well-known, google.rpc and google.longrunning types). */
  registry?: Registry;
  /** Per-RPC defaults: timeout, retry, headers. */
  callDefaults?: CallOptions;
  /** Defaults for `wait()` polling. */
  polling?: PollingOptions;
  /** WaitOperation calls open at once (default 64); waiters beyond poll with GetOperation. */
  maxWaitCalls?: number;
  /** Injectable time, for tests. */
  clock?: Clock;
}

/** Makes the grpc-js client: on its own channel, or on a shared one. Throws TypeError without address or channel. */
function grpcClientOf(options: OperationsClientOptions): grpc.Client {
  const { address, channel } = options;
  if (channel !== undefined) {
    return new grpc.Client(channel.getTarget(), grpc.credentials.createInsecure(), {
      channelOverride: channel,
    });
  }
  if (typeof address !== 'string' || address === '') {
    throw new TypeError('OperationsClient needs an address ("host:port") or a channel');
  }
  return new grpc.Client(
    address,
    options.credentials ?? grpc.credentials.createSsl(),
    options.channelOptions,
  );
}

/** The google.longrunning.Operations service over gRPC. */
export class OperationsClient extends OperationsApi {
  readonly #grpcClient: grpc.Client;
  readonly #ownsChannel: boolean;

  constructor(options: OperationsClientOptions) {
    // Checked before the channel is made, so that bad options leave nothing open.
    checkCallOptions(options.callDefaults, 'callDefaults');
    if (options.maxWaitCalls !== undefined) checkMs(options.maxWaitCalls, 'maxWaitCalls');
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
