/**
 * Exit codes of `lro` and the mapping from errors to them: 0 done ok, 1 the operation
 * failed, 2 usage (including a response or metadata type missing from the registry:
 * pass --proto), 3 an RPC failed, 4 timeout, 128 + n stopped by signal n (130 SIGINT,
 * 143 SIGTERM, 129 SIGHUP), 141 stdout closed early (a pipe reader such as `head` quit).
 * A command on many operations exits with the most severe of their codes (`worstExitCode`).
 */
import {
  LongrunningError,
  OperationError,
  OperationStateError,
  RpcError,
  TimeoutError,
  UnknownTypeError,
} from '../wire/errors.js';
import { type StopSignal, signalExitCode } from './signals.js';

export const EXIT = Object.freeze({
  OK: 0,
  FAILED: 1,
  USAGE: 2,
  RPC: 3,
  TIMEOUT: 4,
  INTERRUPTED: 130,
  /** 128 + SIGPIPE: what a shell reports for a writer whose reader went away. */
  PIPE_CLOSED: 141,
});

/** A usage problem: printed as one line, exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The reason `lro` aborts a wait with when a stopping signal arrives. */
export class Interrupted extends Error {
  override readonly name = 'Interrupted';
  readonly signal: StopSignal;
  constructor(signal: StopSignal = 'SIGINT') {
    super(`interrupted by ${signal}`);
    this.signal = signal;
  }
}

/** The exit code for an error thrown by a command. */
export function exitCodeOf(error: unknown): number {
  if (error instanceof Interrupted) return signalExitCode(error.signal);
  if (error instanceof UsageError || error instanceof TypeError || error instanceof RangeError)
    return EXIT.USAGE;
  if (UnknownTypeError.is(error)) return EXIT.USAGE;
  if (OperationError.is(error) || OperationStateError.is(error)) return EXIT.FAILED;
  if (TimeoutError.is(error)) return EXIT.TIMEOUT;
  if (RpcError.is(error)) return EXIT.RPC;
  if (LongrunningError.is(error)) return EXIT.FAILED;
  return EXIT.FAILED;
}

/**
 * How severe each code is when many operations end differently, most severe last: every
 * operation succeeded (0) < some operation failed (1) < some result cannot be read without
 * --proto (2) < some operation was not done at --timeout (4) < some wait failed with an RPC
 * error, its outcome unknown (3) < stopped by a signal (128 + n). An outcome that is known
 * (failed) ranks below one that is not (timeout, RPC error): a script that sees 1 knows
 * every operation ended.
 */
const SEVERITY: readonly number[] = [EXIT.OK, EXIT.FAILED, EXIT.USAGE, EXIT.TIMEOUT, EXIT.RPC];

/** The exit code of a command on many operations: the most severe of `codes` (0 for none). */
export function worstExitCode(codes: Iterable<number>): number {
  const rank = (code: number): number => (code >= 128 ? 100 + code : SEVERITY.indexOf(code));
  let worst: number = EXIT.OK;
  for (const code of codes) if (rank(code) > rank(worst)) worst = code;
  return worst;
}
