/**
 * The Operation handle. One private field holds the latest raw snapshot; `done`,
 * `metadata`, `response`, `error` and `progress` are derived from it (and cached per
 * snapshot). A failed poll leaves it unchanged; a done operation is never fetched again.
 */

import { OperationError, OperationStateError } from '../errors.js';
import { Code } from '../proto/code.js';
import { unpackAs } from '../proto/registry.js';
import type { Any, RawOperation } from '../proto/types.js';
import type { CallOptions } from '../transport/operations-transport.js';
import { checkCallOptions } from '../transport/validate.js';
import type { PollingOptions } from '../wait/backoff.js';
import type { WaitStrategy } from '../wait/operation-poller.js';
import { linkSignals } from '../wait/signals.js';
import { type FollowTarget, follow, type OperationContext } from '../wait/waiter.js';
import { progressOf } from './progress.js';
import { encodeResumeToken } from './resume-token.js';

export type { OperationContext } from '../wait/waiter.js';

/** The declared types of an operation, and an optional way to read its progress. */
export interface OperationTypes<M = unknown> {
  /** Fully-qualified response type; a response of another type is an error naming both. */
  responseType?: string;
  /** Fully-qualified metadata type; likewise checked. */
  metadataType?: string;
  /** Reads a 0..100 percentage from the unpacked metadata (default: well-known field names). */
  progress?: (metadata: M) => number | undefined;
}

/** Options of `wait()` and `watch()`. */
export interface WaitOptions<R = unknown, M = unknown> extends Omit<CallOptions, 'timeoutMs'> {
  /** Total time to wait, in ms; default none (until done or aborted). On expiry: TimeoutError; the server operation goes on. */
  timeoutMs?: number;
  polling?: PollingOptions;
  /** Default 'auto': WaitOperation where the server has it, GetOperation with backoff where not. */
  strategy?: WaitStrategy;
  /** Called once per snapshot whose metadata bytes or done flag changed. A throw rejects the wait. */
  onProgress?: (op: Operation<R, M>) => void;
  /** When the signal aborts, also send CancelOperation (default false: stop waiting only). */
  cancelOnAbort?: boolean;
}

type Memo = { ok: true; value: unknown } | { ok: false; error: unknown };

/** A google.longrunning.Operation with typed `R` response and `M` metadata. */
export class Operation<R = unknown, M = unknown> {
  readonly #ctx: OperationContext;
  readonly #types: OperationTypes<M>;
  /** The latest snapshot: the single source of truth. */
  #raw: RawOperation;
  /** Derived values of `#raw`; valid while `#memoOf === #raw`. */
  #memoOf: RawOperation | undefined;
  #memo = new Map<string, Memo>();

