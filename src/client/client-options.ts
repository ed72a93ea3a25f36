/**
 * The options every client takes, whatever its transport: the gRPC `OperationsClient`,
 * the HTTP/JSON `OperationsRestClient` and `createOperation` extend this one interface,
 * so each option is documented (and checked, by `checkClientOptions`) in one place.
 */

import type { Clock } from '../base/clock.js';
import type { Registry } from '../proto/registry.js';
import type { OperationsApiOptions } from './client-core.js';

/** How calls and waits behave by default, and what unpacks and times them. */
export interface BaseClientOptions extends OperationsApiOptions {
  /** Unpacks responses, metadata and error details (default `createRegistry()`, shared by nothing else). */
  registry?: Registry;
  /** Injectable time for polling and retry delays, for tests (default the system clock). */
  clock?: Clock;
}
