/**
 * A real grpc-js server for tests, demos and benchmarks: google.longrunning.Operations
 * (all five RPCs) and the demo `longrunning.demo.v1.Exporter`, over loopback, with
 * operations driven by the test, injected faults, added latency and call counters, the
 * API's own services beside them, and gRPC reflection.
 *
 * Longer than the ~250-line guide because it is the one public class of
 * `longrunning/testing` and most of it is documented accessors and methods; its parts live
 * in their own files (options, call runner, read quota, store, faults, HTTP gateway, added
 * services, reflection).
 */
import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { type Clock, systemClock } from '../base/clock.js';
import type { StartExportRequest__Output } from '../generated/longrunning/demo/v1/StartExportRequest.js';
import { builtinRoot, serviceDefinition } from '../proto/builtin.js';
import { createRegistry, type Registry } from '../proto/registry.js';
import type { RawOperation } from '../wire/types.js';
import { serviceImplementation } from './added-service.js';
import { CallRunner } from './call-runner.js';
import { exportJob } from './demo-exporter.js';
import {
  FakeOperationHandle,
  runSimulation,
  type SimulateOptions,
  simulationMetadata,
} from './fake-operation.js';
import type { CreateOptions, FakeServerOptions, FakeServiceHandlers } from './fake-server-options.js';
import type { FakeMethod, Fault, FaultRate, FaultRateCounts } from './faults.js';
import { HttpGateway, type HttpRequestRecord } from './http-gateway.js';
import { OperationStore } from './operation-store.js';
import { type OperationsService, operationsService } from './operations-service.js';
import type { PendingCall } from './pending-call.js';
import { checkQuota, type QuotaOptions, ReadQuota } from './read-quota.js';
import { FakeReflection } from './reflection.js';
import { TimerSet } from './timer-set.js';

export type { FailWith, SimulateOptions } from './fake-operation.js';
export type {
  CreateOptions,
  FakeCallContext,
  FakeServerOptions,
  FakeService,
  FakeServiceHandlers,
  FakeUnaryHandler,
} from './fake-server-options.js';
export type { FakeMethod, Fault, FaultRate, FaultRateCounts, OperationsMethod } from './faults.js';
export type { HttpRequestRecord } from './http-gateway.js';
export type { QuotaOptions } from './read-quota.js';

