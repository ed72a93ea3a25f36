/**
 * Which failures of a wait's calls polling survives (polling rules 5 and 12): the retry
 * policy's codes, any quota refusal (RESOURCE_EXHAUSTED), and calls the connection ended
 * rather than the server answered. Anything else is the server's final word.
 */
import { type CallOptions, DEFAULT_RETRY, isSizeLimitError } from '../transport/operations-transport.js';
import { Code } from '../wire/code.js';
import { RpcError } from '../wire/errors.js';

/**
 * True for a call the connection ended rather than the server answered, and that the loop
 * did not cancel itself (`signal` not aborted): CANCELLED (a server shutting down, e.g.
 * grpc-js `forceShutdown`, or a proxy), and the INTERNAL that grpc-js reports as "Received
 * RST_STREAM with code N" (e.g. every call of a connection the server closed with a GOAWAY,
 * as HTTP/2 servers do after a burst of cancellations).
 */
function endedByConnection(error: RpcError, signal: AbortSignal): boolean {
  if (signal.aborted) return false;
  return (
    error.code === Code.CANCELLED ||
    (error.code === Code.INTERNAL && error.rawMessage.startsWith('Received RST_STREAM'))
  );
}

/**
 * True for a refusal for quota (RESOURCE_EXHAUSTED, HTTP 429), as opposed to the
 * RESOURCE_EXHAUSTED the client raises for a message over its size limits.
 */
export function isQuotaRefusal(error: RpcError): boolean {
  return error.code === Code.RESOURCE_EXHAUSTED && !isSizeLimitError(error.code, error.rawMessage);
}

/**
 * True for failures of a wait's call that polling survives: the retry policy's codes
 * (`call.retry`, else the default UNAVAILABLE and DEADLINE_EXCEEDED), a quota refusal (it
 * never fails a wait: the poll budget waits for the quota, rule 12; a message over a size
 * limit is no refusal), and calls ended by the connection (a poll is an idempotent read).
 */
export function isRetryablePollError(
  error: unknown,
  call: CallOptions,
  signal: AbortSignal,
): error is RpcError {
  if (!RpcError.is(error)) return false;
  const codes = call.retry === undefined || call.retry === false ? DEFAULT_RETRY.codes : call.retry.codes;
  return codes.includes(error.code) || endedByConnection(error, signal) || isQuotaRefusal(error);
}
