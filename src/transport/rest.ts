/**
 * `OperationsTransport` over HTTP/JSON with Node's built-in `fetch`: the Operations RPCs
 * mapped by HTTP rules (operations.proto's `google.api.http` annotations by default),
 * through the same call pipeline (retry policy, deadlines, abort) as the gRPC transport.
 * Bodies are proto3 JSON (see proto/json.ts); error bodies in Google's JSON error format
 * become RpcError with their details decoded (http-error.ts).
 *
 * (Near 300 lines: the five RPC mappings and one exchange. The option checks are in
 * rest-options; the parts that stand alone live in http-rule, http-body, http-error,
 * http-redirect, base-url, bearer-token and headers.)
 *
 * Safety: names are checked against each rule's pattern (no `.`/`..` segments) before any
 * request; headers are checked up front and their values never appear in errors;
 * redirects are not followed unless asked for, and then only within the base URL's
 * origin; bodies are read up to `maxResponseBytes`.
 */

import { checkPageSize } from '../base/validate.js';
import { durationToJson, listResponseFromJson, operationFromJson } from '../proto/json.js';
import type { Registry } from '../proto/registry.js';
import { Code } from '../wire/code.js';
import { RpcError } from '../wire/errors.js';
import type { RawOperation } from '../wire/types.js';
import { runAttempt } from './attempt-signal.js';
import { checkCleartext, isCredentialHeader } from './base-url.js';
import { bearerToken } from './bearer-token.js';
import { CallPipeline, waitCallOptions, waitRequestTimeoutMs } from './call-pipeline.js';
import { checkHeader, headerEntries } from './headers.js';
import { DEFAULT_MAX_RESPONSE_BYTES, jsonObjectOf, readBodyText } from './http-body.js';
import { rpcErrorFromHttp } from './http-error.js';
import { fetchWithRedirects } from './http-redirect.js';
import { expandPath, type HttpRule, literalName } from './http-rule.js';
import type {
  CallOptions,
  ListOperationsPage,
  ListOperationsRequest,
  MethodName,
  OperationsTransport,
} from './operations-transport.js';
import { redactOperationErrors, secretsOf } from './redact-error.js';
import { checkRestOptions, type RestTransportOptions } from './rest-options.js';
import type { Attempt } from './retry.js';

export { DEFAULT_HTTP_RULES, type HttpRules } from './http-rule.js';
export type { RestTransportOptions } from './rest-options.js';

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
  /** The parsed base URL: its origin bounds redirects, its scheme and host the cleartext check. */
  readonly #url: URL;
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
   * never its value), credentials (`apiKey`, `token`, an `authorization` or
   * `x-goog-api-key` header) over plain http to a host that is not loopback, or a bad
   * `redirects`; RangeError for a bad `maxResponseBytes`.
   */
  constructor(options: RestTransportOptions) {
    const { url, rules, headers } = checkRestOptions(options);
    this.#followRedirects = options.redirects === 'same-origin';
    this.#maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.#url = url;
    this.#baseUrl = `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
    this.#rules = rules;
    this.#registry = options.registry;
    this.#pipeline = new CallPipeline(options.clock, options.callDefaults ?? {});
    this.#token = options.token;
    this.#fetch = options.fetch ?? fetch;
    this.#headers = headers;
    const { wait } = rules;
    if (wait !== undefined) {
      this.wait = (name, timeoutMs, callOptions) => this.#wait(wait, name, timeoutMs, callOptions);
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
        body: { timeout: durationToJson(waitRequestTimeoutMs(timeoutMs)) },
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
      // A later source (the call's own headers) replaces a key of an earlier one (the
      // defaults); repeated values within one source are all sent.
      const entries = headerEntries(source);
      for (const key of new Set(entries.map(([key]) => key))) headers.delete(key);
      for (const [key, value] of entries) {
        checkHeader(key, value, 'metadata');
        if (isCredentialHeader(key)) checkCleartext(this.#url, `metadata ${JSON.stringify(key)}`);
        headers.append(key, value);
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
          headers.set('authorization', `Bearer ${await bearerToken(this.#token, method, signal)}`);
        if (request.body !== undefined) headers.set('content-type', 'application/json');
        const query = request.query?.toString() ?? '';
        const url = `${this.#baseUrl}${request.path}${query === '' ? '' : `?${query}`}`;
        const response = await fetchWithRedirects(
          new URL(url),
          {
            method: request.rule.method,
            headers,
            signal,
            ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
          },
          { fetch: this.#fetch, follow: this.#followRedirects, origin: this.#url.origin, method },
        );
        const text = await readBodyText(response, this.#maxResponseBytes, method);
        const secrets = (): string[] =>
          secretsOf([...headers.entries()].filter(([key]) => key !== 'accept' && key !== 'content-type'));
        if (response.status < 200 || response.status > 299) {
          throw rpcErrorFromHttp(response.status, response.statusText, text, {
            registry: this.#registry,
            method,
            retryAfter: response.headers.get('retry-after'),
            secrets: secrets(),
          });
        }
        // The operations of an answer show none of the secrets in their `error` either.
        return redactOperationErrors(jsonObjectOf(text, response.status, method), secrets);
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
}
