/**
 * The Operation handle. One private field holds the latest raw snapshot; `done`,
 * `metadata`, `response`, `error` and `progress` are derived from it (and cached per
 * snapshot). A failed poll leaves it unchanged; a done operation is never fetched again.
 * Waits hand snapshots back through a callback and the handle writes `#raw` itself (the
 * waiting is in wait/waiter.ts). Longer than ~250 lines: the class is the public surface
 * of an operation and reads best whole (Go keeps its handle in one file too).
 */

import { type PollingOptions, resolvePolling } from '../base/backoff.js';
import { abortReason, linkSignals } from '../base/signals.js';
import { unpackAs } from '../proto/registry.js';
import { checkCallOptions } from '../transport/call-options.js';
import type { CallOptions } from '../transport/operations-transport.js';
import { checkSnapshotName } from '../wait/snapshot-name.js';
import { type BaseWaitOptions, waitUntilDone } from '../wait/waiter.js';
import { Code } from '../wire/code.js';
import { OperationError, OperationStateError } from '../wire/errors.js';
import type { RawOperation } from '../wire/types.js';
import type { ClientState } from './client-state.js';
import { jsonView, type OperationJsonView, resultOf } from './operation-view.js';
import { progressOf } from './progress.js';
import { encodeResumeToken } from './resume-token.js';

/** The declared types of an operation, and an optional way to read its progress. */
export interface OperationTypes<M = unknown> {
  /**
   * Fully-qualified response type; a response of another type is an error naming both.
   * `'google.protobuf.Any'` means any type: no check, unpacked by the Any's own type URL.
   */
  responseType?: string;
  /** Fully-qualified metadata type; checked likewise, and `'google.protobuf.Any'` likewise means any type. */
  metadataType?: string;
  /** Reads a 0..100 percentage from the unpacked metadata (default: well-known field names). */
  progress?: (metadata: M) => number | undefined;
  /**
   * This method's own polling schedule (as GAPIC service configs give each LRO method
   * one): the defaults of the handle's `wait()` and `watch()`, over the client's
   * `polling`; a wait's own `polling` keys win over these.
   */
  polling?: PollingOptions;
}

/** Options of `wait()` and `watch()`: those of every wait, and a progress callback typed by the handle. */
export interface WaitOptions<R = unknown, M = unknown> extends BaseWaitOptions {
  /**
   * Called once per snapshot whose metadata bytes or done flag changed. A throw rejects the
   * wait; so does a returned promise that rejects (never an unhandled rejection), and the
   * wait resolves only once the promises it returned have settled. Polling does not wait
   * for them.
   */
  onProgress?: (op: Operation<R, M>) => void;
}

/** Throws TypeError when `onProgress` is given and is not a function. */
function checkOnProgress(onProgress: unknown): void {
  if (onProgress !== undefined && typeof onProgress !== 'function') {
    throw new TypeError('onProgress must be a function');
  }
}

type Memo = { ok: true; value: unknown } | { ok: false; error: unknown };

/** A google.longrunning.Operation with typed `R` response and `M` metadata. */
export class Operation<R = unknown, M = unknown> {
  readonly #ctx: ClientState;
  readonly #types: OperationTypes<M>;
  /** The latest snapshot: the single source of truth. */
  #raw: RawOperation;
  /** Derived values of `#raw`; valid while `#memoOf === #raw`. */
  #memoOf: RawOperation | undefined;
  #memo = new Map<string, Memo>();

  /**
   * Handles are made by a client (`operation`, `wrap`, `resume`); this is not meant to be called directly.
   * @internal
   */
  constructor(ctx: ClientState, raw: RawOperation, types: OperationTypes<M> = {}) {
    this.#ctx = ctx;
    this.#raw = raw;
    this.#types = types;
  }

  /** The operation's full name, e.g. `operations/abc123`. */
  get name(): string {
    return this.#raw.name;
  }

  /** The last segment of the name: `'abc123'` of `'operations/abc123'`. */
  get id(): string {
    return this.name.slice(this.name.lastIndexOf('/') + 1);
  }

