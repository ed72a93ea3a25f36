/**
 * A per-second quota on the fake server's operation reads, as Google's APIs meter them per
 * project: calls past the rate are refused with RESOURCE_EXHAUSTED carrying
 * `google.rpc.RetryInfo` (when the next call would be admitted), `google.rpc.QuotaFailure`
 * (which limit) and `google.rpc.ErrorInfo` (reason RATE_LIMIT_EXCEEDED), so a batch job's
 * waiting can be tested against a quota the way it meets a real API.
 */
import type { Clock } from '../base/clock.js';
import { Code } from '../wire/code.js';
import type { Any } from '../wire/types.js';
import type { OperationsMethod } from './faults.js';
import { RpcFailure } from './faults.js';

/** A quota on operation reads: `perSecond` calls a second, refilled continuously. */
export interface QuotaOptions {
  /** Calls admitted per second (> 0). */
  readonly perSecond: number;
  /**
   * The RPCs the quota meters together (default the reads: GetOperation, ListOperations,
   * WaitOperation). Calls of other methods pass unmetered.
   */
  readonly methods?: readonly OperationsMethod[];
  /** Calls that may come at once after a quiet spell (default `perSecond`, at least 1). */
  readonly burst?: number;
}

/** The methods a quota meters by default: every operation read. */
export const DEFAULT_QUOTA_METHODS: readonly OperationsMethod[] = Object.freeze([
  'GetOperation',
  'ListOperations',
  'WaitOperation',
]);

/** What packs the details of a refusal. */
interface Packer {
  pack(typeName: string, value: object): Any;
}

/** Throws TypeError / RangeError naming the field when `options` is not a valid quota. */
export function checkQuota(options: QuotaOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('quota must be an object { perSecond, methods?, burst? }');
  }
  const { perSecond, burst, methods } = options;
  if (typeof perSecond !== 'number' || !Number.isFinite(perSecond) || perSecond <= 0) {
    throw new RangeError(`quota.perSecond must be a finite number > 0 (got ${String(perSecond)})`);
  }
  if (burst !== undefined && (typeof burst !== 'number' || !Number.isFinite(burst) || burst < 1)) {
    throw new RangeError(`quota.burst must be a finite number >= 1 (got ${String(burst)})`);
  }
  if (methods !== undefined) {
    if (!Array.isArray(methods))
      throw new TypeError('quota.methods must be an array of Operations method names');
    for (const method of methods) {
      if (
        !['GetOperation', 'ListOperations', 'WaitOperation', 'CancelOperation', 'DeleteOperation'].includes(
          method,
        )
      )
        throw new RangeError(`quota.methods: ${JSON.stringify(method)} is not an Operations method`);
    }
  }
}

/**
 * A token bucket of `burst` calls, refilled at `perSecond` on `clock`. Starts full.
 * `admit` takes a token or returns the refusal to answer with.
 */
export class ReadQuota {
  readonly options: Readonly<Required<QuotaOptions>>;
  readonly #clock: Clock;
  readonly #packer: Packer;
  #tokens: number;
  #refilledAt: number;

  /** Throws like `checkQuota` for invalid options. */
  constructor(options: QuotaOptions, clock: Clock, packer: Packer) {
    checkQuota(options);
    this.options = Object.freeze({
      perSecond: options.perSecond,
      methods: Object.freeze([...(options.methods ?? DEFAULT_QUOTA_METHODS)]),
      burst: options.burst ?? Math.max(1, options.perSecond),
    });
    this.#clock = clock;
    this.#packer = packer;
    this.#tokens = this.options.burst;
    this.#refilledAt = clock.now();
  }

  /**
   * Admits one call of `method`: undefined when it may go on (a token was taken, or the
   * method is not metered), else the RESOURCE_EXHAUSTED failure to answer with.
   */
  admit(method: string): RpcFailure | undefined {
    const { perSecond, burst, methods } = this.options;
    if (!(methods as readonly string[]).includes(method)) return undefined;
    const now = this.#clock.now();
    this.#tokens = Math.min(burst, this.#tokens + ((now - this.#refilledAt) * perSecond) / 1000);
    this.#refilledAt = now;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return undefined;
    }
    // Rounded up, less a hair of float error, so the call at that time is admitted.
    const retryMs = Math.max(1, Math.ceil(((1 - this.#tokens) * 1000) / perSecond - 1e-9));
    return this.#refusal(retryMs);
  }

  #refusal(retryMs: number): RpcFailure {
    const { perSecond } = this.options;
    const limit = `Operation read requests per second: ${perSecond}`;
    const message = `Quota exceeded for quota metric 'Operation read requests' and limit '${limit}'`;
    return new RpcFailure(Code.RESOURCE_EXHAUSTED, message, [
      this.#packer.pack('google.rpc.ErrorInfo', {
        reason: 'RATE_LIMIT_EXCEEDED',
        domain: 'googleapis.com',
        metadata: { quota_metric: 'operation_reads', quota_limit_value: String(perSecond) },
      }),
      this.#packer.pack('google.rpc.QuotaFailure', {
        violations: [{ subject: 'project:fake', description: limit }],
      }),
      this.#packer.pack('google.rpc.RetryInfo', {
        retryDelay: { seconds: Math.floor(retryMs / 1000), nanos: (retryMs % 1000) * 1e6 },
      }),
    ]);
  }
}
