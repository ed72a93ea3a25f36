/**
 * The signals `lro` treats as "stop now": SIGINT (Ctrl-C), SIGTERM (kill, a supervisor)
 * and SIGHUP (the terminal closed). A command that is stopped by one exits 128 + its
 * number (130, 143, 129), as a shell reports a process killed by it.
 */

/** The stopping signals, in the order their handlers are installed. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** One of SIGINT, SIGTERM, SIGHUP. */
export type StopSignal = (typeof STOP_SIGNALS)[number];

/** POSIX numbers of the stopping signals (the same on Linux and macOS). */
export const SIGNAL_NUMBERS: Readonly<Record<StopSignal, number>> = Object.freeze({
  SIGHUP: 1,
  SIGINT: 2,
  SIGTERM: 15,
});

/** The exit code of a command stopped by `signal`: 128 + its number. */
export function signalExitCode(signal: StopSignal): number {
  return 128 + SIGNAL_NUMBERS[signal];
}

/**
 * Calls `listener` once, on the first stopping signal, then removes every handler it
 * installed, so a second signal has its default effect (ends the process at once: the
 * way out when a graceful stop hangs). The returned function removes the handlers early;
 * calling it more than once is harmless.
 */
export function onStopSignal(listener: (signal: StopSignal) => void): () => void {
  const handlers = STOP_SIGNALS.map((signal) => [signal, () => fire(signal)] as const);
  let removed = false;
  const remove = (): void => {
    if (removed) return;
    removed = true;
    for (const [signal, handler] of handlers) process.removeListener(signal, handler);
  };
  const fire = (signal: StopSignal): void => {
    remove();
    listener(signal);
  };
  for (const [signal, handler] of handlers) process.on(signal, handler);
  return remove;
}
