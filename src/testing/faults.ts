/**
 * Failures the fake server answers with: RPC errors raised by its handlers and faults a
 * test injects, sent with a `grpc-status-details-bin` trailer when they carry details.
 */
import * as grpc from '@grpc/grpc-js';
import { codeName } from '../code.js';
import { builtinRoot, encodeMessage } from '../protos.js';
import type { Any } from '../types.js';

/** The RPCs of google.longrunning.Operations. */
export type OperationsMethod =
  | 'GetOperation'
  | 'ListOperations'
  | 'CancelOperation'
  | 'DeleteOperation'
  | 'WaitOperation';

/** Every RPC the fake server serves: the Operations RPCs and the demo `Exporter.StartExport`. */
export type FakeMethod = OperationsMethod | 'StartExport';

/** A fault to inject: the next `times` calls of `method` fail with `code`. */
export interface Fault {
  readonly method: FakeMethod;
  /** A non-zero gRPC status code. */
  readonly code: number;
  /** How many calls fail (default 1). */
  readonly times?: number;
  /** The status message (default `injected <CODE_NAME>`). */
  readonly message?: string;
  /** When given, sent as the details of a google.rpc.Status in `grpc-status-details-bin`. */
  readonly details?: readonly Any[];
}

/** An RPC error a handler throws; the server answers the call with it. */
export class RpcFailure extends Error {
  /** The gRPC status code the call ends with. */
  readonly code: number;
  /** Details for the `grpc-status-details-bin` trailer; undefined sends no trailer. */
  readonly details: readonly Any[] | undefined;

  constructor(code: number, message: string, details?: readonly Any[]) {
    super(message);
    this.name = 'RpcFailure';
    this.code = code;
    this.details = details;
  }

  /**
   * The grpc-js error response for this failure. With details, the trailer carries an
   * encoded google.rpc.Status { code, message, details }.
   */
  toStatus(): grpc.ServerErrorResponse {
    const metadata = new grpc.Metadata();
    if (this.details !== undefined) {
      const status = builtinRoot().lookupType('google.rpc.Status');
      metadata.set(
        'grpc-status-details-bin',
        encodeMessage(status, { code: this.code, message: this.message, details: [...this.details] }),
      );
    }
    return Object.assign(new Error(this.message), { code: this.code, details: this.message, metadata });
  }
}

interface Pending {
  readonly failure: RpcFailure;
  remaining: number;
}

/** Injected faults per method, consumed in the order they were injected. */
export class FaultQueue {
  readonly #queues = new Map<FakeMethod, Pending[]>();

  /**
   * Queues `fault` behind earlier faults of the same method. Throws a RangeError for a
   * code that is not a positive integer or a `times` that is not a positive integer.
   */
  add(fault: Fault): void {
    const times = fault.times ?? 1;
    if (!Number.isInteger(fault.code) || fault.code <= 0) {
      throw new RangeError(`fault code must be a non-zero status code (got ${fault.code})`);
    }
    if (!Number.isInteger(times) || times < 1) {
      throw new RangeError(`fault times must be a positive integer (got ${times})`);
    }
    const failure = new RpcFailure(
      fault.code,
      fault.message ?? `injected ${codeName(fault.code)}`,
      fault.details,
    );
    const queue = this.#queues.get(fault.method) ?? [];
    queue.push({ failure, remaining: times });
    this.#queues.set(fault.method, queue);
  }

  /** Consumes one use of the oldest fault of `method` and returns it, or undefined when none is queued. */
  take(method: FakeMethod): RpcFailure | undefined {
    const queue = this.#queues.get(method);
    const head = queue?.[0];
    if (queue === undefined || head === undefined) return undefined;
    head.remaining--;
    if (head.remaining === 0) queue.shift();
    return head.failure;
  }

  /** How many failing calls are still queued for `method` (all methods when omitted). */
  pending(method?: FakeMethod): number {
    let total = 0;
    for (const [m, queue] of this.#queues) {
      if (method === undefined || m === method) for (const p of queue) total += p.remaining;
    }
    return total;
  }

  /** Drops every queued fault. */
  clear(): void {
    this.#queues.clear();
  }
}
