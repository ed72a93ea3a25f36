/**
 * A real grpc-js server for tests, demos and benchmarks: google.longrunning.Operations
 * (all five RPCs) and the demo `longrunning.demo.v1.Exporter`, over loopback, with
 * operations driven by the test, injected faults, added latency and call counters, the
 * API's own services beside them, and gRPC reflection.
 *
 * Longer than the ~250-line guide because it is the one public class of
 * `longrunning/testing` and most of it is documented options and methods; its parts live
 * in their own files (store, faults, HTTP gateway, added services, reflection).
 */
import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import type { Clock } from '../base/clock.js';
import type { StartExportRequest__Output } from '../generated/longrunning/demo/v1/StartExportRequest.js';
import { builtinRoot, serviceDefinition } from '../proto/builtin.js';
import { createRegistry, type Registry } from '../proto/registry.js';
import { Code } from '../wire/code.js';
import type { RawOperation } from '../wire/types.js';
import {
  type CallContext,
  type ServiceHandlers,
  serviceImplementation,
  type UnaryHandler,
} from './added-service.js';
import { exportJob } from './demo-exporter.js';
import {
  FakeOperationHandle,
  runSimulation,
  type SimulateOptions,
  simulationMetadata,
} from './fake-operation.js';
import {
  type FakeMethod,
  type Fault,
  FaultQueue,
  type FaultRate,
  type FaultRateCounts,
  FaultRates,
  RpcFailure,
} from './faults.js';
import { HttpGateway, type HttpRequestRecord } from './http-gateway.js';
import { OperationStore } from './operation-store.js';
import { type OperationsService, operationsService } from './operations-service.js';
import { PendingCall } from './pending-call.js';
import { FakeReflection } from './reflection.js';
import { TimerSet } from './timer-set.js';

export type { FailWith, SimulateOptions } from './fake-operation.js';
export type { FakeMethod, Fault, FaultRate, FaultRateCounts, OperationsMethod } from './faults.js';
export type { HttpRequestRecord } from './http-gateway.js';

/** Options of `FakeOperationsServer.start`. */
export interface FakeServerOptions {
  /** Packs metadata and responses (default `createRegistry()`). */
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
   * Further .proto files whose services and types gRPC reflection describes (their
   * services answer UNIMPLEMENTED unless added with `addService`). Imports resolve against
   * `includeDirs`, then the vendored protos. A file that cannot be loaded rejects `start`.
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

/** An empty counter per RPC. */
function zeroCalls(): Record<FakeMethod, number> {
  return {
    GetOperation: 0,
    ListOperations: 0,
    CancelOperation: 0,
    DeleteOperation: 0,
    WaitOperation: 0,
    StartExport: 0,
  };
}

/** `host:port`, with brackets around an IPv6 host. */
function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * A fake Operations service on a real loopback gRPC port. Every call is counted on
 * arrival (`calls`), then takes the oldest injected fault for its method, if any, then
 * waits `latencyMs`, then answers (with the fault, or from the store). Unknown operation
 * names are NOT_FOUND, an empty name INVALID_ARGUMENT. A call with no injected fault
 * draws from the method's seeded fault rate (`faultRate`), if one is set. `stop()` ends
 * open calls and clears every timer the server started.
 */
export class FakeOperationsServer {
  /** `host:port` to dial, e.g. '127.0.0.1:40123'. */
  readonly address: string;
  /** The bound port (the one the OS picked when started with port 0). */
  readonly port: number;
  /** The operations served; outlives the server and can be passed to another one. */
  readonly store: OperationStore;
  /** Packs metadata, responses and details. */
  readonly registry: Registry;
  /** Calls received per RPC, counted on arrival (including failed and cancelled ones). */
  readonly calls: Record<FakeMethod, number> = zeroCalls();
  /**
   * The request headers of the latest gRPC call of each method, as strings (binary values
   * base64): what a test checks to see which headers a client sent. Reset by `resetCounters()`.
   */
  readonly lastHeaders: Partial<Record<FakeMethod, Record<string, string>>> = {};
  /**
   * The client address (`host:port`, one per connection) of the latest gRPC call of each
   * method: what a test checks to see which connection a client used. Reset by `resetCounters()`.
   */
  readonly lastPeers: Partial<Record<FakeMethod, string>> = {};
  /** Delay in ms added before answering every RPC; may be changed at any time. */
  latencyMs = 0;

