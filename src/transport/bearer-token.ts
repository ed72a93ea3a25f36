/**
 * The bearer token of one HTTP request, from the caller's provider (which may refresh
 * it). The token is never shown in an error.
 */

import { raceAbort } from '../base/signals.js';
import { Code } from '../wire/code.js';
import { RpcError } from '../wire/errors.js';

/** What a token may hold: visible ASCII, no spaces (RFC 6750 b64token and more). */
const TOKEN = /^[\x21-\x7e]+$/;

/**
 * The token from `provider`, abandoned when `signal` aborts (rejecting with its reason).
 * A provider that throws, returns no token or one a header cannot carry is RpcError
 * UNAUTHENTICATED for `method`; the message never quotes the token.
 */
export async function bearerToken(
  provider: () => Promise<string>,
  method: string,
  signal: AbortSignal,
): Promise<string> {
  let token: unknown;
  try {
    token = await raceAbort(Promise.resolve().then(provider), signal);
  } catch (error) {
    if (signal.aborted) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new RpcError(Code.UNAUTHENTICATED, `token provider failed: ${reason}`, [], method, error);
  }
  if (typeof token !== 'string' || token === '') {
    throw new RpcError(Code.UNAUTHENTICATED, 'token provider returned no token', [], method);
  }
  if (!TOKEN.test(token)) {
    throw new RpcError(
      Code.UNAUTHENTICATED,
      'token provider returned a token with characters a header cannot carry; the token is not shown',
      [],
      method,
    );
  }
  return token;
}
