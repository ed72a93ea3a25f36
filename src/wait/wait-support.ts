/**
 * Whether a client's server has WaitOperation, learned once per client (strategy 'auto',
 * polling rule 2), and its budget of open WaitOperation calls.
 *
 * While support is unknown, the first loop that wants WaitOperation sends its held call as
 * usual. A second loop that wants one meanwhile sends a probe instead (a WaitOperation
 * with a timeout of `PROBE_TIMEOUT_MS`, answered at once: its own poll), and every further
 * loop waits for the probe's answer. So a batch of waits started at once on a server
 * without WaitOperation learns it from two calls, not one UNIMPLEMENTED answer per wait.
 */
import { WaitSlots } from './wait-slots.js';

/** The server-side timeout of a probe: short, so the answer comes at once. */
export const PROBE_TIMEOUT_MS = 1;

/** How a loop's WaitOperation may go while support is being learned. */
export type WaitTurn =
  /** Send the held call (support is known, or this is the first try). */
  | 'go'
  /** Send a probe (this loop's poll), then call `learned` or `unsettled`. */
  | 'probe'
  /** Wait for the probe's answer, then ask again. */
  | Promise<void>;

/** A client's knowledge of WaitOperation, and its slots. */
export class WaitSupport {
  /** The budget of open WaitOperation calls (`maxWaitCalls`). */
  readonly slots: WaitSlots;
  #known: boolean | undefined;
  /** True while the first held call of unknown support is in flight. */
  #trying = false;
  /** While a probe is in flight: how to let the loops waiting for it go. */
  #probe: { readonly settled: Promise<void>; readonly release: () => void } | undefined;
  /** Set by the first probe: there is never a second (one that failed leaves every loop to its own calls). */
  #probed = false;

  constructor(maxWaitCalls: number) {
    this.slots = new WaitSlots(maxWaitCalls);
  }

  /** True once the server answered WaitOperation with UNIMPLEMENTED. */
  get unsupported(): boolean {
    return this.#known === false;
  }

  /** What a loop that wants WaitOperation should do now (see the file header). */
  turn(): WaitTurn {
    if (this.#known !== undefined || !this.#trying) {
      if (this.#known === undefined) this.#trying = true;
      return 'go';
    }
    if (this.#probe !== undefined) return this.#probe.settled;
    if (this.#probed) return 'go';
    this.#probed = true;
    let release = (): void => {};
    const settled = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.#probe = { settled, release };
    return 'probe';
  }

  /** A WaitOperation was answered (`true`) or refused as UNIMPLEMENTED (`false`): support is known for good. */
  learned(supported: boolean): void {
    this.#known ??= supported;
    this.#endTry();
  }

  /** A first try or probe ended with anything else (a transient failure): support is still unknown. */
  unsettled(): void {
    this.#endTry();
  }

  #endTry(): void {
    this.#trying = false;
    const probe = this.#probe;
    this.#probe = undefined;
    probe?.release();
  }
}
