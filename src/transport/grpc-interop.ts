/**
 * Objects made by another copy of `@grpc/grpc-js` than the library's own (an application
 * that pins a grpc-js outside the library's peer range, or google-gax's own copy). A
 * `Metadata` is read through its public API (`getMap()`, `get()`), so every header,
 * binary `-bin` values and repeated values included, reaches the wire. What cannot be
 * used across copies (channel credentials) is refused before any RPC, with a TypeError
 * that names the cause and the fix. Nothing is dropped silently.
 */
import * as grpc from '@grpc/grpc-js';

/** A grpc-js `Metadata` of any copy, as far as the library reads it. */
export interface MetadataLike {
  /** Every key, each with its first value (grpc-js's public API). */
  getMap(): Record<string, unknown>;
  /** Every value of `key`: strings, or Buffers for `-bin` keys. */
  get(key: string): unknown[];
}

/** How to fix two grpc-js copies, for error messages. */
export const TWO_COPIES_FIX =
  "dedupe @grpc/grpc-js (one version inside longrunning's peer range, then `npm dedupe`; `npm ls @grpc/grpc-js` shows one copy), or pass `channel` (e.g. the GAPIC client's getChannel()) instead of address and credentials";

/** True for a grpc-js Metadata of any copy (ours or another). */
export function isMetadataLike(x: unknown): x is MetadataLike {
  return (
    typeof x === 'object' &&
    x !== null &&
    'getMap' in x &&
    typeof x.getMap === 'function' &&
    'get' in x &&
    typeof x.get === 'function'
  );
}

/**
 * Every header of a Metadata of any copy, in order, repeated keys and binary values
 * included. Throws TypeError naming the key when a value is neither a string nor bytes.
 */
export function metadataEntries(metadata: MetadataLike): [string, string | Buffer][] {
  const entries: [string, string | Buffer][] = [];
  for (const key of Object.keys(metadata.getMap())) {
    for (const value of metadata.get(key)) {
      if (typeof value === 'string') entries.push([key, value]);
      else if (value instanceof Uint8Array) entries.push([key, Buffer.from(value)]);
      else throw new TypeError(`metadata ${JSON.stringify(key)}: a value is neither a string nor bytes`);
    }
  }
  return entries;
}

/**
 * Our Metadata holding the headers of `metadata`, from whichever grpc-js copy it came.
 * A Metadata of our own copy is cloned (its options kept).
 */
export function ownMetadata(metadata: MetadataLike): grpc.Metadata {
  if (metadata instanceof grpc.Metadata) return metadata.clone();
  const own = new grpc.Metadata();
  for (const [key, value] of metadataEntries(metadata)) own.add(key, value);
  return own;
}

/**
 * Returns `credentials` when they are channel credentials of the library's grpc-js copy.
 * Throws TypeError naming `where` otherwise: credentials of another copy cannot be used by
 * this copy's channel (grpc-js checks the class), so they are refused before any
 * connection is made, with the fix.
 */
export function checkChannelCredentials(credentials: unknown, where: string): grpc.ChannelCredentials {
  if (credentials instanceof grpc.ChannelCredentials) return credentials;
  if (typeof credentials === 'object' && credentials !== null && '_isSecure' in credentials) {
    throw new TypeError(
      `${where} are ChannelCredentials of another copy of @grpc/grpc-js than the one longrunning uses (two grpc-js copies are installed); ${TWO_COPIES_FIX}`,
    );
  }
  throw new TypeError(
    `${where} must be grpc.ChannelCredentials (e.g. grpc.credentials.createSsl() or createInsecure())`,
  );
}