/** `host:port`, with brackets around an IPv6 host. */
function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * A fake Operations service on a real loopback gRPC port. Every call is counted on
 * arrival (`calls`), then is metered by the read `quota` (if one is set; a refused call
 * is counted in `rejected`), then takes the oldest injected fault for its method, if any,
 * then waits `latencyMs`, then answers (with the refusal, the fault, or from the store). Unknown operation
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
  readonly #server: grpc.Server;
  readonly #service: OperationsService;
  readonly #reflection: FakeReflection;
  /** The HTTP/JSON gateway; set by `start` when asked for, before the server is handed out. */
  #gateway: HttpGateway | undefined;
  readonly #timers: TimerSet;
  /** The server's time: its `clock` option, or real time. */
  readonly #clock: Clock;
  readonly #runner: CallRunner;
  /** Random per server, so generated names stay unique across servers sharing a store. */
  readonly #idPrefix = randomBytes(4).toString('hex');
  #nextId = 1;
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
    this.#clock = options.clock ?? systemClock;
    this.#runner = new CallRunner(this.#timers);
    this.#reflection = reflection;
    reflection.addToServer(server);
    this.address = address;
    this.port = port;
    this.store = options.store ?? new OperationStore();
    this.registry = options.registry ?? createRegistry();
    if (reflection.protoRoot !== undefined) this.registry.addRoot(reflection.protoRoot);
    if (options.quota !== undefined) this.quota = options.quota;
    const root = builtinRoot();
    const service = operationsService(this.store, {
      supportsWait: options.supportsWait ?? true,
      listing: this,
      timers: this.#timers,
    });
    this.#service = service;
    server.addService(serviceDefinition(root.lookupService('google.longrunning.Operations')), {
      GetOperation: this.#runner.unary('GetOperation', service.GetOperation),
      ListOperations: this.#runner.unary('ListOperations', service.ListOperations),
      CancelOperation: this.#runner.unary('CancelOperation', service.CancelOperation),
      DeleteOperation: this.#runner.unary('DeleteOperation', service.DeleteOperation),
      WaitOperation: this.#runner.unary('WaitOperation', service.WaitOperation),
    });
    server.addService(serviceDefinition(root.lookupService('longrunning.demo.v1.Exporter')), {
      StartExport: this.#runner.unary(
        'StartExport',
        (r: StartExportRequest__Output, c: PendingCall<RawOperation>) =>
          c.reply(this.simulate(exportJob(r, this.registry)).snapshot),
      ),
    });
  }

  /**
   * Binds a new server (loopback '127.0.0.1', any free port, insecure by default) and
   * resolves once it accepts calls. Rejects with grpc-js's error when the port cannot be bound.
   */
  static async start(options: FakeServerOptions = {}): Promise<FakeOperationsServer> {
    if (options.quota !== undefined) checkQuota(options.quota);
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
            fake.#runner.serve(
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

  /** Calls received per RPC, counted on arrival (including refused, failed and cancelled ones). */
  get calls(): Record<FakeMethod, number> {
    return this.#runner.calls;
  }

  /**
   * The request headers of the latest gRPC call of each method, as strings (binary values
   * base64): what a test checks to see which headers a client sent. Reset by `resetCounters()`.
   */
  get lastHeaders(): Partial<Record<FakeMethod, Record<string, string>>> {
    return this.#runner.lastHeaders;
  }

  /**
   * The client address (`host:port`, one per connection) of the latest gRPC call of each
   * method: what a test checks to see which connection a client used. Reset by `resetCounters()`.
   */
  get lastPeers(): Partial<Record<FakeMethod, string>> {
    return this.#runner.lastPeers;
  }

  /**
   * Operation names that ListOperations leaves out while they are here, as an index that
   * lags behind does (GetOperation still finds them). Empty by default.
   */
  readonly unlisted = new Set<string>();

  /** When true, ListOperations checks its filter but does not apply it, as some servers do (default false). */
  ignoresFilter = false;

  /** Delay in ms added before answering every RPC; may be changed at any time. */
  get latencyMs(): number {
    return this.#runner.latencyMs;
  }

  /** Sets the delay added before answering every RPC from now on. */
  set latencyMs(ms: number) {
    this.#runner.latencyMs = ms;
  }

  /**
   * The quota on operation reads (undefined: none): calls of its methods past `perSecond`
   * are refused with RESOURCE_EXHAUSTED, RetryInfo, QuotaFailure and ErrorInfo, as Google's
   * APIs answer. Setting it starts a full bucket; setting undefined removes it. Throws
   * TypeError / RangeError naming the field for an invalid quota.
   */
  get quota(): Readonly<Required<QuotaOptions>> | undefined {
    return this.#runner.quota?.options;
  }

  /** Sets the quota (a full bucket from now on), or removes it with undefined. Throws like `start` for an invalid one. */
  set quota(options: QuotaOptions | undefined) {
    this.#runner.quota =
      options === undefined ? undefined : new ReadQuota(options, this.#clock, this.registry);
  }

  /** Calls refused by the quota since start or `resetCounters()`. */
  get rejected(): number {
    return this.#runner.rejected;
  }

  /** Calls refused by the quota per method since start or `resetCounters()`. */
  get rejectedByMethod(): Readonly<Record<FakeMethod, number>> {
    return this.#runner.rejectedByMethod;
  }

  /** WaitOperation calls over gRPC open now, per client address (one per connection); absent when none. */
  get openWaitsByPeer(): ReadonlyMap<string, number> {
    return this.#runner.openWaitsByPeer;
  }

  /** Calls of the Operations service (and StartExport) received and not yet answered, cancelled or stopped. */
  get openCalls(): number {
    return this.#runner.openCalls;
  }

  /** WaitOperation calls open now (from arrival until answered, cancelled or stopped). */
  get openWaits(): number {
    return this.#runner.openWaits;
  }

  /** The most WaitOperation calls open at one time since start or `resetCounters()`. */
  get peakOpenWaits(): number {
    return this.#runner.peakOpenWaits;
  }

  /** Zeroes `calls` and `rejected` (in place) and sets `peakOpenWaits` to the number open now. */
  resetCounters(): void {
    this.#runner.resetCounters();
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
    this.#runner.faults.add(fault);
  }

  /**
   * Fails a seeded random share of the calls of `rate.method` (every method when absent)
   * with `rate.code`, from now on; faults queued by `inject` come first. Replaces the
   * earlier rate of that method; a rate of 0 removes it. Returns live counts of the calls
   * drawn and failed. Throws a RangeError for code 0, a rate outside [0, 1] or a
   * non-integer seed.
   */
  faultRate(rate: FaultRate): FaultRateCounts {
    return this.#runner.rates.set(rate);
  }

  /**
   * Stops accepting calls, ends open calls (clients see them fail), and clears every
   * timer the server started: latency, simulations, WaitOperation timeouts. The store is
   * left as it is. Idempotent.
   */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#runner.abandonAll();
    this.#timers.clearAll();
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
}
