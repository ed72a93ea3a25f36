/**
 * Failures the fake server answers with: RPC errors raised by its handlers and faults a
 * test injects, sent with a `grpc-status-details-bin` trailer when they carry details.
 */
import * as grpc from '@grpc/grpc-js';
import { builtinRoot, encodeMessage } from '../proto/builtin.js';
import { codeName } from '../wire/code.js';
import type { Any } from '../wire/types.js';
import { seededRandom } from './seeded-random.js';

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
  /** The RPC that fails. */
  readonly method: FakeMethod;
  /** A non-zero gRPC status code. */
  readonly code: number;
  /** How many calls fail (default 1). */
  readonly times?: number;
  /** The status message (default `injected <CODE_NAME>`). */
  readonly message?: string;
  /** When given, sent as the details of a google.rpc.Status in `grpc-status-details-bin`. */
  readonly details?: readonly Any[];
  /**
   * Request headers (lowercase names, e.g. `authorization`) whose values the message
   * quotes, as a careless server does: `<message> (authorization: Bearer …)`. For tests
   * that a client keeps the credentials it sent out of what it shows. gRPC calls only.
   */
  readonly echoHeaders?: readonly string[];
}

/**
 * A seeded random fault: each call of `method` (every RPC when absent) fails with `code`
 * with probability `rate`. The same seed fails the same calls, counted in arrival order.
 */
export interface FaultRate {
  /** The RPC to fail; absent: every RPC that has no rate of its own. */
  readonly method?: FakeMethod;
  /** A non-zero gRPC status code. */
  readonly code: number;
  /** The share of calls that fail, from 0 (none: removes the rate) to 1 (all). */
  readonly rate: number;
  /** The seed of the random sequence, an integer. */
  readonly seed: number;
  /** The status message (default `injected <CODE_NAME>`). */
  readonly message?: string;
}

/** What a fault rate has done since it was set. */
export interface FaultRateCounts {
  /** Calls that drew from the rate. */
  readonly calls: number;
  /** Calls it failed. */
  readonly faults: number;
}

/** An RPC error a handler throws; the server answers the call with it. */
export class RpcFailure extends Error {
  /** The gRPC status code the call ends with. */
  readonly code: number;
  /** Details for the `grpc-status-details-bin` trailer; undefined sends no trailer. */
  readonly details: readonly Any[] | undefined;
  /** Request headers whose values `withHeaders` quotes in the message (see `Fault.echoHeaders`). */
  readonly echoHeaders: readonly string[] | undefined;

  constructor(code: number, message: string, details?: readonly Any[], echoHeaders?: readonly string[]) {
    super(message);
    this.name = 'RpcFailure';
    this.code = code;
    this.details = details;
    this.echoHeaders = echoHeaders;
  }

  /**
   * This failure as answered to a call with request `headers`: its message followed by
   * `(name: value, …)` for each of `echoHeaders` the call sent; itself when it echoes none.
   */
  withHeaders(headers: Readonly<Record<string, string>> | undefined): RpcFailure {
    const echoed = (this.echoHeaders ?? []).flatMap((name) => {
      const value = headers?.[name];
      return value === undefined ? [] : [`${name}: ${value}`];
    });
    if (echoed.length === 0) return this;
    return new RpcFailure(this.code, `${this.message} (${echoed.join(', ')})`, this.details);
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

class RateRule implements FaultRateCounts {
  calls = 0;
  faults = 0;
  readonly #failure: RpcFailure;
  readonly #rate: number;
  readonly #random: () => number;

  constructor(rate: FaultRate) {
    this.#failure = new RpcFailure(rate.code, rate.message ?? `injected ${codeName(rate.code)}`);
    this.#rate = rate.rate;
    this.#random = seededRandom(rate.seed);
  }

  draw(): RpcFailure | undefined {
    this.calls++;
    if (this.#random() >= this.#rate) return undefined;
    this.faults++;
    return this.#failure;
  }
}

/** Seeded random faults: at most one rate per method, plus one for every other method. */
export class FaultRates {
  readonly #rules = new Map<FakeMethod | '*', RateRule>();

  /**
   * Sets the rate of `rate.method` (or of every method), replacing an earlier one; a rate
   * of 0 removes it. Returns its live counts. Throws a RangeError for a code that is not a
   * positive integer, a rate outside [0, 1] or a seed that is not an integer.
   */
  set(rate: FaultRate): FaultRateCounts {
    if (!Number.isInteger(rate.code) || rate.code <= 0) {
      throw new RangeError(`fault code must be a non-zero status code (got ${rate.code})`);
    }
    if (!(rate.rate >= 0 && rate.rate <= 1)) {
      throw new RangeError(`fault rate must be a number between 0 and 1 (got ${rate.rate})`);
    }
    if (!Number.isInteger(rate.seed))
      throw new RangeError(`fault seed must be an integer (got ${rate.seed})`);
    const key = rate.method ?? '*';
    const rule = new RateRule(rate);
    if (rate.rate === 0) this.#rules.delete(key);
    else this.#rules.set(key, rule);
    return rule;
  }

  /** Draws for one call of `method`: the failure to answer with, or undefined. */
  take(method: FakeMethod): RpcFailure | undefined {
    return (this.#rules.get(method) ?? this.#rules.get('*'))?.draw();
  }

  /** Removes every rate. */
  clear(): void {
    this.#rules.clear();
  }
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
      fault.echoHeaders,
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
