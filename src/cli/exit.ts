/**
 * Exit codes of `lro` and the mapping from errors to them: 0 done ok, 1 the operation
 * failed, 2 usage, 3 an RPC failed, 4 timeout, 130 interrupted.
 */
import { LongrunningError, OperationError, OperationStateError, RpcError, TimeoutError } from '../errors.js';

export const EXIT = Object.freeze({ OK: 0, FAILED: 1, USAGE: 2, RPC: 3, TIMEOUT: 4, INTERRUPTED: 130 });

/** A usage problem: printed as one line, exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The reason `lro` aborts a wait with on SIGINT. */
export class Interrupted extends Error {
  override readonly name = 'Interrupted';
  constructor() {
    super('interrupted');
  }
}

/** The exit code for an error thrown by a command. */
export function exitCodeOf(error: unknown): number {
  if (error instanceof Interrupted) return EXIT.INTERRUPTED;
  if (error instanceof UsageError || error instanceof TypeError || error instanceof RangeError)
    return EXIT.USAGE;
  if (OperationError.is(error) || OperationStateError.is(error)) return EXIT.FAILED;
  if (TimeoutError.is(error)) return EXIT.TIMEOUT;
  if (RpcError.is(error)) return EXIT.RPC;
  if (LongrunningError.is(error)) return EXIT.FAILED;
  return EXIT.FAILED;
}
