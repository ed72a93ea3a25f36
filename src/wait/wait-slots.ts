/**
 * A client's budget of open WaitOperation calls (`maxWaitCalls`). A loop that finds no
 * free slot polls with GetOperation instead, and its backoff sleep ends early when a slot
 * frees, so waiters beyond the cap still notice completion soon after a slot opens.
 */
export class WaitSlots {
  readonly #max: number;
  #open = 0;
  readonly #sleepers = new Set<() => void>();

  constructor(max: number) {
    this.#max = max;
  }

  /** Calls open now. */
  get open(): number {
    return this.#open;
  }

  /** Takes a slot if one is free. Every true must be followed by exactly one `release()`. */
  tryAcquire(): boolean {
    if (this.#open >= this.#max) return false;
    this.#open++;
    return true;
  }

  /** Returns a slot and wakes one sleeper that wanted one. */
  release(): void {
    this.#open = Math.max(0, this.#open - 1);
    const [first] = this.#sleepers;
    if (first !== undefined) {
      this.#sleepers.delete(first);
      first();
    }
  }

  /** Resolves when a slot is released, or never if `signal` aborts first (its listener is then removed). */
  whenFree(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return;
      const wake = (): void => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = (): void => {
        this.#sleepers.delete(wake);
      };
      this.#sleepers.add(wake);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
