/**
 * The options of the fake server: how `FakeOperationsServer.start` binds and what it
 * serves, the services of the API under test, and `create()`'s options.
 */
import type * as grpc from '@grpc/grpc-js';
import type { Clock } from '../base/clock.js';
import type { Registry } from '../proto/registry.js';
import type { CallContext, ServiceHandlers, UnaryHandler } from './added-service.js';
import type { FakeOperationsServer } from './fake-server.js';
import type { OperationStore } from './operation-store.js';
import type { QuotaOptions } from './read-quota.js';

/** Options of `FakeOperationsServer.start`. */
export interface FakeServerOptions {
  /** Packs metadata and responses (default `createRegistry()`); the types of `protoFiles` are added to it. */
  readonly registry?: Registry;
  /** Loopback host to bind (default '127.0.0.1'). */
  readonly host?: string;
  /** Port to bind (default 0: any free port). */
  readonly port?: number;
  /** When false, WaitOperation answers UNIMPLEMENTED (default true). */
  readonly supportsWait?: boolean;
  /** Server credentials (default insecure). */
  readonly credentials?: grpc.ServerCredentials;
  /** The operations to serve (default a new store); share one to restart a server over the same state. */
  readonly store?: OperationStore;
  /** Also serve the HTTP/JSON mapping (operations.proto's bindings, plus `:wait`) at `httpUrl` (default false). */
  readonly http?: boolean;
  /** Port of the HTTP/JSON gateway (default 0: any free port); on the same host. */
  readonly httpPort?: number;
  /** Services of the API under test to serve on the same endpoint, as by `addService`. */
  readonly services?: readonly FakeService[];
  /**
   * Further .proto files whose types the server's registry gets (so `simulate()` and
   * handlers pack them) and whose services and types gRPC reflection describes (their
   * services answer UNIMPLEMENTED unless added with `addService`). Files and imports are
   * found as `registry.addProtoFiles` finds them. A file that cannot be loaded rejects `start`.
   */
  readonly protoFiles?: readonly string[];
  /** Import paths for `protoFiles`. */
  readonly includeDirs?: readonly string[];
  /**
   * The clock of the server's timers: `latencyMs`, WaitOperation timeouts and `simulate()`
   * steps (default real timers). With a `FakeClock` they fire only when the test advances
   * it, so a test asserts what the server did at exact times without waiting.
   */
  readonly clock?: Clock;
  /**
   * A quota on operation reads (default none): calls of its methods (default GetOperation,
   * ListOperations and WaitOperation, metered together) past `perSecond` are refused with
   * RESOURCE_EXHAUSTED and RetryInfo, as Google's APIs answer. Also a settable property.
   */
  readonly quota?: QuotaOptions;
}

/** What a handler of an added method is given besides the request: `{ server, metadata }`. */
export type FakeCallContext = CallContext<FakeOperationsServer>;
/** One method's handler; see `FakeOperationsServer.addService`. */
export type FakeUnaryHandler = UnaryHandler<FakeOperationsServer>;
/** Handlers by method name (the proto name, e.g. `StartExport`, or the camelCase one). */
export type FakeServiceHandlers = ServiceHandlers<FakeOperationsServer>;

/** One service of the API under test: its grpc-js definition and handlers. */
export interface FakeService {
  /** E.g. `protoLoader.loadSync(file)['my.v1.Library']`, or a generated client's `.service`. */
  readonly definition: grpc.ServiceDefinition;
  /** Handlers by method name; see `FakeOperationsServer.addService`. */
  readonly impl: FakeServiceHandlers;
}

/** Options of `FakeOperationsServer.create`. */
export interface CreateOptions {
  /** Default `operations/<id>` with a fresh id. */
  readonly name?: string;
  /** The type `setMetadata` packs with; required when `metadata` is given. */
  readonly metadataType?: string;
  /** Initial metadata, packed as `metadataType`. */
  readonly metadata?: object;
}
