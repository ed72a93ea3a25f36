/**
 * The type registry: resolves `google.protobuf.Any` type URLs to protobufjs types and
 * packs / unpacks values with proto-loader's conventions, so unpacked values have the
 * shape of the generated `__Output` types. Lookups return `undefined`; only malformed
 * input throws.
 * (A little over ~250 lines: the Registry interface is public and documented method by
 * method; the lookup, cache and unpack paths it documents are kept beside it.)
 */

// Values from the default import, types from named type-only imports: see builtin.ts.
import type { INamespace, ReflectionObject, Root, Service, Type } from 'protobufjs';
import protobuf from 'protobufjs/light.js';
import { DecodeError, UnknownTypeError } from '../wire/errors.js';
import type { Any, RawStatus } from '../wire/types.js';
import { builtinRoot, coreRoot, decodeMessage, encodeMessage } from './builtin.js';
import { type HeldOutcome, heldOutcome } from './held-any.js';
import { loadProtoFiles } from './proto-files.js';

/** The prefix `pack` writes. */
export const TYPE_URL_PREFIX = 'type.googleapis.com/';

/** Most distinct type URLs the unpack cache holds before it starts over. */
const URL_CACHE_LIMIT = 1024;

/** Resolves Any type URLs to message types and converts between Any and plain objects. */
export interface Registry {
  /**
   * Parses `.proto` files (synchronously) and adds their types. Files and their imports are
   * found in `includeDirs`, then the library's own protos, then `google-proto-files` and
   * google-gax's `build/protos` when the application has them installed, so a GAPIC
   * package's protos load with only their own folder given. Throws an Error naming a file
   * found nowhere, the folders searched and the fix, and protobufjs's Error for a file
   * that does not parse.
   */
  addProtoFiles(files: readonly string[], options?: { includeDirs?: readonly string[] }): Registry;
  /** Adds every type of a protobufjs root. Later additions win over earlier ones and the built-ins. */
  addRoot(root: Root): Registry;
  /** Adds the types of a protobufjs JSON descriptor. */
  addJSON(json: INamespace): Registry;
  /** True when `typeName` (fully qualified, no leading dot) names a message type. */
  has(typeName: string): boolean;
  /**
   * The message type named `typeName` (fully qualified, leading dot optional; relative names
   * are not searched), or undefined. Found types are cached; misses are not recorded anywhere.
   */
  lookup(typeName: string): Type | undefined;
  /** The service named `serviceName` (fully qualified, leading dot optional), or undefined. */
  lookupService(serviceName: string): Service | undefined;
  /** Encodes `value` as `typeName` into an Any with a `type.googleapis.com/` URL. Throws UnknownTypeError. */
  pack(typeName: string, value: object): Any & { value: Buffer };
  /**
   * Decodes an Any. Throws UnknownTypeError (unknown or malformed URL) or DecodeError (bad bytes).
   * A held Any (held-any.ts: from the JSON mapping or a custom operation) gives its held value or error.
   */
  unpack<T = unknown>(any: Any): T;
  /**
   * Like `unpack`, but returns undefined when `any` is null or undefined, has an empty type
   * URL, or names a type the registry lacks. Corrupt bytes still throw DecodeError.
   */
  tryUnpack<T = unknown>(any: Any | null | undefined): T | undefined;
  /** The type name of an Any: what follows the last `/` of its URL. Throws UnknownTypeError when there is none. */
  typeName(any: Any): string;
  /** Decodes a `grpc-status-details-bin` trailer. Throws RangeError for truncated bytes (a string cut short included) and what protobufjs throws for other malformed input. */
  decodeStatus(bytes: Uint8Array): RawStatus;
}

/** The type name in `typeUrl`, or an UnknownTypeError saying the URL is invalid. */
export function typeNameOf(typeUrl: string): string {
  const slash = typeof typeUrl === 'string' ? typeUrl.lastIndexOf('/') : -1;
  const name = slash < 0 ? '' : typeUrl.slice(slash + 1);
  if (name === '' || name.startsWith('.')) {
    throw new UnknownTypeError(
      String(typeUrl),
      `invalid type url ${JSON.stringify(typeUrl)}: expected "<prefix>/<full.type.Name>"`,
    );
  }
  return name;
}

/** The value of a held Any (see held-any.ts), or its recorded error thrown. */
function readHeld<T>(held: HeldOutcome): T {
  if (!held.ok) throw held.error;
  return held.value as T;
}

/**
 * The object named `fullName` (fully qualified, leading dot optional) in `root`, found by
 * walking the nested namespaces one name segment at a time; undefined when absent.
 * protobufjs's own `lookup` is not used: it also searches relative names (`rpc.Status`
 * would find `google.rpc.Status`), and on a miss it records the name in a cache on every
 * namespace it searched, which grew the shared built-in root by about 7 KB per distinct
 * unknown type URL, for good.
 */
/**
 * Where to look for a name no root has: the whole of the built-in files (built on the
 * first such lookup) for google.api and google.protobuf names, which the core root leaves
 * out (descriptor.proto, the google.api annotations); nowhere for any other name.
 */
function builtinFallback(fullName: string): Root[] {
  return /^\.?google\.(api|protobuf)\./.test(fullName) ? [builtinRoot()] : [];
}

function findExact(root: Root, fullName: string): ReflectionObject | undefined {
  let current: ReflectionObject = root;
  for (const segment of (fullName.startsWith('.') ? fullName.slice(1) : fullName).split('.')) {
    const nested = current instanceof protobuf.Namespace ? current.nested : undefined;
    const next = nested !== undefined && Object.hasOwn(nested, segment) ? nested[segment] : undefined;
    if (next === undefined) return undefined;
    current = next;
  }
  return current;
}

