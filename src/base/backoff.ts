/**
 * The polling schedule: a pure computation of delays (exponential growth, a cap, random
 * jitter), with no timers. The poll loop asks it for the next delay and sleeps on a Clock.
 */
import { MAX_TIMER_MS } from './clock.js';

/** How `wait()` spaces its polls. Every field is optional; see the `DEFAULT_*` constants. */
export interface PollingOptions {
  /** Delay before the second poll, in ms (the first poll is immediate). */
  initialDelayMs?: number;
  /** Growth factor of the delay after each poll (>= 1). */
  multiplier?: number;
  /** Upper bound of any delay, jitter included, in ms. Wins over `initialDelayMs`. */
  maxDelayMs?: number;
  /** Each delay is multiplied by a random factor in [1 - jitter, 1 + jitter]; 0..1. */
  jitter?: number;
  /**
   * Longest server-side wait of one WaitOperation call, in ms (a finite number > 0). A
   * request carries at most the longest google.protobuf.Duration (10,000 years), and a
   * call's deadline past `MAX_DEADLINE_MS` is none, so a huge value never fails a call.
   */
  waitChunkMs?: number;
  /**
   * `'auto'` (default): GetOperation polling plans the next poll at the completion time
   * estimated from the progress seen (polling rule 11, see eta.ts); `false`: the backoff
   * schedule alone.
   */
  eta?: 'auto' | false;
  /**
   * How long polls may keep failing with retryable errors (no poll succeeding) before the
   * wait rejects with the last RpcError, in ms (>= 0; Infinity: never). Counted from the
   * last successful poll, or from the start of the wait.
   */
  failureBudgetMs?: number;
  /**
   * How long a wait may go on while no RPC of its client has ever been answered by the
   * server (a wrong address, TLS against a plaintext port, a name that does not resolve,
   * nothing listening) before it rejects with an RpcError naming the likely cause and its
   * fix, in ms (>= 0; Infinity: `failureBudgetMs` alone). Polling rule 14.
   */
  connectBudgetMs?: number;
}

/** Polling options with every field present and validated. */
export type ResolvedPollingOptions = Required<PollingOptions>;

/** Default delay before the second poll: 1 s. */
export const DEFAULT_INITIAL_DELAY_MS = 1000;
/** Default growth factor per poll. */
export const DEFAULT_MULTIPLIER = 1.5;
/** Default cap on any delay: 60 s. */
export const DEFAULT_MAX_DELAY_MS = 60_000;
/** Default jitter: delays vary by up to ±20%. */
export const DEFAULT_JITTER = 0.2;
/** Default server-side wait of one WaitOperation call: 30 s. */
export const DEFAULT_WAIT_CHUNK_MS = 30_000;
/** Default time polls may keep failing before a wait gives up: 5 min (a server restart takes seconds). */
export const DEFAULT_FAILURE_BUDGET_MS = 300_000;

/** Default time a wait may go on before its server has ever answered: 20 s (gRPC's own connect timeout). */
export const DEFAULT_CONNECT_BUDGET_MS = 20_000;

/** Default ETA guidance: on. */
export const DEFAULT_ETA: 'auto' | false = 'auto';

/** The default polling options, frozen. */
export const DEFAULT_POLLING: Readonly<ResolvedPollingOptions> = Object.freeze({
  initialDelayMs: DEFAULT_INITIAL_DELAY_MS,
  multiplier: DEFAULT_MULTIPLIER,
  maxDelayMs: DEFAULT_MAX_DELAY_MS,
  jitter: DEFAULT_JITTER,
  waitChunkMs: DEFAULT_WAIT_CHUNK_MS,
  failureBudgetMs: DEFAULT_FAILURE_BUDGET_MS,
  connectBudgetMs: DEFAULT_CONNECT_BUDGET_MS,
  eta: DEFAULT_ETA,
});

/** The numeric polling options. */
type NumericKey = Exclude<keyof ResolvedPollingOptions, 'eta'>;

type Check = { test: (v: number) => boolean; rule: string };
const CHECKS: Record<NumericKey, Check> = {
  initialDelayMs: { test: (v) => Number.isFinite(v) && v >= 0, rule: 'a finite number >= 0' },
  multiplier: { test: (v) => Number.isFinite(v) && v >= 1, rule: 'a finite number >= 1' },
  maxDelayMs: { test: (v) => Number.isFinite(v) && v >= 0, rule: 'a finite number >= 0' },
  jitter: { test: (v) => v >= 0 && v <= 1, rule: 'a number between 0 and 1' },
  waitChunkMs: { test: (v) => Number.isFinite(v) && v > 0, rule: 'a finite number > 0' },
  failureBudgetMs: { test: (v) => v >= 0, rule: 'a number >= 0 (Infinity: never give up)' },
  connectBudgetMs: { test: (v) => v >= 0, rule: 'a number >= 0 (Infinity: failureBudgetMs alone)' },
};

