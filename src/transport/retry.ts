/**
 * The retry loop of one RPC, independent of the transport: attempts run until one
 * succeeds, fails with a code the policy does not retry, runs out of attempts, or the
 * call's deadline or signal ends it. Time comes only from the injected Clock.
 */

import { Backoff } from '../base/backoff.js';
import type { Clock } from '../base/clock.js';
import type { Deadline } from '../base/deadline.js';
import { Code } from '../wire/code.js';
import { RpcError } from '../wire/errors.js';
import type { AttemptMeter, RetryPolicy } from './operations-transport.js';

/** What one attempt gets: the call's deadline and the signal to stop on. */
export interface Attempt {
  readonly deadline: Deadline;
  readonly signal: AbortSignal | undefined;
}

/**
 * The delay the server asked for before a retry, in ms (`RpcError.retryDelayMs`: an HTTP
 * `Retry-After` or a `google.rpc.RetryInfo` detail), or undefined.
 */
export function retryInfoDelayMs(error: RpcError): number | undefined {
  return error.retryDelayMs;
}

/**
 * Runs `attempt` under `policy`. Rejects with the last RpcError when retries end, with
 * any non-RpcError at once, and with the signal's reason when it aborts (also during a
 * backoff sleep, or while `meter` holds an attempt back). A retryable code waits the
 * backoff delay (at least the server's `retryDelayMs`, itself capped at the policy's
 * `maxDelayMs`); RESOURCE_EXHAUSTED outside the policy's codes is retried only when the
 * server asked for a delay (RetryInfo or Retry-After), after that delay up to
 * `maxDelayMs`, and never when `meter` says the caller handles
 * quota itself. A retry that could not start before the deadline is not made. `meter`,
 * when given, admits each attempt and hears how it ended.
 */
export async function withRetry<T>(
  attempt: (a: Attempt) => Promise<T>,
  policy: RetryPolicy | false,
  clock: Clock,
  deadline: Deadline,
  signal: AbortSignal | undefined,
  meter?: AttemptMeter,
): Promise<T> {
  const maxAttempts = policy === false ? 1 : Math.max(1, policy.maxAttempts);
  /** Made on the first retry: most calls never need one. */
  let backoff: Backoff | undefined;
  for (let n = 1; ; n++) {
    const admitted = meter?.admit(n, signal, deadline.remainingMs());
    if (admitted !== undefined) await admitted;
    try {
      const result = await attempt({ deadline, signal });
      meter?.settled(undefined);
      return result;
    } catch (error) {
      meter?.settled(error);
      if (policy === false || n >= maxAttempts || !RpcError.is(error)) throw error;
      let delay: number | undefined;
      const quota = error.code === Code.RESOURCE_EXHAUSTED;
      if (quota && meter !== undefined && !meter.retryExhausted) throw error;
      if (policy.codes.includes(error.code)) {
        backoff ??= new Backoff({ ...policy, jitter: 0.2 });
        // A delay the server asked for is a floor (retrying sooner would be refused again),
        // honoured up to the policy's maxDelayMs, never longer.
        delay = Math.max(backoff.next(), Math.min(error.retryDelayMs ?? 0, policy.maxDelayMs));
      } else if (quota && error.retryDelayMs !== undefined)
        delay = Math.min(error.retryDelayMs, policy.maxDelayMs);
      if (delay === undefined || delay >= deadline.remainingMs()) throw error;
      await clock.sleep(delay, signal);
    }
  }
}