  /** How `follow` reads and records this handle's snapshot. */
  readonly #target: FollowTarget = {
    current: () => this.#raw,
    update: (raw) => {
      this.#raw = raw;
    },
    progress: () => this.progress,
  };

  /** Handles are made by a client (`operation`, `wrap`, `resume`); this is not meant to be called directly. */
  constructor(ctx: OperationContext, raw: RawOperation, types: OperationTypes<M> = {}) {
    this.#ctx = ctx;
    this.#raw = raw;
    this.#types = types;
  }

  get name(): string {
    return this.#raw.name;
  }

  /** The last segment of the name: `'abc123'` of `'operations/abc123'`. */
  get id(): string {
    return this.name.slice(this.name.lastIndexOf('/') + 1);
  }

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
    if (!this.done || any == null) return undefined;
    return this.#derive('response', () => unpackAs<R>(this.#ctx.registry, any, this.#types.responseType));
  }

  /** The error when done and failed (a non-zero status code). */
  get error(): OperationError | undefined {
    const status = this.#raw.error;
    if (!this.done || status == null || status.code === Code.OK) return undefined;
    return this.#derive('error', () => OperationError.fromStatus(status, this.#ctx.registry, this.#raw));
  }

  /** True when done with code CANCELLED. */
  get cancelled(): boolean {
    return this.done && this.#raw.error?.code === Code.CANCELLED;
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

  /** Fetches the latest state with one GetOperation, unless done. On failure the handle is unchanged. */
  async poll(options: CallOptions = {}): Promise<this> {
    this.#ctx.hub.assertOpen();
    checkCallOptions(options);
    if (this.done) return this;
    this.#raw = await this.#ctx.transport.get(this.name, options);
    return this;
  }

  /**
   * Waits until done and resolves the response. Rejects with OperationError (done with an
   * error), OperationStateError (done with neither), TimeoutError, RpcError (a poll failed
   * with a non-retryable code), the signal's reason on abort, or what `onProgress` threw.
   * The handle stays usable after any of these.
   */
  async wait(options: WaitOptions<R, M> = {}): Promise<R> {
    const { onProgress } = options;
    const raw = await follow(
      this.#ctx,
      this.#target,
      options,
      onProgress === undefined ? undefined : () => onProgress(this),
    );
    this.#raw = raw;
    return this.#settle();
  }

  /**
   * Yields a snapshot handle each time metadata or `done` changes; the last one is done
   * (check its `error`). Throws what `wait()` would throw other than the operation's own
   * error. Breaking out of the loop stops polling.
   */
  async *watch(options: WaitOptions<R, M> = {}): AsyncGenerator<Operation<R, M>, void, undefined> {
    if (this.done) {
      yield this.#snapshot(this.#raw);
      return;
    }
    const queue: RawOperation[] = [];
    let wake: (() => void) | undefined;
    let outcome: { error?: unknown } | undefined;
    const stop = new AbortController();
    const linked = linkSignals(options.signal, stop.signal);
    const { onProgress } = options;
    const following = follow(this.#ctx, this.#target, { ...options, signal: linked.signal }, (raw) => {
      queue.push(raw);
      onProgress?.(this);
      wake?.();
    }).then(
      () => {
        outcome = {};
      },
      (error: unknown) => {
        outcome = { error };
      },
    );
    void following.finally(() => wake?.());
    try {
      for (;;) {
        for (let raw = queue.shift(); raw !== undefined; raw = queue.shift()) yield this.#snapshot(raw);
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
    this.#ctx.hub.assertOpen();
    await this.#ctx.transport.cancel(this.name, checkCallOptions(options));
  }

  /** DeleteOperation: the server forgets the operation. */
  async delete(options: CallOptions = {}): Promise<void> {
    this.#ctx.hub.assertOpen();
    await this.#ctx.transport.delete(this.name, checkCallOptions(options));
  }

  /** A resume token: the name and declared types, for `client.resume(token)`. */
  serialize(): string {
    return encodeResumeToken({ name: this.name, ...this.#types });
  }

  /** A JSON-friendly view. Values that cannot be unpacked appear as `{ '@type', '@error' }`; this never throws. */
  toJSON(): { name: string; done: boolean; metadata?: unknown; response?: unknown; error?: unknown } {
    const view = (any: Any | null | undefined, read: () => unknown): unknown => {
      if (any == null) return undefined;
      try {
        return read();
      } catch (e) {
        return { '@type': any.type_url, '@error': e instanceof Error ? e.message : String(e) };
      }
    };
    const error = this.error;
    return {
      name: this.name,
      done: this.done,
      ...(this.#raw.metadata == null ? {} : { metadata: view(this.#raw.metadata, () => this.metadata) }),
      ...(this.done && this.#raw.response != null
        ? { response: view(this.#raw.response, () => this.response) }
        : {}),
      ...(error === undefined
        ? {}
        : {
            error: {
              code: error.code,
              codeName: error.codeName,
              message: error.rawMessage,
              details: error.details.map((d) =>
                d.value === undefined
                  ? { typeName: d.typeName, bytes: Buffer.from(d.bytes ?? []).toString('base64') }
                  : { typeName: d.typeName, value: d.value },
              ),
            },
          }),
    };
  }

  /** The outcome of a done snapshot: the response, or the error it stands for. */
  #settle(): R {
    const raw = this.#raw;
    const status = raw.error;
    if (status != null) {
      if (status.code === Code.OK) {
        throw new OperationStateError(
          raw,
          `done with an error whose code is 0 (OK): ${JSON.stringify(status.message)}`,
        );
      }
      throw OperationError.fromStatus(status, this.#ctx.registry, raw);
    }
    if (raw.response == null) throw new OperationStateError(raw, 'done with neither a response nor an error');
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
