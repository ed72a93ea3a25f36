/**
 * Request headers, checked before any request and kept out of messages: a header's
 * value is never shown in an error (it may be a key or a token), only its name.
 */
import type { HeaderSource } from './call-pipeline.js';

/** An HTTP header name (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** What any transport can carry in a header value: tab, visible ASCII, space and Latin-1; no CR, LF or other controls. */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/** A gRPC metadata key, as grpc-js accepts it (after lowercasing). */
const GRPC_KEY = /^[0-9a-z_.-]+$/;
/** A gRPC ASCII metadata value: visible ASCII and space. */
const GRPC_VALUE = /^[\x20-\x7e]*$/;

/** Headers with a `getMap()`: grpc Metadata of any grpc-js copy. */
interface MapSource {
  getMap(): Record<string, unknown>;
}

function isMapSource(x: object): x is MapSource {
  return 'getMap' in x && typeof x.getMap === 'function';
}

/** The string-valued entries of a plain object or grpc Metadata (binary values are left out). */
export function headerEntries(
  headers: HeaderSource | Readonly<Record<string, string>> | undefined,
): [string, string][] {
  if (headers === undefined) return [];
  const map: Record<string, unknown> = isMapSource(headers) ? headers.getMap() : headers;
  return Object.entries(map).filter((e): e is [string, string] => typeof e[1] === 'string');
}

/**
 * Checks one header for any transport. Throws TypeError naming the header and `where`
 * (never the value) when the name is not an HTTP token or the value is not a string
 * without CR, LF, other control characters or characters beyond Latin-1.
 */
export function checkHeader(name: string, value: unknown, where: string): void {
  if (!HEADER_NAME.test(name)) {
    throw new TypeError(`${where}: ${JSON.stringify(name.slice(0, 80))} is not a valid header name`);
  }
  if (typeof value !== 'string') {
    throw new TypeError(
      `${where}: header ${JSON.stringify(name)} must have a string value (got ${typeof value})`,
    );
  }
  if (!HEADER_VALUE.test(value)) {
    throw new TypeError(
      `${where}: header ${JSON.stringify(name)} has a value with characters a header cannot carry (CR, LF, control or non-Latin-1 characters); the value is not shown`,
    );
  }
}

/**
 * Checks headers given as a plain object (grpc Metadata was checked when it was built).
 * Throws TypeError naming `where` and the header, never its value.
 */
export function checkHeaders(headers: unknown, where: string): void {
  if (headers === undefined) return;
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) {
    throw new TypeError(
      `${where} must be an object of header values or grpc Metadata (got ${typeof headers})`,
    );
  }
  if (isMapSource(headers)) return;
  for (const [name, value] of Object.entries(headers)) checkHeader(name, value, where);
}

/**
 * Checks a header for gRPC metadata, which is stricter than HTTP: a lowercase-able key
 * of `0-9 a-z _ . -`; for a non-`-bin` key a value of visible ASCII and spaces, for a
 * `-bin` key a Buffer.
 * Throws TypeError naming the header, never its value.
 */
export function checkGrpcHeader(name: string, value: string | Buffer, where: string): void {
  if (!GRPC_KEY.test(name.toLowerCase())) {
    throw new TypeError(`${where}: ${JSON.stringify(name.slice(0, 80))} is not a valid gRPC metadata key`);
  }
  if (typeof value === 'string' && name.toLowerCase().endsWith('-bin')) {
    throw new TypeError(
      `${where}: header ${JSON.stringify(name)} ends with -bin, so gRPC needs a Buffer value, not a string`,
    );
  }
  if (typeof value === 'string' && !GRPC_VALUE.test(value)) {
    throw new TypeError(
      `${where}: header ${JSON.stringify(name)} has a value gRPC cannot carry (only visible ASCII and spaces; use a -bin key for bytes); the value is not shown`,
    );
  }
}

/** Shortest value treated as a secret to redact: shorter ones would redact ordinary words. */
const MIN_SECRET_LENGTH = 4;

/**
 * `text` with every occurrence of each secret (header values the client sent: API key,
 * bearer token, custom headers) replaced by `[REDACTED]`. Values shorter than 4
 * characters are left alone.
 */
export function redact(text: string, secrets: Iterable<string>): string {
  let out = text;
  // Longest first, so that a secret containing another is redacted whole.
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret.length >= MIN_SECRET_LENGTH) out = out.split(secret).join('[REDACTED]');
  }
  return out;
}