  /** True once the server reported the operation finished; a done handle never polls again. */
  get done(): boolean {
    return this.#raw.done;
  }

  /** The generated snapshot as last received. */
  get raw(): RawOperation {
    return this.#raw;
  }

  /** The unpacked metadata, or undefined when there is none. Throws UnknownTypeError / DecodeError when it cannot be unpacked. */
  get metadata(): M | undefined {
    const any = this.#raw.metadata;
    if (any == null) return undefined;
    return this.#derive('metadata', () => unpackAs<M>(this.#ctx.registry, any, this.#types.metadataType));
  }

  /** The unpacked response when done and succeeded; throws like `metadata` when it cannot be unpacked. */
  get response(): R | undefined {
    const any = this.#raw.response;
    if (!this.done || any == null || resultOf(this.#raw) !== 'response') return undefined;
    return this.#derive('response', () => unpackAs<R>(this.#ctx.registry, any, this.#types.responseType));
  }

  /** The error when done and failed (a non-zero status code). */
  get error(): OperationError | undefined {
    const status = this.#raw.error;
    if (!this.done || status == null || status.code === Code.OK || resultOf(this.#raw) !== 'error') {
      return undefined;
    }
    return this.#derive('error', () => OperationError.fromStatus(status, this.#ctx.registry, this.#raw));
  }

  /** True when done with code CANCELLED. */
  get cancelled(): boolean {
    return this.done && resultOf(this.#raw) === 'error' && this.#raw.error?.code === Code.CANCELLED;
  }

  /** 0..100 from the `progress` type option or the metadata's well-known fields; undefined (never a throw) when unknown. */
  get progress(): number | undefined {
    try {
      const metadata = this.metadata;
      if (metadata === undefined) return undefined;
      const custom = this.#types.progress;
      const value = custom === undefined ? progressOf(metadata) : custom(metadata);
      return value === undefined || !Number.isFinite(value) ? undefined : Math.min(100, Math.max(0, value));
    } catch {
      return undefined;
    }
  }

  /**
   * Fetches the latest state with one GetOperation, unless done. On failure the handle is
   * unchanged; a snapshot of another name (or none) is RpcError INTERNAL naming both.
   */
  async poll(options: CallOptions = {}): Promise<this> {
    this.#ctx.assertOpen();
    checkCallOptions(options);
    if (this.done) return this;
    this.#raw = checkSnapshotName(
      await this.#ctx.transport.get(this.name, options),
      this.name,
      'GetOperation',
    );
    return this;
  }

  /**
   * Waits until done and resolves the response. Rejects with OperationError (done with an
   * error), OperationStateError (done with neither), TimeoutError, RpcError (a poll failed
   * with a non-retryable code, or kept failing for `polling.failureBudgetMs`), the signal's
   * reason on abort, or what `onProgress` or `onRetry` threw (or their promise rejected
   * with). The handle stays usable after any of these.
   */
  async wait(options: WaitOptions<R, M> = {}): Promise<R> {
    const { onProgress } = options;
    checkOnProgress(onProgress);
    await waitUntilDone(this.#ctx, this.#raw, this.#withTypePolling(options), {
      wantsUpdates: onProgress !== undefined,
      onSnapshot: (raw, changed) => {
        this.#raw = raw;
        // What onProgress returns: a promise that rejects rejects the wait (waiter.ts).
        return changed ? onProgress?.(this) : undefined;
      },
      progress: () => this.progress,
    });
    return this.#settle();
  }

  /**
   * Yields a snapshot handle each time metadata or `done` changes; the last one is done
   * (check its `error`). A consumer slower than the changes sees the latest snapshot only
   * (the ones in between are skipped, never queued). Throws what `wait()` would throw
   * other than the operation's own error; after an abort, the next `next()` throws the
   * signal's reason. Breaking out of the loop stops polling.
   */
  async *watch(options: WaitOptions<R, M> = {}): AsyncGenerator<Operation<R, M>, void, undefined> {
    if (this.done) {
      yield this.#snapshot(this.#raw);
      return;
    }
    const { onProgress, signal } = options;
    checkOnProgress(onProgress);
    /** The latest changed snapshot not yet yielded. */
    let unseen: RawOperation | undefined;
    let wake: (() => void) | undefined;
    let outcome: { error?: unknown } | undefined;
    const stop = new AbortController();
    const linked = linkSignals(signal, stop.signal);
    try {
      // Inside the try: bad options throw here, and the link to the caller's signal is still removed.
      const waiting = waitUntilDone(
        this.#ctx,
        this.#raw,
        { ...this.#withTypePolling(options), signal: linked.signal },
        {
          wantsUpdates: true,
          onSnapshot: (raw, changed) => {
            this.#raw = raw;
            if (!changed) return;
            unseen = raw;
            const returned = onProgress?.(this);
            wake?.();
            return returned;
          },
          progress: () => this.progress,
        },
      ).then(
        () => {
          outcome = {};
        },
        (error: unknown) => {
          outcome = { error };
        },
      );
      void waiting.finally(() => wake?.());
      for (;;) {
        if (signal?.aborted) throw abortReason(signal);
        if (unseen !== undefined) {
          const raw = unseen;
          unseen = undefined;
          yield this.#snapshot(raw);
          continue;
        }
        if (outcome !== undefined) {
          if ('error' in outcome) throw outcome.error;
          return;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
    } finally {
      stop.abort();
      linked.cleanup();
    }
  }

  /** CancelOperation. Waits go on until the server reports the operation done (CANCELLED). */
  async cancel(options: CallOptions = {}): Promise<void> {
    this.#ctx.assertOpen();
    await this.#ctx.transport.cancel(this.name, checkCallOptions(options));
  }

  /** DeleteOperation: the server forgets the operation. */
  async delete(options: CallOptions = {}): Promise<void> {
    this.#ctx.assertOpen();
    await this.#ctx.transport.delete(this.name, checkCallOptions(options));
  }

  /** A resume token: the name and declared types, for `client.resume(token)`. */
  serialize(): string {
    return encodeResumeToken({ name: this.name, ...this.#types });
  }

  /** A JSON-friendly view. Values that cannot be unpacked appear as `{ '@type', '@error' }`; this never throws. */
  toJSON(): OperationJsonView {
    return jsonView(this, resultOf(this.#raw) === 'response');
  }

  /**
   * `options` with the declared per-method `types.polling` under the wait's own `polling`
   * (each key the wait sets wins) and over the client's. Throws like `wait()` for a bad value.
   */
  #withTypePolling(options: WaitOptions<R, M>): WaitOptions<R, M> {
    const declared = this.#types.polling;
    if (declared === undefined) return options;
    return {
      ...options,
      polling: resolvePolling(options.polling, resolvePolling(declared, this.#ctx.polling)),
    };
  }

  /** The outcome of a done snapshot: the response, or the error it stands for. */
  #settle(): R {
    const raw = this.#raw;
    const status = raw.error;
    if (status != null && resultOf(raw) === 'error') {
      if (status.code === Code.OK) {
        throw new OperationStateError(
          raw,
          `done with an error whose code is 0 (OK): ${JSON.stringify(status.message)}`,
        );
      }
      throw OperationError.fromStatus(status, this.#ctx.registry, raw);
    }
    if (raw.response == null || resultOf(raw) !== 'response')
      throw new OperationStateError(raw, 'done with neither a response nor an error');
    return this.response as R;
  }

  #snapshot(raw: RawOperation): Operation<R, M> {
    return new Operation<R, M>(this.#ctx, raw, this.#types);
  }

  #derive<T>(key: string, compute: () => T): T {
    if (this.#memoOf !== this.#raw) {
      this.#memoOf = this.#raw;
      this.#memo = new Map();
    }
    let memo = this.#memo.get(key);
    if (memo === undefined) {
      try {
        memo = { ok: true, value: compute() };
      } catch (error) {
        memo = { ok: false, error };
      }
      this.#memo.set(key, memo);
    }
    if (!memo.ok) throw memo.error;
    return memo.value as T;
  }
}
