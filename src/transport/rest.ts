/**
 * `OperationsTransport` over HTTP/JSON with Node's built-in `fetch`: the Operations RPCs
 * mapped by HTTP rules (operations.proto's `google.api.http` annotations by default),
 * through the same call pipeline (retry policy, deadlines, abort) as the gRPC transport.
 * Bodies are proto3 JSON (see proto/json.ts); error bodies in Google's JSON error format
 * become RpcError with their details decoded (http-error.ts).
 *
 * Safety: names are checked against each rule's pattern (no `.`/`..` segments) before any
 * request; headers are checked up front and their values never appear in errors;
 * redirects are not followed unless asked for, and then only within the base URL's
 * origin; bodies are read up to `maxResponseBytes`.
 */

import { RpcError } from '../errors.js';
import { Code } from '../proto/code.js';
import { isObject } from '../proto/is-object.js';
import { durationToJson, listResponseFromJson, operationFromJson } from '../proto/json.js';
import type { Registry } from '../proto/registry.js';
import type { RawOperation } from '../proto/types.js';
import type { Clock } from '../wait/clock.js';
import { raceAbort } from '../wait/signals.js';
import { runAttempt } from './attempt-signal.js';
import { CallPipeline, waitCallOptions } from './call-pipeline.js';
import { checkHeader, checkHeaders, headerEntries } from './headers.js';
import { DEFAULT_MAX_RESPONSE_BYTES, readBodyText } from './http-body.js';
import { redirectError, rpcErrorFromHttp } from './http-error.js';
import { expandPath, type HttpRule, literalName, parseHttpRule } from './http-rule.js';
import type {
  CallOptions,
  ListOperationsPage,
  ListOperationsRequest,
  MethodName,
  OperationsTransport,
} from './operations-transport.js';
import type { Attempt } from './retry.js';
import { checkCount, checkPageSize } from './validate.js';

/** HTTP rules per method, e.g. `{ get: 'GET /v1beta/{name=operations/*}' }`. */
export interface HttpRules {
  readonly get?: string;
  readonly list?: string;
  readonly cancel?: string;
  readonly delete?: string;
  /** WaitOperation has no HTTP binding in operations.proto; give one to use it (POST with `{ timeout }`). */
  readonly wait?: string;
}

/** The bindings of operations.proto. There is none for WaitOperation. */
export const DEFAULT_HTTP_RULES = Object.freeze({
  get: 'GET /v1/{name=operations/**}',
  list: 'GET /v1/{name=operations}',
  cancel: 'POST /v1/{name=operations/**}:cancel',
  delete: 'DELETE /v1/{name=operations/**}',
} as const);

/** Redirects followed in a row at most, when following is enabled. */
export const MAX_REDIRECTS = 5;

/** Where and how to reach an Operations service over HTTP/JSON. */
export interface RestTransportOptions {
  /** `'https://host'` or `'https://host/prefix'`; rule paths are appended. */
  readonly baseUrl: string;
  readonly registry: Registry;
  readonly clock: Clock;
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

/** One request, before auth and per-call headers. */
interface Request {
  readonly method: MethodName;
  readonly rule: HttpRule;
  readonly path: string;
  readonly query?: URLSearchParams;
  readonly body?: object;
}

/** The google.longrunning.Operations service over HTTP/JSON. */
export class RestTransport implements OperationsTransport {
  /** WaitOperation: present only when a `wait` rule was given. */
  readonly wait?: (name: string, timeoutMs: number, options: CallOptions) => Promise<RawOperation>;
  readonly #baseUrl: string;
  readonly #rules: {
    readonly get: HttpRule;
    readonly list: HttpRule;
    readonly cancel: HttpRule;
    readonly delete: HttpRule;
  };
  readonly #origin: string;
  readonly #registry: Registry;
  readonly #pipeline: CallPipeline;
  readonly #headers: readonly [string, string][];
  readonly #token: (() => Promise<string>) | undefined;
  readonly #fetch: typeof fetch;
  readonly #followRedirects: boolean;
  readonly #maxResponseBytes: number;