function check(key: NumericKey, value: unknown, prefix: string): number {
  if (typeof value !== 'number') {
    throw new TypeError(`${prefix}${key} must be a number (got ${typeof value})`);
  }
  if (!CHECKS[key].test(value)) {
    throw new RangeError(`${prefix}${key} must be ${CHECKS[key].rule} (got ${value})`);
  }
  return value;
}

/**
 * Fills the options missing from `options` (checked with `!== undefined`, so 0 is a
 * value) from `base`, and validates the result. Throws `TypeError` for a non-number and
 * `RangeError` for a number out of range, both naming the option and the value, e.g.
 * `polling.multiplier must be a finite number >= 1 (got 0.5)`.
 */
export function resolvePolling(
  options?: PollingOptions,
  base: ResolvedPollingOptions = DEFAULT_POLLING,
): ResolvedPollingOptions {
  const pick = (key: NumericKey): number =>
    check(key, options?.[key] !== undefined ? options[key] : base[key], 'polling.');
  const eta = options?.eta !== undefined ? options.eta : base.eta;
  if (eta !== 'auto' && eta !== false) {
    throw new TypeError(`polling.eta must be 'auto' or false (got ${JSON.stringify(eta)})`);
  }
  return {
    initialDelayMs: pick('initialDelayMs'),
    multiplier: pick('multiplier'),
    maxDelayMs: pick('maxDelayMs'),
    jitter: pick('jitter'),
    waitChunkMs: pick('waitChunkMs'),
    failureBudgetMs: pick('failureBudgetMs'),
    connectBudgetMs: pick('connectBudgetMs'),
    eta,
  };
}

/** The fields of `PollingOptions` that shape a backoff schedule. */
export type BackoffOptions = Pick<
  ResolvedPollingOptions,
  'initialDelayMs' | 'multiplier' | 'maxDelayMs' | 'jitter'
>;

/**
 * An exponential backoff schedule with jitter. Step n (0-based) is
 * `min(initialDelayMs × multiplier^n, maxDelayMs)`; each delay is the step times a factor
 * drawn uniformly from [1 - jitter, 1 + jitter], clamped to [0, maxDelayMs] and to
 * `MAX_TIMER_MS`. Growth stops at the cap, so the arithmetic never overflows.
 */
export class Backoff {
  readonly #options: BackoffOptions;
  readonly #random: () => number;
  /** Exponent of the next step; only grows while the step is below the cap. */
  #n = 0;
  /** Set once the step can no longer change (it reached the cap, or cannot grow). */
  #finalStep: number | undefined;
  #attempts = 0;

  /**
   * Throws `TypeError` / `RangeError` naming the option when one is invalid (the same
   * rules as `resolvePolling`). `random` must return numbers in [0, 1).
   */
  constructor(options: BackoffOptions, random: () => number = Math.random) {
    this.#options = {
      initialDelayMs: check('initialDelayMs', options.initialDelayMs, ''),
      multiplier: check('multiplier', options.multiplier, ''),
      maxDelayMs: check('maxDelayMs', options.maxDelayMs, ''),
      jitter: check('jitter', options.jitter, ''),
    };
    this.#random = random;
  }

  /** How many times `next()` was called since construction or the last `reset()`. */
  get attempts(): number {
    return this.#attempts;
  }

  /** Returns the next delay in ms and moves to the following step. */
  next(): number {
    const { initialDelayMs, multiplier, maxDelayMs, jitter } = this.#options;
    let step = this.#finalStep;
    if (step === undefined) {
      // Finite: n only grows while initialDelayMs × multiplier^n < maxDelayMs.
      step = Math.min(initialDelayMs * multiplier ** this.#n, maxDelayMs);
      if (step === maxDelayMs || initialDelayMs === 0 || multiplier === 1) this.#finalStep = step;
      else this.#n++;
    }
    this.#attempts++;
    const r = this.#random();
    // A random() outside [0, 1] (or NaN) is a caller bug; treat it as "no jitter".
    const factor = 1 - jitter + 2 * jitter * (r >= 0 && r <= 1 ? r : 0.5);
    return Math.max(0, Math.min(step * factor, maxDelayMs, MAX_TIMER_MS));
  }

  /** Returns to step 0 and sets `attempts` back to 0. */
  reset(): void {
    this.#n = 0;
    this.#finalStep = undefined;
    this.#attempts = 0;
  }
}
