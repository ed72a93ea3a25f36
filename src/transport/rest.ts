/**
 * `OperationsTransport` over HTTP/JSON with Node's built-in `fetch`: the Operations RPCs
 * mapped by HTTP rules (operations.proto's `google.api.http` annotations by default), with
 * the same retry policy, deadlines and abort as the gRPC transport. Bodies are proto3 JSON
 * (see rest-json.ts); error bodies in Google's JSON error format become RpcError with
 * their details decoded.
 */

import { decodeDetails, RpcError } from '../errors.js';
import { Code, codeFromHttpStatus } from '../proto/code.js';
import { anyFromJson, durationToJson, listResponseFromJson, operationFromJson } from '../proto/json.js';
import type { Registry } from '../proto/registry.js';
import type { RawOperation } from '../proto/types.js';
import type { Clock } from '../wait/clock.js';
import { Deadline } from '../wait/deadline.js';
import { abortReason, raceAbort } from '../wait/signals.js';
import { attemptSignal } from './attempt-signal.js';
import { expandPath, type HttpRule, literalName, parseHttpRule } from './http-rule.js';
import {
  type CallOptions,
  DEFAULT_RETRY,
  DEFAULT_RPC_TIMEOUT_MS,
  type ListOperationsPage,
  type ListOperationsRequest,
  type OperationsTransport,
} from './operations-transport.js';
import { type Attempt, withRetry } from './retry.js';

/** HTTP rules per method, e.g. `{ get: 'GET /v1beta/{name=operations/*}' }`. */
export interface HttpRules {
  /** GetOperation, e.g. `GET /v1beta/{name=operations/*}`. */
  readonly get?: string;
  /** ListOperations. */
  readonly list?: string;
  /** CancelOperation. */
  readonly cancel?: string;
  /** DeleteOperation. */
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

/** How much longer than its `timeout` a waiting HTTP call may take before the client gives up on it. */
export const HTTP_WAIT_DEADLINE_SLACK_MS = 10_000;

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
}

type MethodName = 'GetOperation' | 'ListOperations' | 'CancelOperation' | 'DeleteOperation' | 'WaitOperation';

/** One request, before auth and per-call headers. */
interface Request {
  readonly method: MethodName;
  readonly rule: HttpRule;
  readonly path: string;
  readonly query?: URLSearchParams;
  readonly body?: object;
}

interface HeaderSource {
  getMap(): Record<string, unknown>;
}