class TypeRegistry implements Registry {
  /** Searched first to last: user additions newest first, the built-in root last. */
  /** Added roots, newest first, then the core of the built-in files (see `builtinFallback` for the rest). */
  private readonly roots: Root[] = [coreRoot()];
  /**
   * typeName to type, for names found. Misses are not recorded, so whatever names a server
   * sends, the cache holds at most one entry per type of the roots (two with a leading-dot
   * spelling). Cleared when roots change.
   */
  private readonly cache = new Map<string, Type>();
  /**
   * Full type URL → type, for URLs seen by `unpack`: skips parsing the URL on the hot path.
   * Holds found types only, at most URL_CACHE_LIMIT entries. Cleared when roots change.
   */
  private readonly byUrl = new Map<string, Type>();

  addProtoFiles(files: readonly string[], options: { includeDirs?: readonly string[] } = {}): Registry {
    return this.addRoot(loadProtoFiles(files, { includeDirs: options.includeDirs }).root);
  }

  addRoot(root: Root): Registry {
    this.roots.unshift(root);
    this.cache.clear();
    this.byUrl.clear();
    return this;
  }

  addJSON(json: INamespace): Registry {
    const root = protobuf.Root.fromJSON(json);
    root.resolveAll();
    return this.addRoot(root);
  }

  has(typeName: string): boolean {
    return this.lookup(typeName) !== undefined;
  }

  lookup(typeName: string): Type | undefined {
    const cached = this.cache.get(typeName);
    if (cached !== undefined) return cached;
    for (const root of [...this.roots, ...builtinFallback(typeName)]) {
      const found = findExact(root, typeName);
      if (found instanceof protobuf.Type) {
        this.cache.set(typeName, found);
        return found;
      }
    }
    return undefined;
  }

  lookupService(serviceName: string): Service | undefined {
    for (const root of [...this.roots, ...builtinFallback(serviceName)]) {
      const found = findExact(root, serviceName);
      if (found instanceof protobuf.Service) return found;
    }
    return undefined;
  }

  pack(typeName: string, value: object): Any & { value: Buffer } {
    const type_url = TYPE_URL_PREFIX + typeName;
    const type = this.lookup(typeName);
    if (type === undefined) throw new UnknownTypeError(type_url);
    return { type_url, value: encodeMessage(type, value) };
  }

  unpack<T = unknown>(any: Any): T {
    const held = heldOutcome(any);
    if (held !== undefined) return readHeld<T>(held);
    const type = this.typeOfUrl(any.type_url);
    if (type === undefined) throw new UnknownTypeError(any.type_url);
    return this.decode<T>(type, any);
  }

  tryUnpack<T = unknown>(any: Any | null | undefined): T | undefined {
    if (any === null || any === undefined || any.type_url === '') return undefined;
    const held = heldOutcome(any);
    if (held !== undefined) {
      return !held.ok && UnknownTypeError.is(held.error) ? undefined : readHeld<T>(held);
    }
    const type = this.typeOfUrl(any.type_url);
    return type === undefined ? undefined : this.decode<T>(type, any);
  }

  typeName(any: Any): string {
    return typeNameOf(any.type_url);
  }

  decodeStatus(bytes: Uint8Array): RawStatus {
    const type = this.lookup('google.rpc.Status');
    if (type === undefined) throw new UnknownTypeError(`${TYPE_URL_PREFIX}google.rpc.Status`);
    return decodeMessage<RawStatus>(type, bytes);
  }

  /** The type a URL names, through the URL cache. Throws UnknownTypeError for a malformed URL. */
  private typeOfUrl(typeUrl: string): Type | undefined {
    let type = this.byUrl.get(typeUrl);
    if (type === undefined) {
      type = this.lookup(typeNameOf(typeUrl));
      if (type !== undefined) {
        if (this.byUrl.size >= URL_CACHE_LIMIT) this.byUrl.clear();
        this.byUrl.set(typeUrl, type);
      }
    }
    return type;
  }

  private decode<T>(type: Type, any: Any): T {
    try {
      return decodeMessage<T>(type, any.value);
    } catch (cause) {
      throw new DecodeError(any.type_url, cause);
    }
  }
}

/**
 * A registry preloaded with the well-known types, `google.rpc.*` (status, code, error
 * details), `google.longrunning.*`, `google.api.*` and the demo protos.
 */
export function createRegistry(): Registry {
  return new TypeRegistry();
}

/** The declared type that means "any type" (22 googleapis LRO methods declare it as metadata_type). */
const ANY_TYPE = 'google.protobuf.Any';

/**
 * Unpacks `any`, first checking that its type is `expectedType` when one is given. A
 * mismatch is an UnknownTypeError naming both types. A declared `google.protobuf.Any`
 * (with or without a leading dot) means "any type": no check, and the value is unpacked
 * by the Any's own type URL, so it throws only what `unpack` throws.
 */
export function unpackAs<T>(registry: Registry, any: Any, expectedType: string | undefined): T {
  if (expectedType !== undefined && !isAnyType(expectedType)) {
    const actual = typeNameOf(any.type_url);
    if (actual !== expectedType) {
      throw new UnknownTypeError(
        any.type_url,
        `type mismatch: expected ${expectedType} but the Any holds ${actual} (${any.type_url})`,
        expectedType,
      );
    }
  }
  return registry.unpack<T>(any);
}

function isAnyType(typeName: string): boolean {
  return typeName === ANY_TYPE || typeName === `.${ANY_TYPE}`;
}
