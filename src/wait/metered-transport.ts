/**
 * A client's transport as its poll budget sees it (polling rules 12 and 14): every call
 * goes through here, so the budget learns each answer (successes, quota refusals, delays
 * the server asks for) and the client learns whether its server has ever answered.
 *
 * - Calls the user makes directly (`direct`) are never delayed; each attempt takes a token
 *   on credit.
 * - Calls the client's waits make (`get`, `wait`, `list` with a plan time) first wait for
 *   a token, earliest plan first; a retry within the call waits for one too; a quota
 *   refusal is not retried within the call (the poll loop backs off, the budget pauses).
 *
 * Transports built on the call pipeline meter each attempt (`AttemptMeter`); any other
 * transport is metered per call.
 */
import type { Clock } from '../base/clock.js';
import { answeredByServer } from '../transport/no-answer.js';
import {
  type AttemptMeter,
  type CallOptions,
  type ListOperationsRequest,
  METER,
  type MeteredCallOptions,
  type OperationsTransport,
} from '../transport/operations-transport.js';
import { RpcError } from '../wire/errors.js';
import type { ListOperationsPage, RawOperation } from '../wire/types.js';
import type { PollBudget } from './poll-budget.js';
import { isQuotaRefusal } from './retryable.js';

/** When a wait's call was planned and how long it may wait for a token. */
export interface Ticket {
  /** The Clock time the poll was planned for: earlier plans get tokens first. */
  readonly plannedAt: number;
  /** The longest it may wait for a token (the time left before the wait's deadline); past it, it goes on credit. */
  readonly maxWaitMs: number;
}

/** The budgeted face of a client's transport. */
export class MeteredTransport {
  /** The transport for calls the user makes directly: never delayed, counted. */
  readonly direct: OperationsTransport;
  readonly #inner: OperationsTransport;
  readonly #budget: PollBudget;
  readonly #clock: Clock;
  /** Set by the first call the server answered (rule 14). */
  #reached = false;

  constructor(inner: OperationsTransport, budget: PollBudget, clock: Clock) {
    this.#inner = inner;
    this.#budget = budget;
    this.#clock = clock;
    const direct: OperationsTransport = {
      get: (name, options) => this.#metered(undefined, options, (o) => inner.get(name, o)),
      cancel: (name, options) => this.#metered(undefined, options, (o) => inner.cancel(name, o)),
      delete: (name, options) => this.#metered(undefined, options, (o) => inner.delete(name, o)),
      list: (request, options) => this.#metered(undefined, options, (o) => inner.list(request, o)),
    };
    const { wait } = inner;
    if (wait !== undefined) {
      direct.wait = (name, timeoutMs, options) =>
        this.#metered(undefined, options, (o) => wait.call(inner, name, timeoutMs, o));
    }
    this.direct = direct;
  }

  /** True once any call of the client was answered by its server (an error the server sent counts). */
  get reached(): boolean {
    return this.#reached;
  }

  /** True when the transport has WaitOperation. */
  get hasWait(): boolean {
    return this.#inner.wait !== undefined;
  }

  /** GetOperation for a wait, after a token. */
  get(name: string, options: CallOptions, ticket: Ticket): Promise<RawOperation> {
    return this.#metered(ticket, options, (o) => this.#inner.get(name, o));
  }

  /** WaitOperation for a wait, after a token. Rejects with TypeError when the transport has none. */
  wait(name: string, timeoutMs: number, options: CallOptions, ticket: Ticket): Promise<RawOperation> {
    const { wait } = this.#inner;
    if (wait === undefined) return Promise.reject(new TypeError('this transport has no WaitOperation'));
    return this.#metered(ticket, options, (o) => wait.call(this.#inner, name, timeoutMs, o));
  }

  /** ListOperations for list reaping, after a token. */
  list(request: ListOperationsRequest, options: CallOptions, ticket: Ticket): Promise<ListOperationsPage> {
    return this.#metered(ticket, options, (o) => this.#inner.list(request, o));
  }

  /**
   * Runs `call` with a meter on its options: after a token when `ticket` is given (a
   * wait's call), on credit otherwise (a direct call). Records how each attempt ended.
   */
  async #metered<T>(
    ticket: Ticket | undefined,
    options: CallOptions,
    call: (options: MeteredCallOptions) => Promise<T>,
  ): Promise<T> {
    if (ticket === undefined) this.#budget.spend();
    else {
      const admitted = this.#budget.take(ticket.plannedAt, options.signal, ticket.maxWaitMs);
      if (admitted !== undefined) await admitted;
    }
    let attempts = 0;
    let sentAt = this.#clock.now();
    const meter: AttemptMeter = {
      retryExhausted: ticket === undefined,
      admit: (n, signal, remainingMs) => {
        attempts = n;
        if (n === 1) {
          sentAt = this.#clock.now();
          return undefined;
        }
        const retry = this.#retryAdmission(ticket, signal, remainingMs);
        if (retry === undefined) {
          sentAt = this.#clock.now();
          return undefined;
        }
        return retry.then(() => {
          sentAt = this.#clock.now();
        });
      },
      settled: (error) => this.#record(error, sentAt),
    };
    try {
      const result = await call({ ...options, [METER]: meter });
      if (attempts === 0) this.#record(undefined, sentAt);
      return result;
    } catch (error) {
      if (attempts === 0) this.#record(error, sentAt);
      throw error;
    }
  }

  /** A retry within a call: a wait's waits for a token (planned now), a direct one goes on credit. */
  #retryAdmission(ticket: Ticket | undefined, signal: AbortSignal | undefined, remainingMs: number) {
    if (ticket === undefined) {
      this.#budget.spend();
      return undefined;
    }
    return this.#budget.take(this.#clock.now(), signal, remainingMs);
  }

  /** What one attempt's end tells the budget, and whether the server has answered. */
  #record(error: unknown, sentAt: number): void {
    if (error === undefined) {
      this.#reached = true;
      this.#budget.succeeded(sentAt);
      return;
    }
    if (!answeredByServer(error) || !RpcError.is(error)) return;
    this.#reached = true;
    if (isQuotaRefusal(error)) {
      this.#budget.exhausted(sentAt, error.retryDelayMs);
      return;
    }
    this.#budget.succeeded(sentAt);
    if (error.retryDelayMs !== undefined) this.#budget.pause(error.retryDelayMs);
  }
}
