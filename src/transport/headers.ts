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

/** Headers with a `getMap()`: grpc Metadata of any grpc-js copy (`get()` gives every value of a key). */
interface MapSource {
  getMap(): Record<string, unknown>;
  get?(key: string): unknown[];
}

function isMapSource(x: object): x is MapSource {
  return 'getMap' in x && typeof x.getMap === 'function';
}

/** A binary (`-bin`) value as HTTP carries it: base64 without padding, as gRPC puts it on the wire. */
function binaryHeaderValue(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64').replace(/=+$/, '');
}

/**
 * Every header of a plain object or grpc Metadata, in order: repeated values of a
 * Metadata key each once, binary (`-bin`) values in base64. Nothing is left out: a
 * Metadata value that is neither a string nor bytes is a TypeError naming the key.
 */
export function headerEntries(
  headers: HeaderSource | Readonly<Record<string, string>> | undefined,
): [string, string][] {
  if (headers === undefined) return [];
  if (!isMapSource(headers)) return Object.entries(headers);
  const entries: [string, string][] = [];
  const map = headers.getMap();
  for (const key of Object.keys(map)) {
    const values = typeof headers.get === 'function' ? headers.get(key) : [map[key]];
    for (const value of values) {
      if (typeof value === 'string') entries.push([key, value]);
      else if (value instanceof Uint8Array) entries.push([key, binaryHeaderValue(value)]);
      else
        throw new TypeError(
          `metadata: header ${JSON.stringify(key)} has a value that is neither a string nor bytes`,
        );
    }
  }
  return entries;
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
export const MIN_SECRET_LENGTH = 4;

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
