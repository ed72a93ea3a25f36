/**
 * Keeping the header values a client sent out of the errors it shows. A server may copy
 * a request's `authorization` or `x-goog-api-key` into its error message, its error
 * details or its trailers; whatever it echoes becomes `[REDACTED]` before the RpcError is
 * made public, over gRPC and HTTP/JSON alike, so the message, the stack, `util.inspect()`
 * of the error and its cause, JSON, logs, span statuses and the CLI never carry a secret.
 */
import type { Registry } from '../proto/registry.js';
import { RpcError } from '../wire/errors.js';
import type { Any } from '../wire/types.js';
import type { HeaderSource } from './call-pipeline.js';
import { headerEntries, MIN_SECRET_LENGTH, redact } from './headers.js';

/** What replaces a secret in bytes (an undecodable detail, a bytes field, a binary trailer). */
const REDACTED_BYTES = Buffer.from('[REDACTED]');

/** Headers whose value is `<scheme> <credentials>`: the credentials alone are a secret too. */
const SCHEMED = new Set(['authorization', 'proxy-authorization']);

/**
 * The values to keep out of errors for a call that sends the headers `entries` (name,
 * value): every value, and for `authorization` also the credentials after the scheme
 * (`Bearer <token>` gives the token too). Values shorter than 4 characters are never
 * redacted (see `redact`).
 */
export function secretsOf(entries: Iterable<readonly [string, string]>): string[] {
  const secrets = new Set<string>();
  for (const [key, value] of entries) {
    secrets.add(value);
    const scheme = SCHEMED.has(key.toLowerCase()) ? /^\S+\s+(\S.*)$/.exec(value) : null;
    if (scheme?.[1] !== undefined) secrets.add(scheme[1]);
  }
  return [...secrets];
}

/**
 * The secrets (see `secretsOf`) of a call whose headers come from `sources` (plain objects
 * or grpc Metadata of any copy; binary values as their base64 text). A source that cannot
 * be read (a Metadata value neither a string nor bytes, which the call itself refuses)
 * adds nothing; never throws.
 */
export function headerSecrets(sources: readonly HeaderSource[]): string[] {
  return secretsOf(
    sources.flatMap((source) => {
      try {
        return headerEntries(source);
      } catch {
        return [];
      }
    }),
  );
}

/** `bytes` with each secret's bytes replaced, or `bytes` itself when none occurs. */
function redactBytes(bytes: Uint8Array, secrets: readonly string[]): Uint8Array {
  let out = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let changed = false;
  // Longest first, as `redact` does, so that a secret containing another is replaced whole.
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    const needle = Buffer.from(secret);
    if (needle.length < MIN_SECRET_LENGTH || !out.includes(needle)) continue;
    const parts: Buffer[] = [];
    let from = 0;
    // Bounded: each turn moves `from` past one occurrence.
    for (let at = out.indexOf(needle, from); at !== -1; at = out.indexOf(needle, from)) {
      parts.push(out.subarray(from, at), REDACTED_BYTES);
      from = at + needle.length;
    }
    parts.push(out.subarray(from));
    out = Buffer.concat(parts);
    changed = true;
  }
  return changed ? out : bytes;
}

/**
 * `value` (a decoded detail: plain objects, arrays, strings, bytes, numbers) with every
 * string and byte field redacted; the same value when nothing changed. Depth is bounded
 * (a decoded protobuf message nests only as deep as its schema; 64 is far past any).
 */
function redactValue(value: unknown, secrets: readonly string[], depth = 0): unknown {
  if (typeof value === 'string') return redact(value, secrets);
  if (value instanceof Uint8Array) return redactBytes(value, secrets);
  if (typeof value !== 'object' || value === null || depth > 64) return value;
  if (Array.isArray(value)) {
    const items = value.map((item: unknown) => redactValue(item, secrets, depth + 1));
    return items.some((item, i) => item !== value[i]) ? items : value;
  }
  let changed = false;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    out[key] = redactValue(field, secrets, depth + 1);
    if (out[key] !== field) changed = true;
  }
  return changed ? out : value;
}

/** A `getMap()` / `set()` Metadata of any grpc-js copy. */
interface WritableMetadata {
  getMap(): Record<string, unknown>;
  set(key: string, value: string | Buffer): void;
}

function isWritableMetadata(x: unknown): x is WritableMetadata {
  return (
    typeof x === 'object' &&
    x !== null &&
    'getMap' in x &&
    typeof x.getMap === 'function' &&
    'set' in x &&
    typeof x.set === 'function'
  );
}

/**
 * Redacts, in place, what a failed call's own error object (grpc-js's ServiceError, of
 * any copy, or another Error) shows: `message`, `details`, `stack` and the values of its
 * trailers. It belongs to this one call, so changing it hides the secret everywhere the
 * RpcError's `cause` is shown. Properties that cannot be written are left as they are.
 */
