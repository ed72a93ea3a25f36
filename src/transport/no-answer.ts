/**
 * Telling a failure no server answered (nothing listening, a name that does not resolve,
 * TLS against plaintext, an untrusted certificate, a timeout before any answer) from one a
 * server sent, and the likely cause and fix of the first kind (polling rule 14: a wait
 * that has never reached its server fails fast, saying why).
 */
import { Code } from '../wire/code.js';
import { RpcError } from '../wire/errors.js';

/** grpc-js's and the HTTP transport's words for a call that no server answered. */
const NO_ANSWER =
  /^(No connection established|Name resolution failed|DNS resolution failed|Failed to connect|Deadline exceeded|HTTP request failed)/;
const REFUSED = /ECONNREFUSED/;
const UNRESOLVED = /ENOTFOUND|EAI_AGAIN|Name resolution failed|DNS resolution failed/;
const TLS_AGAINST_PLAINTEXT =
  /wrong version number|WRONG_VERSION_NUMBER|packet length too long|ssl3_get_record/;
const UNTRUSTED = /certificate|unable to verify|UNABLE_TO_VERIFY/i;

/**
 * True when `error` came from the server: any answer at all (an RpcError that is not a
 * connection failure, timeout or name resolution failure reported by the client side).
 * False for anything else, including non-RpcErrors (an abort).
 */
export function answeredByServer(error: unknown): boolean {
  if (!RpcError.is(error)) return false;
  const local =
    (error.code === Code.UNAVAILABLE || error.code === Code.DEADLINE_EXCEEDED) &&
    NO_ANSWER.test(error.rawMessage);
  return !local;
}

/** The likely cause of `error` (a call no server answered) and its fix, in one clause. */
export function noAnswerCause(error: RpcError): string {
  const raw = error.rawMessage;
  if (REFUSED.test(raw))
    return 'nothing accepts connections at that address: check the address and that the server runs';
  if (UNRESOLVED.test(raw)) return 'the host name does not resolve: check the address';
  if (TLS_AGAINST_PLAINTEXT.test(raw)) {
    return 'TLS against a plaintext server: pass grpc.credentials.createInsecure() (lro: --insecure) if the server is plaintext';
  }
  if (UNTRUSTED.test(raw))
    return "the server's TLS certificate is not trusted: pass TLS credentials with its CA";
  if (error.hint !== undefined) return error.hint;
  return 'check the address, the network, and the credentials (TLS or plaintext)';
}

/**
 * The error a wait rejects with when no RPC of its client was ever answered for
 * `budgetMs`: `error`'s code, raw message and details, with a hint naming the likely cause
 * and its fix.
 */
export function neverReachedError(error: RpcError, budgetMs: number): RpcError {
  const seconds = Math.round(budgetMs / 100) / 10;
  return new RpcError(
    error.code,
    error.rawMessage,
    error.details,
    error.method,
    error,
    `no answer from the server in ${seconds} s (connectBudgetMs); ${noAnswerCause(error)}`,
    error.retryDelayMs,
  );
}