  readonly #server: grpc.Server;
  readonly #service: OperationsService;
  readonly #reflection: FakeReflection;
  /** The HTTP/JSON gateway; set by `start` when asked for, before the server is handed out. */
  #gateway: HttpGateway | undefined;
  readonly #faults = new FaultQueue();
  readonly #rates = new FaultRates();
  readonly #timers: TimerSet;
  readonly #open = new Set<{ abandon(): void }>();
  /** Random per server, so generated names stay unique across servers sharing a store. */
  readonly #idPrefix = randomBytes(4).toString('hex');
  #nextId = 1;
  #openWaits = 0;
  readonly #openWaitsByPeer = new Map<string, number>();
  #peakOpenWaits = 0;
  #stopped = false;

  private constructor(
    server: grpc.Server,
    address: string,
    port: number,
    options: FakeServerOptions,
    reflection: FakeReflection,
  ) {
    this.#server = server;
    this.#timers = new TimerSet(options.clock);
    this.#reflection = reflection;
    reflection.addToServer(server);
    this.address = address;
    this.port = port;
    this.store = options.store ?? new OperationStore();
    this.registry = options.registry ?? createRegistry();
    const root = builtinRoot();
    const service = operationsService(this.store, {
      supportsWait: options.supportsWait ?? true,
      timers: this.#timers,
    });
    this.#service = service;
    server.addService(serviceDefinition(root.lookupService('google.longrunning.Operations')), {
      GetOperation: this.#unary('GetOperation', service.GetOperation),
      ListOperations: this.#unary('ListOperations', service.ListOperations),
      CancelOperation: this.#unary('CancelOperation', service.CancelOperation),
      DeleteOperation: this.#unary('DeleteOperation', service.DeleteOperation),
      WaitOperation: this.#unary('WaitOperation', service.WaitOperation),
    });
    server.addService(serviceDefinition(root.lookupService('longrunning.demo.v1.Exporter')), {
      StartExport: this.#unary('StartExport', (r: StartExportRequest__Output, c: PendingCall<RawOperation>) =>
        c.reply(this.simulate(exportJob(r, this.registry)).snapshot),
      ),
    });
  }

