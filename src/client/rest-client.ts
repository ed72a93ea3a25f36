/**
 * `OperationsRestClient`: the google.longrunning.Operations service over HTTP/JSON (for
 * REST-only APIs such as the Gemini API's `operations/*`), with the same methods and
 * Operation handles as the gRPC `OperationsClient`.
 */

import { createRegistry, type Registry } from '../proto/registry.js';
import type { CallOptions } from '../transport/operations-transport.js';
import { type HttpRules, RestTransport } from '../transport/rest.js';
import type { PollingOptions } from '../wait/backoff.js';
import { type Clock, systemClock } from '../wait/clock.js';
import { OperationsApi } from './client-core.js';

/** Where the service is, how to authenticate, and how calls and waits behave by default. */
export interface OperationsRestClientOptions {
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
  /** The types Anys are unpacked with and JSON is converted through (default `createRegistry()`). */
  registry?: Registry;
  /** Per-RPC defaults: timeout, retry, headers. */
  callDefaults?: CallOptions;
  /** Defaults for `wait()` polling. */
  polling?: PollingOptions;
  /** Waiting calls open at once when a `wait` rule is given (default 64). */
  maxWaitCalls?: number;
  /** Injectable time, for tests. */
  clock?: Clock;
  /** The fetch implementation (default Node's global `fetch`). */
  fetch?: typeof fetch;
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
    const registry = options.registry ?? createRegistry();
    const clock = options.clock ?? systemClock;
    const transport = new RestTransport({
      baseUrl: options.baseUrl,
      registry,
      clock,
      ...(options.rules === undefined ? {} : { rules: options.rules }),
      ...(options.apiKey === undefined ? {} : { apiKey: options.apiKey }),
      ...(options.token === undefined ? {} : { token: options.token }),
      ...(options.headers === undefined ? {} : { headers: options.headers }),
      ...(options.callDefaults === undefined ? {} : { callDefaults: options.callDefaults }),
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    });
    super(transport, registry, clock, options);
  }
}
