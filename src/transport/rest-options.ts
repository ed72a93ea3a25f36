/**
 * The options of the HTTP/JSON transport, and their checks: everything `RestTransport`'s
 * constructor throws for, without the network code, so that `OperationsRestClient`
 * checks its options at construction and loads the transport itself (rest.ts and the
 * HTTP modules) only at its first call.
 */

import type { Clock } from '../base/clock.js';
import { checkCount } from '../base/validate.js';
import type { Registry } from '../proto/registry.js';
import { checkCleartext, isCredentialHeader, parseBaseUrl } from './base-url.js';
import { checkHeader, checkHeaders, headerEntries } from './headers.js';
import { DEFAULT_HTTP_RULES, type HttpRule, type HttpRules, parseHttpRule } from './http-rule.js';
import type { CallOptions } from './operations-transport.js';

/** Where and how to reach an Operations service over HTTP/JSON. */
export interface RestTransportOptions {
  /** `'https://host'` or `'https://host/prefix'`; rule paths are appended. */
  readonly baseUrl: string;
  /** Converts Anys between proto3 JSON and binary. */
  readonly registry: Registry;
  /** Times retries and deadlines. */
  readonly clock: Clock;
  /** HTTP rules per method, over `DEFAULT_HTTP_RULES`. */
  readonly rules?: HttpRules;
  /** Sent as `x-goog-api-key`. */
  readonly apiKey?: string;
  /** Called before every request; sent as `authorization: Bearer <token>`. */
  readonly token?: () => Promise<string>;
  /** Sent with every request. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Per-call defaults (timeout, retry, headers), merged under each call's options. */
  readonly callDefaults?: CallOptions;
  /** The fetch implementation (default the global one). */
  readonly fetch?: typeof fetch;
  /**
   * Redirects (3xx): `'error'` (default) fails the call with RpcError FAILED_PRECONDITION
   * naming the status and the target's host, and sends nothing there; `'same-origin'`
   * follows up to 5 redirects within the base URL's origin (so never https → http), a
   * 307/308 with the same method and body, a 301/302/303 only for GET. A redirect to
   * another origin fails as with `'error'`.
   */
  readonly redirects?: 'error' | 'same-origin';
  /** The largest response body read, in bytes (default 16 MB); a larger one fails with RpcError RESOURCE_EXHAUSTED, not retried. */
  readonly maxResponseBytes?: number;
}

/** Options that passed `checkRestOptions`, parsed. */
export interface CheckedRestOptions {
  readonly url: URL;
  readonly rules: {
    readonly get: HttpRule;
    readonly list: HttpRule;
    readonly cancel: HttpRule;
    readonly delete: HttpRule;
    /** Present only when a `wait` rule was given. */
    readonly wait: HttpRule | undefined;
  };
  /** Sent with every request: `accept`, the `headers` option's, `x-goog-api-key`. */
  readonly headers: readonly [string, string][];
}

/**
 * Checks `options` and parses the base URL, rules and headers. Throws TypeError for a base
 * URL that is not http(s), a malformed rule, a header (`headers`, `apiKey`,
 * `callDefaults.metadata`) a request cannot carry (naming it, never its value), credentials
 * (`apiKey`, `token`, an `authorization` or `x-goog-api-key` header) over plain http to a
 * host that is not loopback, or a bad `redirects`; RangeError for a bad `maxResponseBytes`.
 */
export function checkRestOptions(options: RestTransportOptions): CheckedRestOptions {
  const url = parseBaseUrl(options.baseUrl);
  if (options.token !== undefined && typeof options.token !== 'function') {
    throw new TypeError('token must be a function returning a Promise of the bearer token');
  }
  checkHeaders(options.headers, 'headers');
  if (options.apiKey !== undefined) checkHeader('x-goog-api-key', options.apiKey, 'apiKey');
  checkHeaders(options.callDefaults?.metadata, 'callDefaults.metadata');
  if (options.apiKey !== undefined) checkCleartext(url, 'apiKey');
  if (options.token !== undefined) checkCleartext(url, 'token');
  for (const [where, source] of [
    ['headers', options.headers],
    ['callDefaults.metadata', options.callDefaults?.metadata],
  ] as const) {
    const credential = headerEntries(source).find(([key]) => isCredentialHeader(key));
    if (credential !== undefined) checkCleartext(url, `${where} ${JSON.stringify(credential[0])}`);
  }
  if (
    options.redirects !== undefined &&
    options.redirects !== 'error' &&
    options.redirects !== 'same-origin'
  ) {
    throw new TypeError(
      `redirects must be 'error' or 'same-origin' (got ${JSON.stringify(options.redirects)})`,
    );
  }
  if (options.maxResponseBytes !== undefined) {
    checkCount(options.maxResponseBytes, 'maxResponseBytes', 1);
  }
  const rules = options.rules ?? {};
  const parsed = {
    get: parseHttpRule(rules.get ?? DEFAULT_HTTP_RULES.get, 'rules.get'),
    list: parseHttpRule(rules.list ?? DEFAULT_HTTP_RULES.list, 'rules.list'),
    cancel: parseHttpRule(rules.cancel ?? DEFAULT_HTTP_RULES.cancel, 'rules.cancel'),
    delete: parseHttpRule(rules.delete ?? DEFAULT_HTTP_RULES.delete, 'rules.delete'),
    wait: rules.wait === undefined ? undefined : parseHttpRule(rules.wait, 'rules.wait'),
  };
  const headers: [string, string][] = [['accept', 'application/json'], ...headerEntries(options.headers)];
  if (options.apiKey !== undefined) headers.push(['x-goog-api-key', options.apiKey]);
  return { url, rules: parsed, headers };
}
