/**
 * The options every client takes, whatever its transport: the gRPC `OperationsClient`,
 * the HTTP/JSON `OperationsRestClient` and `createOperation` extend this one interface,
 * so each option is documented (and checked, by `checkClientOptions`) in one place.
 */

import type { Clock } from '../base/clock.js';
import { checkCount } from '../base/validate.js';
import type { Registry } from '../proto/registry.js';
import { checkCallOptions } from '../transport/call-options.js';
import { resolveListPolling } from '../wait/list-options.js';
import { checkPollBudget } from '../wait/poll-budget.js';
import type { OperationsApiOptions } from './client-core.js';

/** How calls and waits behave by default, and what unpacks and times them. */
export interface BaseClientOptions extends OperationsApiOptions {
  /** Unpacks responses, metadata and error details (default `createRegistry()`, shared by nothing else). */
  registry?: Registry;
  /** Injectable time for polling and retry delays, for tests (default the system clock). */
  clock?: Clock;
}

/**
 * The options every client checks when it is made, whatever its transport, before it
 * opens anything: `callDefaults` (as `checkCallOptions`), `maxWaitCalls` (a whole number
 * >= 0), `pollBudget` and `listPolling`. Throws TypeError / RangeError naming the option.
 */
export function checkClientOptions(options: OperationsApiOptions): void {
  checkCallOptions(options.callDefaults, 'callDefaults');
  if (options.maxWaitCalls !== undefined) checkCount(options.maxWaitCalls, 'maxWaitCalls');
  checkPollBudget(options.pollBudget);
  resolveListPolling(options.listPolling);
}
