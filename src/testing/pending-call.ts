/**
 * One unary call the fake server has not answered yet, with the cleanups (timers, store
 * subscriptions) that must run however it ends.
 */
import type * as grpc from '@grpc/grpc-js';
import type { RpcFailure } from './faults.js';

/**
 * Ends exactly once: by `reply`, `fail` or `abandon` (client cancelled, deadline passed,
 * server stopping). Whichever comes first runs every cleanup and the `onEnd` hook; later
 * calls do nothing, so a late timer or store change cannot answer a call twice.
 */
export class PendingCall<Res> {
  readonly #callback: grpc.sendUnaryData<Res>;
  readonly #cleanups: (() => void)[] = [];
  #ended = false;

  constructor(callback: grpc.sendUnaryData<Res>, onEnd: () => void) {
    this.#callback = callback;
    this.#cleanups.push(onEnd);
  }

  /** True once the call was answered or abandoned. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Runs `cleanup` when the call ends (at once if it already has). */
  onEnd(cleanup: () => void): void {
    if (this.#ended) cleanup();
    else this.#cleanups.push(cleanup);
  }

  /** Answers with `value` unless the call already ended. */
  reply(value: Res): void {
    if (this.#end()) this.#callback(null, value);
  }

  /** Answers with `failure`'s status (and details trailer) unless the call already ended. */
  fail(failure: RpcFailure): void {
    if (this.#end()) this.#callback(failure.toStatus());
  }

  /** Ends the call without answering (the client or the server has gone). */
  abandon(): void {
    this.#end();
  }

  #end(): boolean {
    if (this.#ended) return false;
    this.#ended = true;
    for (const cleanup of this.#cleanups.splice(0).reverse()) cleanup();
    return true;
  }
}
