/**
 * How the fake server runs each call of its own services, from gRPC or the HTTP gateway:
 * counted on arrival, then metered by the read quota, then the oldest injected fault (or a
 * seeded fault rate), then the added latency, then the handler. It also keeps what tests
 * read about the calls: counts, the last headers and peer of each method, open
 * WaitOperation calls.
 */
import type * as grpc from '@grpc/grpc-js';
import { Code } from '../wire/code.js';
import { type FakeMethod, FaultQueue, FaultRates, RpcFailure } from './faults.js';
import { PendingCall } from './pending-call.js';
import type { ReadQuota } from './read-quota.js';
import type { TimerSet } from './timer-set.js';

/** An empty counter per RPC. */
export function zeroCalls(): Record<FakeMethod, number> {
  return {
    GetOperation: 0,
    ListOperations: 0,
    CancelOperation: 0,
    DeleteOperation: 0,
    WaitOperation: 0,
    StartExport: 0,
  };
}

/** A handler: answers through its PendingCall, now or later, or throws RpcFailure. */
export type CallHandler<Req, Res> = (request: Req, call: PendingCall<Res>) => void;

/** Counting, quota, faults and latency around the fake server's handlers. */
export class CallRunner {
  /** Calls received per RPC, counted on arrival (including refused, failed and cancelled ones). */
  readonly calls: Record<FakeMethod, number> = zeroCalls();
  /** The request headers of the latest gRPC call of each method, as strings (binary values base64). */
  readonly lastHeaders: Partial<Record<FakeMethod, Record<string, string>>> = {};
  /** The client address (`host:port`) of the latest gRPC call of each method. */
  readonly lastPeers: Partial<Record<FakeMethod, string>> = {};
  /** Injected faults, taken in order. */
  readonly faults = new FaultQueue();
  /** Seeded random faults. */
  readonly rates = new FaultRates();
  /** Delay in ms added before answering every call. */
  latencyMs = 0;
  /** The read quota, when one is set. */
  quota: ReadQuota | undefined;
  /** Calls refused by the quota since start or `resetCounters()`. */
  rejected = 0;
  /** Calls refused by the quota per method since start or `resetCounters()`. */
  readonly rejectedByMethod: Record<FakeMethod, number> = zeroCalls();
  readonly #timers: TimerSet;
  readonly #open = new Set<{ abandon(): void }>();
  readonly #openWaitsByPeer = new Map<string, number>();
  #openWaits = 0;
  #peakOpenWaits = 0;

  constructor(timers: TimerSet) {
    this.#timers = timers;
  }

  /** Calls received and not yet answered (or abandoned). */
  get openCalls(): number {
    return this.#open.size;
  }

  /** WaitOperation calls open now. */
  get openWaits(): number {
    return this.#openWaits;
  }

  /** The most WaitOperation calls open at one time since start or `resetCounters()`. */
  get peakOpenWaits(): number {
    return this.#peakOpenWaits;
  }

  /** WaitOperation calls over gRPC open now, per client address; absent when none. */
  get openWaitsByPeer(): ReadonlyMap<string, number> {
    return this.#openWaitsByPeer;
  }

  /** Zeroes the counters (in place) and sets `peakOpenWaits` to the number open now. */
  resetCounters(): void {
    Object.assign(this.calls, zeroCalls());
    Object.assign(this.rejectedByMethod, zeroCalls());
    this.rejected = 0;
    for (const method of Object.keys(this.lastHeaders) as FakeMethod[]) delete this.lastHeaders[method];
    for (const method of Object.keys(this.lastPeers) as FakeMethod[]) delete this.lastPeers[method];
    this.#peakOpenWaits = this.#openWaits;
  }

  /** Ends every open call without an answer (the server is stopping), and drops queued faults. */
  abandonAll(): void {
    for (const call of [...this.#open]) call.abandon();
    this.faults.clear();
    this.rates.clear();
  }

  /** A grpc-js handler of `method` that records headers and peer, then runs `handle` as `serve` does. */
  unary<Req, Res extends object>(
    method: FakeMethod,
    handle: CallHandler<Req, Res>,
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
      const pending = this.serve(method, call.request, handle, callback, this.lastHeaders[method]);
      if (method === 'WaitOperation') this.#countPeerWait(peer, pending);
      call.on('cancelled', () => pending.abandon());
    };
  }

  /**
   * Runs one call through counting, the quota, faults, latency and cleanup. A handler
   * answers through its PendingCall or throws RpcFailure; any other throw is answered as
   * INTERNAL. `headers`: the call's request headers, which a fault may echo.
   */
  serve<Req, Res extends object>(
    method: FakeMethod,
    request: Req,
    handle: CallHandler<Req, Res>,
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
    const refusal = this.quota?.admit(method);
    if (refusal !== undefined) {
      this.rejected++;
      this.rejectedByMethod[method]++;
    }
    const fault = refusal ?? this.faults.take(method) ?? this.rates.take(method);
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
}