function redactCause(cause: unknown, secrets: readonly string[]): void {
  if (typeof cause !== 'object' || cause === null) return;
  for (const key of ['message', 'details', 'stack']) {
    const text: unknown = Reflect.get(cause, key);
    if (typeof text !== 'string') continue;
    const clean = redact(text, secrets);
    // Reflect.set returns false, rather than throwing, for a frozen or read-only property.
    if (clean !== text) Reflect.set(cause, key, clean);
  }
  const metadata: unknown = Reflect.get(cause, 'metadata');
  if (!isWritableMetadata(metadata)) return;
  for (const [key, value] of Object.entries(metadata.getMap())) {
    if (typeof value === 'string') {
      const clean = redact(value, secrets);
      if (clean !== value) metadata.set(key, clean);
    } else if (value instanceof Uint8Array) {
      const clean = redactBytes(value, secrets);
      if (clean !== value) metadata.set(key, Buffer.from(clean));
    }
  }
}

/**
 * `error` with every occurrence of `secrets` replaced by `[REDACTED]`: in its message
 * (from `rawMessage` and `hint`), its details (every string and bytes field of the decoded
 * values, and undecodable detail bytes) and its cause (redacted in place, see
 * redactCause). Code, method and `retryDelayMs` are kept. Returns `error` itself when no
 * secret occurs in its message or details; never throws.
 */
export function redactRpcError(error: RpcError, secrets: readonly string[]): RpcError {
  if (secrets.length === 0) return error;
  redactCause(error.cause, secrets);
  const rawMessage = redact(error.rawMessage, secrets);
  const hint = error.hint === undefined ? undefined : redact(error.hint, secrets);
  const details = error.details.map((detail) => {
    const value = redactValue(detail.value, secrets);
    const bytes = detail.bytes === undefined ? undefined : redactBytes(detail.bytes, secrets);
    if (value === detail.value && bytes === detail.bytes) return detail;
    return bytes === undefined
      ? { typeName: detail.typeName, value }
      : { typeName: detail.typeName, value, bytes };
  });
  if (
    rawMessage === error.rawMessage &&
    hint === error.hint &&
    details.every((d, i) => d === error.details[i])
  ) {
    return error;
  }
  return new RpcError(error.code, rawMessage, details, error.method, error.cause, hint, error.retryDelayMs);
}

/**
 * An answer of GetOperation or WaitOperation (an operation) or ListOperations (a page of
 * them), in the wire's form (with `registry`, which decodes each detail to redact it and
 * encodes it again) or as parsed JSON, with every secret replaced in each operation's
 * `error`: its message and every string and bytes field of its details. A server may copy
 * a request's credentials into an operation's status as into an RPC's, and an
 * OperationError shows that status. `secrets` is read only when an operation carries an
 * error; the answer itself is returned when nothing changed. Never throws.
 */
export function redactOperationErrors<T>(
  answer: T,
  secrets: () => readonly string[],
  registry?: Registry,
): T {
  if (typeof answer !== 'object' || answer === null) return answer;
  const operations: unknown = Reflect.get(answer, 'operations');
  if (!Array.isArray(operations)) return redactOperationError(answer, secrets, registry);
  let changed = false;
  const clean = operations.map((operation: unknown) => {
    const out = redactOperationError(operation, secrets, registry);
    if (out !== operation) changed = true;
    return out;
  });
  return changed ? { ...answer, operations: clean } : answer;
}

function redactOperationError<T>(operation: T, secrets: () => readonly string[], registry?: Registry): T {
  if (typeof operation !== 'object' || operation === null) return operation;
  const error: unknown = Reflect.get(operation, 'error');
  if (typeof error !== 'object' || error === null) return operation;
  const list = secrets();
  if (list.length === 0) return operation;
  const { details, ...status } = error as { details?: unknown };
  const cleanStatus = redactValue(status, list) as object;
  let changed = cleanStatus !== status;
  const cleanDetails = Array.isArray(details)
    ? details.map((detail: unknown) => {
        const out =
          isWireAny(detail) && registry !== undefined
            ? redactAny(detail, list, registry)
            : redactValue(detail, list);
        if (out !== detail) changed = true;
        return out;
      })
    : details;
  if (!changed) return operation;
  return { ...operation, error: { ...cleanStatus, details: cleanDetails } };
}

/** An Any as the wire decodes it: `type_url` and the message's bytes. */
function isWireAny(x: unknown): x is Any & { value: Uint8Array } {
  return (
    typeof x === 'object' && x !== null && 'type_url' in x && 'value' in x && x.value instanceof Uint8Array
  );
}

/**
 * `any` with each secret replaced: decoded, redacted and encoded again where the registry
 * knows its type (so the bytes stay a valid message), its bytes redacted where it does
 * not; `any` itself when its bytes hold no secret.
 */
function redactAny(any: Any & { value: Uint8Array }, secrets: readonly string[], registry: Registry): Any {
  const bytes = Buffer.from(any.value.buffer, any.value.byteOffset, any.value.byteLength);
  if (!secrets.some((secret) => secret.length >= MIN_SECRET_LENGTH && bytes.includes(secret))) return any;
  try {
    const value = registry.tryUnpack<object>(any);
    if (value !== undefined) {
      const clean = redactValue(value, secrets) as object;
      return { type_url: any.type_url, value: registry.pack(registry.typeName(any), clean).value };
    }
  } catch {
    // Bytes the type cannot decode: redacted as bytes below.
  }
  return { type_url: any.type_url, value: redactBytes(any.value, secrets) };
}
