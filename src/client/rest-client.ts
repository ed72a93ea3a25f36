/**
 * `OperationsRestClient`: the google.longrunning.Operations service over HTTP/JSON (for
 * REST-only APIs such as the Gemini API's `operations/*`), with the same methods and
 * Operation handles as the gRPC `OperationsClient`.
 */

import { systemClock } from '../base/clock.js';
import { createRegistry } from '../proto/registry.js';
import type { HttpRules } from '../transport/http-rule.js';
import { callStartMethod } from '../transport/start-call.js';
import { OperationsApi } from './client-core.js';
import type { BaseClientOptions } from './client-options.js';
import { checkClientOptions } from './client-options.js';
import { lazyRestTransport } from './lazy-rest-transport.js';

/** Where the service is, how to authenticate, and how calls and waits behave by default. */
export interface OperationsRestClientOptions extends BaseClientOptions {
  /** `'https://host'` (or with a path prefix); the rules' paths are appended. */
  baseUrl: string;
  /** Per-method HTTP rules; default operations.proto's (`GET /v1/{name=operations/**}`, …), no WaitOperation. */
  rules?: HttpRules;
  /** Sent as the `x-goog-api-key` header. */
  apiKey?: string;
  /** Called before every request (so it may refresh); sent as `authorization: Bearer <token>`. */
  token?: () => Promise<string>;
  /** Sent with every request. */
  headers?: Record<string, string>;
  /** The fetch implementation (default Node's global `fetch`). */
  fetch?: typeof fetch;
  /**
   * Redirects: `'error'` (default) fails the call with RpcError FAILED_PRECONDITION naming
   * the status and the target host, sending nothing there; `'same-origin'` follows them
   * within the base URL's origin only (never to another host, never https → http).
   */
  redirects?: 'error' | 'same-origin';
  /** The largest response body read, in bytes (default 16 MB); a larger one is RpcError RESOURCE_EXHAUSTED, not retried. */
  maxResponseBytes?: number;
}

/**
 * The google.longrunning.Operations service over HTTP/JSON. Without a `wait` rule the
 * transport has no WaitOperation, so `wait()` polls GetOperation with backoff and
 * `waitOperation()` throws TypeError. `close()` only refuses further calls: fetch keeps
 * no connection of the client's own.
 */
export class OperationsRestClient extends OperationsApi {
  /** Throws TypeError for a bad base URL, rule or option. */
  constructor(options: OperationsRestClientOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError('OperationsRestClient needs options with a baseUrl');
    }
    checkClientOptions(options);
    const registry = options.registry ?? createRegistry();
    const clock = options.clock ?? systemClock;
    const transport = lazyRestTransport({
      baseUrl: options.baseUrl,
      registry,
      clock,
      ...(options.rules === undefined ? {} : { rules: options.rules }),
      ...(options.apiKey === undefined ? {} : { apiKey: options.apiKey }),
      ...(options.token === undefined ? {} : { token: options.token }),
      ...(options.headers === undefined ? {} : { headers: options.headers }),
      ...(options.callDefaults === undefined ? {} : { callDefaults: options.callDefaults }),
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      ...(options.redirects === undefined ? {} : { redirects: options.redirects }),
      ...(options.maxResponseBytes === undefined ? {} : { maxResponseBytes: options.maxResponseBytes }),
    });
    super(transport, registry, clock, options, callStartMethod);
  }
}
