/**
 * AbortSignal helpers with guaranteed cleanup (after connect-es `signals.ts`): every
 * listener these functions add is removed on every exit path.
 */

/** A signal that follows several others, and the function that detaches it from them. */
export interface LinkedSignal {
  /** Aborts, with the same reason, as soon as any of the linked signals aborts. */
  readonly signal: AbortSignal;
  /** Removes every listener the link added. Idempotent; the signal keeps its state. */
  cleanup(): void;
}

/**
 * The reason a signal was aborted with. Real signals always carry one (the platform's
 * `AbortError` DOMException when `abort()` was called without a reason); a signal from
 * an older polyfill without `reason` gets a fresh `AbortError`.
 */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason !== undefined
    ? signal.reason
    : new DOMException('This operation was aborted', 'AbortError');
}

/**
 * Links signals: the returned signal aborts with the reason of the first input that
 * aborts. An input that is already aborted aborts it at once, and then no listener is
 * added at all. `undefined` inputs are ignored; with no inputs the signal never aborts.
 * When one input aborts, the listeners on the others are removed; call `cleanup()` when
 * the linked signal is no longer needed to remove them in every other case.
 */
export function linkSignals(...signals: (AbortSignal | undefined)[]): LinkedSignal {
  const controller = new AbortController();
  const inputs = signals.filter((s): s is AbortSignal => s !== undefined);
  const already = inputs.find((s) => s.aborted);
  if (already !== undefined) {
    controller.abort(abortReason(already));
    return { signal: controller.signal, cleanup: () => {} };
  }
  const removers: (() => void)[] = [];
  const cleanup = (): void => {
    for (const remove of removers.splice(0)) remove();
  };
  for (const input of inputs) {
    const onAbort = (): void => {
      cleanup();
      controller.abort(abortReason(input));
    };
    input.addEventListener('abort', onAbort, { once: true });
    removers.push(() => input.removeEventListener('abort', onAbort));
  }
  return { signal: controller.signal, cleanup };
}

/**
 * Settles as `promise` does, unless `signal` aborts first: then it rejects at once with
 * the signal's reason (the promise keeps running; its later outcome is ignored and never
 * reported as an unhandled rejection). If the signal is already aborted it rejects
 * immediately. The abort listener is removed whichever way it settles. Without a signal
 * the promise is returned as is.
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(abortReason(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