/** Headers from a plain object or from grpc Metadata (binary values are left out). */
function headerEntries(headers: CallOptions['metadata']): [string, string][] {
  if (headers === undefined) return [];
  const source: object = headers;
  const map: Record<string, unknown> =
    'getMap' in source && typeof source.getMap === 'function'
      ? (source as HeaderSource).getMap()
      : (headers as Record<string, string>);
  return Object.entries(map).filter((e): e is [string, string] => typeof e[1] === 'string');
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** The code named `name` ('NOT_FOUND'), or undefined. */
function codeOfName(name: unknown): number | undefined {
  if (typeof name !== 'string' || !Object.hasOwn(Code, name)) return undefined;
  return (Code as Readonly<Record<string, number>>)[name];
}

/**
 * The RpcError of a non-2xx response. The body `{ error: { code, status, message, details } }`
 * gives the code (from `status`, else the HTTP status by the standard table), the message
 * and the details (decoded through `registry`; undecodable ones kept as bytes). Any other
 * body gives the code of the HTTP status and a message quoting the start of the body.
 */
export function rpcErrorFromHttp(
  httpStatus: number,
  statusText: string,
  bodyText: string,
  registry: Registry,
  method: string,
): RpcError {
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch {
    body = undefined;
  }
  const wrapped = Array.isArray(body) ? body[0] : body;
  const error = isObject(wrapped) && isObject(wrapped.error) ? wrapped.error : undefined;
  const code = codeOfName(error?.status) ?? codeFromHttpStatus(httpStatus);
  const snippet = bodyText.trim().slice(0, 200);
  const message =
    typeof error?.message === 'string'
      ? error.message
      : `HTTP ${httpStatus} ${statusText}${snippet === '' ? '' : `: ${snippet}`}`;
  const anys = Array.isArray(error?.details) ? error.details.map((d) => anyFromJson(d, registry)) : [];
  return new RpcError(code, message, decodeDetails(anys, registry), method, new Error(`HTTP ${httpStatus}`));
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
  readonly #registry: Registry;
  readonly #clock: Clock;
  readonly #defaults: CallOptions;
  readonly #headers: readonly [string, string][];
  readonly #token: (() => Promise<string>) | undefined;
  readonly #fetch: typeof fetch;

  /** Throws TypeError for a base URL that is not http(s) or a malformed rule. */
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
    this.#baseUrl = `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
    const rules = options.rules ?? {};
    this.#rules = {
      get: parseHttpRule(rules.get ?? DEFAULT_HTTP_RULES.get, 'rules.get'),
      list: parseHttpRule(rules.list ?? DEFAULT_HTTP_RULES.list, 'rules.list'),
      cancel: parseHttpRule(rules.cancel ?? DEFAULT_HTTP_RULES.cancel, 'rules.cancel'),
      delete: parseHttpRule(rules.delete ?? DEFAULT_HTTP_RULES.delete, 'rules.delete'),
    };
    this.#registry = options.registry;
    this.#clock = options.clock;
    this.#defaults = options.callDefaults ?? {};
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
    if (request.pageSize !== undefined && request.pageSize > 0)
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
    const bound = timeoutMs + HTTP_WAIT_DEADLINE_SLACK_MS;
    const json = await this.#call(
      {
        method: 'WaitOperation',
        rule,
        path: expandPath(rule, name),
        body: { timeout: durationToJson(timeoutMs) },
      },
      { ...options, timeoutMs: Math.min(options.timeoutMs ?? bound, bound) },
    );
    return operationFromJson(json, this.#registry);
  }

  /** One call with the merged options, retried by the policy; resolves the parsed JSON body. */
  #call(request: Request, options: CallOptions): Promise<unknown> {
    const timeoutMs = options.timeoutMs ?? this.#defaults.timeoutMs ?? DEFAULT_RPC_TIMEOUT_MS;
    const retry = options.retry ?? this.#defaults.retry ?? DEFAULT_RETRY;
    const signal = options.signal ?? this.#defaults.signal;
    const extra = [...headerEntries(this.#defaults.metadata), ...headerEntries(options.metadata)];
    return withRetry(
      (attempt) => this.#attempt(request, extra, attempt),
      retry,
      this.#clock,
      Deadline.after(this.#clock, timeoutMs),
      signal,
    );
  }

  /**
   * One HTTP exchange under the attempt's deadline (attemptSignal: a deadline linked with the
   * caller's, both detached afterwards). Rejects with the caller's abort reason, RpcError
   * DEADLINE_EXCEEDED at the deadline, UNAVAILABLE when the request could not be made,
   * UNAUTHENTICATED when the token provider fails, the error body's RpcError for a
   * non-2xx status, and INTERNAL for a 2xx body that is not JSON.
   */
  async #attempt(request: Request, extra: readonly [string, string][], attempt: Attempt): Promise<unknown> {
    const caller = attempt.signal;
    if (caller?.aborted) throw abortReason(caller);
    const linked = attemptSignal(caller, attempt.deadline.remainingMs());
    const { method } = request;
    let status: number;
    let statusText: string;
    let text: string;
    try {
      const headers = new Headers([...this.#headers]);
      if (this.#token !== undefined)
        headers.set('authorization', `Bearer ${await this.#bearer(method, linked.signal)}`);
      for (const [key, value] of extra) headers.set(key, value);
      if (request.body !== undefined) headers.set('content-type', 'application/json');
      const query = request.query?.toString() ?? '';
      const url = `${this.#baseUrl}${request.path}${query === '' ? '' : `?${query}`}`;
      const response = await this.#fetch(url, {
        method: request.rule.method,
        headers,
        signal: linked.signal,
        ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
      });
      status = response.status;
      statusText = response.statusText;
      text = await response.text();
    } catch (error) {
      if (caller?.aborted) throw abortReason(caller);
      if (linked.timedOut()) {
        throw new RpcError(Code.DEADLINE_EXCEEDED, 'deadline exceeded', [], method, error);
      }
      if (RpcError.is(error)) throw error;
      const reason =
        error instanceof Error
          ? error.cause instanceof Error
            ? error.cause.message
            : error.message
          : String(error);
      throw new RpcError(Code.UNAVAILABLE, `HTTP request failed: ${reason}`, [], method, error);
    } finally {
      linked.cleanup();
    }
    if (status < 200 || status > 299)
      throw rpcErrorFromHttp(status, statusText, text, this.#registry, method);
    if (text.trim() === '') return {};
    try {
      return JSON.parse(text);
    } catch (cause) {
      throw new RpcError(Code.INTERNAL, `HTTP ${status} response is not JSON`, [], method, cause);
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
    return token;
  }
}
