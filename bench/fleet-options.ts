/**
 * The client options the fleet workers build: DESIGN.md rules 12 and 13's `pollBudget` and
 * `listPolling` beside today's options. A library built without those keys ignores them
 * (the options object is not checked for unknown keys), one built with them reads them,
 * so the same harness measures the baseline and the new code.
 */
import type { OperationsClientOptions } from '../src/index.ts';
import { grpc } from './shared.ts';

/** `OperationsClientOptions` with rules 12 and 13's keys, as DESIGN.md names them. */
export type FleetClientOptions = OperationsClientOptions & {
  pollBudget?: { perSecond?: number | 'auto'; burst?: number };
  listPolling?:
    | 'auto'
    | false
    | {
        parentOf?: (name: string) => string;
        filter?: string;
        minWaits?: number;
        pageSize?: number;
        maxPages?: number;
      };
};

/** How ours is configured in a fleet run. */
export type OursVariant = 'defaults' | 'list-off';

/**
 * Options of ours for `variant` on `address` (insecure): `defaults` sets nothing else;
 * `list-off` sets `listPolling: false` (every wait polls with GetOperation on its own).
 */
export function fleetClientOptions(variant: OursVariant, address: string): FleetClientOptions {
  const options: FleetClientOptions = { address, credentials: grpc.credentials.createInsecure() };
  if (variant === 'list-off') options.listPolling = false;
  return options;
}