  /**
   * Binds a new server (loopback '127.0.0.1', any free port, insecure by default) and
   * resolves once it accepts calls. Rejects with grpc-js's error when the port cannot be bound.
   */
  static async start(options: FakeServerOptions = {}): Promise<FakeOperationsServer> {
    const host = options.host ?? '127.0.0.1';
    const reflection = await FakeReflection.create(options.protoFiles, options.includeDirs);
    const server = new grpc.Server();
    const credentials = options.credentials ?? grpc.ServerCredentials.createInsecure();
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(formatAddress(host, options.port ?? 0), credentials, (err, bound) =>
        err === null ? resolve(bound) : reject(err),
      ),
    );
    const fake = new FakeOperationsServer(server, formatAddress(host, port), port, options, reflection);
    try {
      for (const { definition, impl } of options.services ?? []) fake.addService(definition, impl);
    } catch (error) {
      await fake.stop();
      throw error;
    }
    if (options.http === true) {
      try {
        fake.#gateway = await HttpGateway.listen({
          host,
          port: options.httpPort ?? 0,
          registry: fake.registry,
          dispatch: (method, request, reply) =>
            fake.#serve(
              method,
              request,
              fake.#service[method] as (r: object, c: PendingCall<object>) => void,
              reply,
            ),
        });
      } catch (error) {
        await fake.stop();
        throw error;
      }
    }
    return fake;
  }

  /**
   * The base URL of the HTTP/JSON gateway, e.g. 'http://127.0.0.1:40124'. Throws an Error
   * when the server was not started with `http: true`.
   */
  get httpUrl(): string {
    if (this.#gateway === undefined)
      throw new Error('this FakeOperationsServer was started without { http: true }');
    return this.#gateway.url;
  }

  /** The HTTP requests received, oldest first (the last 1000), with their raw, undecoded request targets. */
  get httpRequests(): readonly HttpRequestRecord[] {
    return this.#gateway?.requests ?? [];
  }

  /** WaitOperation calls over gRPC open now, per client address (one per connection); absent when none. */
  get openWaitsByPeer(): ReadonlyMap<string, number> {
    return this.#openWaitsByPeer;
  }

  /** WaitOperation calls open now (from arrival until answered, cancelled or stopped). */
  get openWaits(): number {
    return this.#openWaits;
  }

  /** The most WaitOperation calls open at one time since start or `resetCounters()`. */
  get peakOpenWaits(): number {
    return this.#peakOpenWaits;
  }

  /** Zeroes `calls` (in place) and sets `peakOpenWaits` to the number open now. */
  resetCounters(): void {
    Object.assign(this.calls, zeroCalls());
    for (const method of Object.keys(this.lastHeaders) as FakeMethod[]) delete this.lastHeaders[method];
    for (const method of Object.keys(this.lastPeers) as FakeMethod[]) delete this.lastPeers[method];
    this.#peakOpenWaits = this.#openWaits;
  }

  /**
   * Adds a running operation to the store and returns its handle. Throws an Error when
   * the name is taken or `metadata` comes without `metadataType`, UnknownTypeError when
   * the registry lacks `metadataType`.
   */
  create(options: CreateOptions = {}): FakeOperationHandle {
    const { metadataType, metadata } = options;
    if (metadata !== undefined && metadataType === undefined) {
      throw new Error('create(): metadata was given without metadataType');
    }
    const name = options.name ?? this.#freshName();
    const packed =
      metadata === undefined || metadataType === undefined
        ? null
        : this.registry.pack(metadataType, metadata);
    this.store.create(name, { metadata: packed });
    return new FakeOperationHandle(this.store, this.registry, name, metadataType);
  }

  /**
   * Starts a job that sets metadata at fraction 0 now, then `steps` (default 10) more
   * times over `durationMs` on the server's timers (real ones, or its `clock`), and ends
   * with the response (or `fail`).
   * Types are checked and the first metadata computed before anything is created, so a
   * bad type or a throwing callback throws here. Stops early once the operation is done
   * or deleted; `stop()` clears its timers.
   */
  simulate(options: SimulateOptions): FakeOperationHandle {
    const response = this.registry.pack(options.responseType, options.response);
    const first = simulationMetadata(options, 0, 1);
    const createOptions: CreateOptions = { metadataType: options.metadataType, metadata: first };
    const handle = this.create(
      options.name === undefined ? createOptions : { ...createOptions, name: options.name },
    );
    runSimulation(handle, this.store, this.#timers, options, response);
    return handle;
  }

  /**
   * Serves the API's own service on this endpoint, next to Operations, as a GAPIC client
   * expects. Each handler gets the request and `{ server, metadata }`, and returns the
   * response, or a handle from `server.create()` / `server.simulate()` for a method that
   * starts an operation; see `FakeUnaryHandler` for how throws end the call. Methods
   * without a handler answer UNIMPLEMENTED. The service's files (when the definition comes
   * from @grpc/proto-loader) are described by reflection from the next reflection call on.
   * Added calls are not counted in `calls` and take no injected faults or latency. Throws a
   * TypeError for a handler naming no method of the definition, a streaming method or a
   * non-function, and grpc-js's Error for a service already served.
   */
  addService(definition: grpc.ServiceDefinition, impl: FakeServiceHandlers): this {
    this.#server.addService(definition, serviceImplementation(definition, impl, this));
    this.#reflection.add(definition);
    return this;
  }

  /**
   * Makes the next `times` (default 1) calls of `fault.method` fail with `fault.code`,
   * after the faults already queued for that method. Throws a RangeError for code 0.
   */
  inject(fault: Fault): void {
    this.#faults.add(fault);
  }

  /**
   * Fails a seeded random share of the calls of `rate.method` (every method when absent)
   * with `rate.code`, from now on; faults queued by `inject` come first. Replaces the
   * earlier rate of that method; a rate of 0 removes it. Returns live counts of the calls
   * drawn and failed. Throws a RangeError for code 0, a rate outside [0, 1] or a
   * non-integer seed.
   */
  faultRate(rate: FaultRate): FaultRateCounts {
    return this.#rates.set(rate);
  }

  /**
   * Stops accepting calls, ends open calls (clients see them fail), and clears every
   * timer the server started: latency, simulations, WaitOperation timeouts. The store is
   * left as it is. Idempotent.
   */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const call of [...this.#open]) call.abandon();
    this.#timers.clearAll();
    this.#faults.clear();
    this.#rates.clear();
    this.#server.forceShutdown();
    await this.#gateway?.close();
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  #freshName(): string {
    let name: string;
    do name = `operations/${this.#idPrefix}-${this.#nextId++}`;
    while (this.store.has(name));
    return name;
  }

  /**
   * Wraps a handler with counting, faults, latency and cleanup. A handler answers through
   * its PendingCall or throws RpcFailure; any other throw is answered as INTERNAL.
   */
  #unary<Req, Res extends object>(
    method: FakeMethod,
    handle: (request: Req, call: PendingCall<Res>) => void,
  ): grpc.handleUnaryCall<Req, Res> {
    return (call, callback) => {
      this.lastHeaders[method] = Object.fromEntries(
        Object.entries(call.metadata.getMap()).map(([k, v]) => [
          k,
          typeof v === 'string' ? v : v.toString('base64'),
        ]),
      );
      const peer = call.getPeer();
      this.lastPeers[method] = peer;
      const pending = this.#serve(method, call.request, handle, callback, this.lastHeaders[method]);
      if (method === 'WaitOperation') this.#countPeerWait(peer, pending);
      call.on('cancelled', () => pending.abandon());
    };
  }

  /** Counts an open WaitOperation against its client address until it ends. */
  #countPeerWait(peer: string, pending: { onEnd(cleanup: () => void): void }): void {
    const byPeer = this.#openWaitsByPeer;
    byPeer.set(peer, (byPeer.get(peer) ?? 0) + 1);
    pending.onEnd(() => {
      const left = (byPeer.get(peer) ?? 1) - 1;
      if (left > 0) byPeer.set(peer, left);
      else byPeer.delete(peer);
    });
  }

  /**
   * Runs one call, from gRPC or the HTTP gateway, through counting, faults, latency and
   * cleanup. `headers`: the call's request headers, which a fault may echo.
   */
  #serve<Req, Res extends object>(
    method: FakeMethod,
    request: Req,
    handle: (request: Req, call: PendingCall<Res>) => void,
    callback: grpc.sendUnaryData<Res>,
    headers?: Readonly<Record<string, string>>,
  ): PendingCall<Res> {
    this.calls[method]++;
    const isWait = method === 'WaitOperation';
    const pending = new PendingCall<Res>(callback, () => {
      this.#open.delete(pending);
      if (isWait) this.#openWaits--;
    });
    this.#open.add(pending);
    if (isWait) this.#peakOpenWaits = Math.max(this.#peakOpenWaits, ++this.#openWaits);
    const fault = this.#faults.take(method) ?? this.#rates.take(method);
    const run = (): void => {
      if (fault !== undefined) {
        pending.fail(fault.withHeaders(headers));
        return;
      }
      try {
        handle(request, pending);
      } catch (error) {
        pending.fail(
          error instanceof RpcFailure
            ? error
            : new RpcFailure(Code.INTERNAL, error instanceof Error ? error.message : String(error)),
        );
      }
    };
    if (this.latencyMs > 0) pending.onEnd(this.#timers.after(this.latencyMs, run));
    else run();
    return pending;
  }
}
