/**
 * What one client shares with every handle it makes: the transport (budgeted: its one poll
 * budget, rule 12), registry and clock, the wait defaults, its poll loops, its list reaper
 * (rule 13) and WaitOperation knowledge, and whether it is closed. The one home of a
 * client's `closed` state: the client closes it, handles and waits check it.
 */
import { debuglog } from 'node:util';
import { type PollingOptions, type ResolvedPollingOptions, resolvePolling } from '../base/backoff.js';
import type { Clock } from '../base/clock.js';
import type { Registry } from '../proto/registry.js';
import type { CallOptions, OperationsTransport } from '../transport/operations-transport.js';
import { type ListPollingOptions, resolveListPolling } from '../wait/list-options.js';
import { ListReaper } from '../wait/list-reaper.js';
import { MeteredTransport } from '../wait/metered-transport.js';
import { PollBudget, type PollBudgetOptions } from '../wait/poll-budget.js';
import { PollLoops } from '../wait/poll-loops.js';
import { WaitSupport } from '../wait/wait-support.js';
import type { WaiterContext } from '../wait/waiter.js';
import type { RawOperation } from '../wire/types.js';

/** Debug output, enabled with NODE_DEBUG=longrunning. Never given header values. */
export const debug = debuglog('longrunning');

/** Default number of WaitOperation calls a client keeps open at once. */
export const DEFAULT_MAX_WAIT_CALLS = 64;

/** The client options the shared state is built from (already checked by the client). */
export interface ClientStateOptions {
  callDefaults?: CallOptions;
  polling?: PollingOptions;
  maxWaitCalls?: number;
  pollBudget?: PollBudgetOptions;
  listPolling?: 'auto' | false | ListPollingOptions;
}

/** One per client, shared by all its handles. */
export class ClientState implements WaiterContext {
  /** The client's transport for calls the user makes directly: never delayed, counted in the poll budget. */
  readonly transport: OperationsTransport;
  /** The same transport as the client's waits use it: each call after a token of the poll budget. */
  readonly polls: MeteredTransport;
  /** The client's one poll budget (rule 12). */
  readonly budget: PollBudget;
  /** Serves the polling waits of a shared parent with listings (rule 13); undefined with `listPolling: false`. */
  readonly reaper: ListReaper | undefined;
  /** Unpacks responses, metadata and error details. */
  readonly registry: Registry;
  readonly clock: Clock;
  /** The client's polling defaults, resolved. */
  readonly polling: ResolvedPollingOptions;
  /** The client's per-RPC defaults (headers, retry, timeout), used by every poll. */
  readonly callDefaults: CallOptions;
  /** The WaitOperation budget and whether the server has WaitOperation. */
  readonly support: WaitSupport;
  /** One poll loop per operation name. */
  readonly loops = new PollLoops<RawOperation>();
  /** Where failures nobody awaits, and retried poll failures, are reported. */
  readonly debug: (message: string) => void = debug;
  /** Set by `close()`: what every later call throws. */
  #closed: { readonly error: unknown } | undefined;

  /**
   * Throws RangeError / TypeError naming the option when `options.polling`,
   * `options.pollBudget` or `options.listPolling` is invalid.
   */
  constructor(transport: OperationsTransport, registry: Registry, clock: Clock, options: ClientStateOptions) {
    this.registry = registry;
    this.clock = clock;
    this.polling = resolvePolling(options.polling);
    this.callDefaults = options.callDefaults ?? {};
    const listPolling = resolveListPolling(options.listPolling);
    this.budget = new PollBudget(clock, options.pollBudget, this.polling.maxDelayMs);
    this.polls = new MeteredTransport(transport, this.budget, clock);
    this.transport = this.polls.direct;
    this.support = new WaitSupport(options.maxWaitCalls ?? DEFAULT_MAX_WAIT_CALLS);
    const { retry } = this.callDefaults;
    this.reaper =
      listPolling === false
        ? undefined
        : new ListReaper({
            transport: this.polls,
            clock,
            options: listPolling,
            call: retry === undefined ? {} : { retry },
            initialDelayMs: this.polling.initialDelayMs,
            debug: this.debug,
          });
  }

  /** True once any RPC of this client was answered by its server (polling rule 14). */
  get reached(): boolean {
    return this.polls.reached;
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#closed !== undefined;
  }

  /** Throws the `close()` error once the client is closed. */
  assertOpen(): void {
    if (this.#closed !== undefined) throw this.#closed.error;
  }

  /**
   * Closes the client: every running wait rejects with `error`, and so does every later
   * call. Returns false (and does nothing) when it was closed already.
   */
  close(error: unknown): boolean {
    if (this.#closed !== undefined) return false;
    this.#closed = { error };
    this.loops.close(error);
    return true;
  }
}