  /**
   * Throws TypeError for a base URL that is not http(s), a malformed rule, a header
   * (`headers`, `apiKey`, `callDefaults.metadata`) a request cannot carry (naming it,
   * never its value) or a bad `redirects`; RangeError for a bad `maxResponseBytes`.
   */
  constructor(options: RestTransportOptions) {
    let url: URL;
    try {
      url = new URL(options.baseUrl);
    } catch {
      throw new TypeError(`baseUrl must be an http(s) URL (got ${JSON.stringify(options.baseUrl)})`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new TypeError(`baseUrl must be an http(s) URL (got ${JSON.stringify(options.baseUrl)})`);
    }
    if (options.token !== undefined && typeof options.token !== 'function') {
      throw new TypeError('token must be a function returning a Promise of the bearer token');
    }
    checkHeaders(options.headers, 'headers');
    if (options.apiKey !== undefined) checkHeader('x-goog-api-key', options.apiKey, 'apiKey');
    checkHeaders(options.callDefaults?.metadata, 'callDefaults.metadata');
    if (
      options.redirects !== undefined &&
      options.redirects !== 'error' &&
      options.redirects !== 'same-origin'
    ) {
      throw new TypeError(
        `redirects must be 'error' or 'same-origin' (got ${JSON.stringify(options.redirects)})`,
      );
    }
    this.#followRedirects = options.redirects === 'same-origin';
    this.#maxResponseBytes =
      options.maxResponseBytes === undefined
        ? DEFAULT_MAX_RESPONSE_BYTES
        : checkCount(options.maxResponseBytes, 'maxResponseBytes', 1);
    this.#origin = url.origin;
    this.#baseUrl = `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
    const rules = options.rules ?? {};
    this.#rules = {
      get: parseHttpRule(rules.get ?? DEFAULT_HTTP_RULES.get, 'rules.get'),
      list: parseHttpRule(rules.list ?? DEFAULT_HTTP_RULES.list, 'rules.list'),
      cancel: parseHttpRule(rules.cancel ?? DEFAULT_HTTP_RULES.cancel, 'rules.cancel'),
      delete: parseHttpRule(rules.delete ?? DEFAULT_HTTP_RULES.delete, 'rules.delete'),
    };
    this.#registry = options.registry;
    this.#pipeline = new CallPipeline(options.clock, options.callDefaults ?? {});
    this.#token = options.token;
    this.#fetch = options.fetch ?? fetch;
    const headers: [string, string][] = [['accept', 'application/json'], ...headerEntries(options.headers)];
    if (options.apiKey !== undefined) headers.push(['x-goog-api-key', options.apiKey]);
    this.#headers = headers;
    if (rules.wait !== undefined) {
      const rule = parseHttpRule(rules.wait, 'rules.wait');
      this.wait = (name, timeoutMs, callOptions) => this.#wait(rule, name, timeoutMs, callOptions);
    }
  }

  async get(name: string, options: CallOptions): Promise<RawOperation> {
    const rule = this.#rules.get;
    const json = await this.#call({ method: 'GetOperation', rule, path: expandPath(rule, name) }, options);
    return operationFromJson(json, this.#registry);
  }

  async cancel(name: string, options: CallOptions): Promise<void> {
    const rule = this.#rules.cancel;
    await this.#call({ method: 'CancelOperation', rule, path: expandPath(rule, name), body: {} }, options);
  }

  async delete(name: string, options: CallOptions): Promise<void> {
    const rule = this.#rules.delete;
    await this.#call({ method: 'DeleteOperation', rule, path: expandPath(rule, name) }, options);
  }

  /** ListOperations. Without `name`, a rule whose pattern is literal (`{name=operations}`) lists that collection. */
  async list(request: ListOperationsRequest, options: CallOptions): Promise<ListOperationsPage> {
    const rule = this.#rules.list;
    const name = request.name === undefined || request.name === '' ? literalName(rule) : request.name;
    if (name === undefined) {
      throw new TypeError(
        `listOperations needs a name matching the template of HTTP rule ${JSON.stringify(rule.source)}`,
      );
    }
    const query = new URLSearchParams();
    if (request.filter !== undefined && request.filter !== '') query.set('filter', request.filter);
    if (request.pageSize !== undefined && checkPageSize(request.pageSize) > 0)
      query.set('pageSize', String(request.pageSize));
    if (request.pageToken !== undefined && request.pageToken !== '')
      query.set('pageToken', request.pageToken);
    if (request.returnPartialSuccess === true) query.set('returnPartialSuccess', 'true');
    const json = await this.#call(
      { method: 'ListOperations', rule, path: expandPath(rule, name), query },
      options,
    );
    return listResponseFromJson(json, this.#registry);
  }

  async #wait(rule: HttpRule, name: string, timeoutMs: number, options: CallOptions): Promise<RawOperation> {
    const json = await this.#call(
      {
        method: 'WaitOperation',
        rule,
        path: expandPath(rule, name),
        body: { timeout: durationToJson(timeoutMs) },
      },
      waitCallOptions(options, timeoutMs),
    );
    return operationFromJson(json, this.#registry);
  }

