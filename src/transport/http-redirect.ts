/**
 * Redirects of the HTTP transport. fetch follows redirects by default, to any origin and
 * from https to http, with the request's headers (API keys included) and turning a POST
 * into a GET; here a request is made with `redirect: 'manual'` and a redirect is either
 * an error or, when asked for, followed within the base URL's origin only.
 */

import { Code } from '../wire/code.js';
import { RpcError } from '../wire/errors.js';

/** Redirects followed in a row at most, when following is enabled. */
export const MAX_REDIRECTS = 5;

/** What `fetchWithRedirects` needs besides the URL. */
export interface RedirectPolicy {
  readonly fetch: typeof fetch;
  /** Follow redirects within `origin` (true), or fail on any redirect (false). */
  readonly follow: boolean;
  /** The only origin a redirect may lead to, e.g. `'https://api.example.com'`. */
  readonly origin: string;
  /** The RPC, for errors. */
  readonly method: string;
}

/**
 * The error of a redirect the client did not follow: FAILED_PRECONDITION (not retried),
 * naming the status and the origin of `Location` (never its path or query, which may
 * carry tokens), and why it was not followed.
 */
export function redirectError(
  httpStatus: number,
  location: string | null,
  base: URL,
  method: string,
  why: string,
): RpcError {
  let target = 'no Location';
  if (location !== null) {
    try {
      target = new URL(location, base).origin;
    } catch {
      target = 'an invalid Location';
    }
  }
  return new RpcError(
    Code.FAILED_PRECONDITION,
    `HTTP ${httpStatus} redirect to ${target} not followed: ${why}`,
    [],
    method,
    new Error(`HTTP ${httpStatus}`),
  );
}

/**
 * The response to `url`, fetched with `redirect: 'manual'`. A redirect (301, 302, 303,
 * 307, 308) is RpcError FAILED_PRECONDITION unless `policy.follow`; then it is followed
 * within `policy.origin` (so never https → http), at most MAX_REDIRECTS times, a 307/308
 * with the same method and body, a 301/302/303 only for GET (never turning another method
 * into GET). Nothing is ever sent to another origin. The body of a redirect is discarded.
 */
export async function fetchWithRedirects(
  url: URL,
  init: RequestInit,
  policy: RedirectPolicy,
): Promise<Response> {
  let target = url;
  const httpMethod = init.method ?? 'GET';
  for (let hops = 0; ; hops++) {
    const response = await policy.fetch(target, { ...init, redirect: 'manual' });
    if (![301, 302, 303, 307, 308].includes(response.status)) return response;
    await response.body?.cancel().catch(() => {});
    const location = response.headers.get('location');
    const fail = (why: string): RpcError =>
      redirectError(response.status, location, target, policy.method, why);
    if (!policy.follow) {
      throw fail(
        `redirects are not followed (option redirects: 'same-origin' follows them within ${policy.origin})`,
      );
    }
    if (location === null) throw fail('the response has no Location');
    let next: URL;
    try {
      next = new URL(location, target);
    } catch {
      throw fail('the Location is not a URL');
    }
    if (next.origin !== policy.origin) throw fail(`only redirects within ${policy.origin} are followed`);
    if (hops >= MAX_REDIRECTS) throw fail(`more than ${MAX_REDIRECTS} redirects in a row`);
    if (response.status !== 307 && response.status !== 308 && httpMethod !== 'GET') {
      throw fail(
        `a ${response.status} would turn ${httpMethod} into GET; only 307 and 308 are followed for it`,
      );
    }
    target = next;
  }
}
