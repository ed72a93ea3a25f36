/**
 * The RpcError of a non-2xx HTTP response: Google's JSON error body
 * (`{ error: { code, status, message, details } }`) or any other body (quoted, secrets
 * redacted), and the `Retry-After` the retry loop and polls honour.
 */

import { isObject } from '../base/is-object.js';
import { anyFromJson } from '../proto/json.js';
import type { Registry } from '../proto/registry.js';
import { Code, codeFromHttpStatus } from '../wire/code.js';
import { decodeDetails, RpcError } from '../wire/errors.js';
import { redact } from './headers.js';
import { redactRpcError } from './redact-error.js';

/** The code named `name` ('NOT_FOUND'), or undefined. */
function codeOfName(name: unknown): number | undefined {
  if (typeof name !== 'string' || !Object.hasOwn(Code, name)) return undefined;
  return (Code as Readonly<Record<string, number>>)[name];
}

/**
 * The delay a `Retry-After` header asks for, in ms: delta-seconds (`'120'`) or an
 * HTTP-date (measured against `nowMs`, never negative). Undefined when absent or malformed.
 */
export function retryAfterMs(header: string | null, nowMs = Date.now()): number | undefined {
  if (header === null) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) {
    const ms = Number(text) * 1000;
    return Number.isSafeInteger(ms) ? ms : undefined;
  }
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/** What else of a failed response the error needs besides status and body. */
export interface HttpErrorContext {
  readonly registry: Registry;
  readonly method: string;
  /** The response's `Retry-After` header, or null. */
  readonly retryAfter?: string | null;
  /** Values the client sent (API key, token, header values; see `secretsOf`), redacted from the message and details. */
  readonly secrets?: readonly string[];
}

/**
 * The RpcError of a non-2xx response. The body `{ error: { code, status, message, details } }`
 * gives the code (from `status`, else the HTTP status by the standard table), the message
 * and the details (decoded through the registry; undecodable ones kept as bytes). Any other
 * body gives the code of the HTTP status and a message quoting the start of the body. Known
 * secrets are redacted from the message and the details, as over gRPC (redact-error.ts);
 * `Retry-After` becomes `retryDelayMs`.
 */
export function rpcErrorFromHttp(
  httpStatus: number,
  statusText: string,
  bodyText: string,
  context: HttpErrorContext,
): RpcError {
  const { registry, method } = context;
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch {
    body = undefined;
  }
  const wrapped = Array.isArray(body) ? body[0] : body;
  const error = isObject(wrapped) && isObject(wrapped.error) ? wrapped.error : undefined;
  const code = codeOfName(error?.status) ?? codeFromHttpStatus(httpStatus);
  const secrets = context.secrets ?? [];
  // Redacted before it is cut, so no part of a secret is left at the cut.
  const snippet = typeof error?.message === 'string' ? '' : redact(bodyText.trim(), secrets).slice(0, 200);
  const message =
    typeof error?.message === 'string'
      ? error.message
      : `HTTP ${httpStatus} ${statusText}${snippet === '' ? '' : `: ${snippet}`}`;
  const anys = Array.isArray(error?.details) ? error.details.map((d) => anyFromJson(d, registry)) : [];
  return redactRpcError(
    new RpcError(
      code,
      message,
      decodeDetails(anys, registry),
      method,
      new Error(`HTTP ${httpStatus}`),
      undefined,
      retryAfterMs(context.retryAfter ?? null),
    ),
    secrets,
  );
}