  /**
   * One call through the call pipeline (defaults, deadline, retry); resolves the parsed
   * JSON object. Rejects with TypeError, before any request, for a header the request
   * cannot carry (naming it, never its value).
   */
  async #call(request: Request, options: CallOptions): Promise<Record<string, unknown>> {
    const call = this.#pipeline.resolve(options);
    const headers = new Headers([...this.#headers]);
    for (const source of call.headers) {
      for (const [key, value] of headerEntries(source)) {
        checkHeader(key, value, 'metadata');
        headers.set(key, value);
      }
    }
    return this.#pipeline.run(options, (attempt) => this.#attempt(request, headers, attempt));
  }

  /**
   * One HTTP exchange under the attempt's deadline (runAttempt). Rejects with the caller's
   * abort reason, RpcError DEADLINE_EXCEEDED at the deadline, UNAVAILABLE when the request
   * could not be made, UNAUTHENTICATED when the token provider fails, FAILED_PRECONDITION
   * for a redirect not followed, RESOURCE_EXHAUSTED for a body over `maxResponseBytes`,
   * the error body's RpcError (secrets redacted) for a non-2xx status, and INTERNAL for a
   * 2xx body that is not a JSON object.
   */
  #attempt(request: Request, callHeaders: Headers, attempt: Attempt): Promise<Record<string, unknown>> {
    const { method } = request;
    return runAttempt(
      method,
      attempt,
      async (signal) => {
        const headers = new Headers(callHeaders);
        if (this.#token !== undefined)
          headers.set('authorization', `Bearer ${await this.#bearer(method, signal)}`);
        if (request.body !== undefined) headers.set('content-type', 'application/json');
        const query = request.query?.toString() ?? '';
        const url = `${this.#baseUrl}${request.path}${query === '' ? '' : `?${query}`}`;
        const response = await this.#fetchFollowing(url, request, headers, signal);
        const text = await readBodyText(response, this.#maxResponseBytes, method);
        if (response.status < 200 || response.status > 299) {
          throw rpcErrorFromHttp(response.status, response.statusText, text, {
            registry: this.#registry,
            method,
            retryAfter: response.headers.get('retry-after'),
            secrets: [...headers.entries()]
              .filter(([key]) => key !== 'accept' && key !== 'content-type')
              .flatMap(([key, value]) =>
                key === 'authorization' ? [value, value.replace(/^Bearer /, '')] : [value],
              ),
          });
        }
        if (text.trim() === '') return {};
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch (cause) {
          throw new RpcError(
            Code.INTERNAL,
            `HTTP ${response.status} response is not JSON`,
            [],
            method,
            cause,
          );
        }
        if (!isObject(json)) {
          const kind = json === null ? 'null' : Array.isArray(json) ? 'an array' : `a ${typeof json}`;
          throw new RpcError(
            Code.INTERNAL,
            `HTTP ${response.status} response is ${kind}, not a JSON object`,
            [],
            method,
          );
        }
        return json;
      },
      (error) => {
        if (RpcError.is(error)) return error;
        const reason =
          error instanceof Error
            ? error.cause instanceof Error
              ? error.cause.message
              : error.message
            : String(error);
        return new RpcError(Code.UNAVAILABLE, `HTTP request failed: ${reason}`, [], method, error);
      },
    );
  }

  /**
   * The response to `url`, fetched without following redirects; a redirect is followed
   * only when enabled, within the base URL's origin, at most MAX_REDIRECTS times, else it
   * is RpcError FAILED_PRECONDITION (redirectError). Nothing is sent to another origin.
   */
  async #fetchFollowing(
    url: string,
    request: Request,
    headers: Headers,
    signal: AbortSignal,
  ): Promise<Response> {
    let target = new URL(url);
    const httpMethod = request.rule.method;
    for (let hops = 0; ; hops++) {
      const response = await this.#fetch(target, {
        method: httpMethod,
        headers,
        signal,
        redirect: 'manual',
        ...(request.body === undefined || httpMethod === 'GET' ? {} : { body: JSON.stringify(request.body) }),
      });
      if (response.status < 300 || response.status > 399 || response.status === 304) return response;
      await response.body?.cancel().catch(() => {});
      const location = response.headers.get('location');
      const fail = (why: string): RpcError =>
        redirectError(response.status, location, target, request.method, why);
      if (!this.#followRedirects)
        throw fail(
          "redirects are not followed (RestTransport option redirects: 'same-origin' follows them within the base URL's origin)",
        );
      if (location === null) throw fail('the response has no Location');
      let next: URL;
      try {
        next = new URL(location, target);
      } catch {
        throw fail('the Location is not a URL');
      }
      if (next.origin !== this.#origin) throw fail(`only redirects within ${this.#origin} are followed`);
      if (hops >= MAX_REDIRECTS) throw fail(`more than ${MAX_REDIRECTS} redirects in a row`);
      const keepsMethod = response.status === 307 || response.status === 308;
      if (!keepsMethod && httpMethod !== 'GET') {
        throw fail(
          `a ${response.status} would turn ${httpMethod} into GET; only 307 and 308 are followed for it`,
        );
      }
      target = next;
    }
  }

  /** The token from the provider, abandoned when `signal` aborts; a failure is RpcError UNAUTHENTICATED. */
  async #bearer(method: string, signal: AbortSignal): Promise<string> {
    const provider = this.#token;
    if (provider === undefined) return '';
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
    if (!/^[\x21-\x7e]+$/.test(token)) {
      throw new RpcError(
        Code.UNAUTHENTICATED,
        'token provider returned a token with characters a header cannot carry; the token is not shown',
        [],
        method,
      );
    }
    return token;
  }
}
