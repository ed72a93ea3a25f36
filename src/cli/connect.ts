/** Builds the client the commands use from the common flags. */
import * as grpc from '@grpc/grpc-js';
import type { OperationsApi } from '../client/client-core.js';
import { OperationsClient } from '../client/grpc-client.js';
import { OperationsRestClient } from '../client/rest-client.js';
import { createRegistry, type Registry } from '../proto/registry.js';
import { UsageError } from './exit.js';

/** The flags every command shares. */
export interface CommonFlags {
  target?: string;
  insecure?: boolean;
  proto?: string[];
  include?: string[];
  json?: boolean;
  verbose?: boolean;
  /** Base URL of an HTTP/JSON Operations API: selects the REST transport instead of gRPC. */
  rest?: string;
  /** API key for --rest (`x-goog-api-key`); also from LRO_API_KEY. */
  apiKey?: string;
  /** Request headers as `name: value` (e.g. `authorization: Bearer …`), sent with every call. */
  header?: string[];
}

/** Parses `-H 'name: value'` flags; throws UsageError naming the bad one (without echoing its value). */
export function parseHeaders(headers: readonly string[] | undefined): Record<string, string> {
  const parsed: Record<string, string> = {};
  for (const header of headers ?? []) {
    const colon = header.indexOf(':');
    const name = colon < 0 ? '' : header.slice(0, colon).trim().toLowerCase();
    if (!/^[a-z0-9][a-z0-9_.-]*$/.test(name)) {
      throw new UsageError(`--header: expected "name: value" (got a value with no valid name before ':')`);
    }
    parsed[name] = header.slice(colon + 1).trim();
  }
  return parsed;
}

const TARGET = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

/** Checks `host:port` (or `[v6]:port`); throws UsageError naming the flag. */
export function checkTarget(target: string | undefined): string {
  if (target === undefined || target === '') {
    throw new UsageError('no target: pass --target host:port or set LRO_TARGET');
  }
  const match = TARGET.exec(target);
  const port = Number(match?.[2]);
  if (match === null || port < 1 || port > 65_535) {
    throw new UsageError(
      `--target: invalid address ${JSON.stringify(target)} (expected host:port, e.g. 127.0.0.1:8080)`,
    );
  }
  return target;
}

/** A registry with the built-in types plus those of `--proto` files (imports resolved against `-I` dirs). */
export function registryFrom(flags: CommonFlags): Registry {
  const registry = createRegistry();
  if (flags.proto !== undefined && flags.proto.length > 0) {
    try {
      registry.addProtoFiles(flags.proto, { includeDirs: flags.include ?? [] });
    } catch (error) {
      throw new UsageError(`--proto: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return registry;
}

/** Checks a --rest base URL; throws UsageError naming the flag. */
export function checkBaseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(
      `--rest: invalid URL ${JSON.stringify(url)} (expected e.g. https://host or http://127.0.0.1:8080)`,
    );
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new UsageError(`--rest: ${JSON.stringify(url)} is not an http(s) URL`);
  }
  return url;
}

/** The client of the common flags: HTTP/JSON with --rest, else gRPC (TLS unless `--insecure`). */
export function connect(flags: CommonFlags): OperationsApi {
  if (flags.rest !== undefined) {
    const apiKey = flags.apiKey ?? process.env.LRO_API_KEY;
    return new OperationsRestClient({
      baseUrl: checkBaseUrl(flags.rest),
      registry: registryFrom(flags),
      headers: parseHeaders(flags.header),
      ...(apiKey === undefined || apiKey === '' ? {} : { apiKey }),
    });
  }
  const address = checkTarget(flags.target ?? process.env.LRO_TARGET);
  return new OperationsClient({
    address,
    credentials: flags.insecure === true ? grpc.credentials.createInsecure() : grpc.credentials.createSsl(),
    registry: registryFrom(flags),
    callDefaults: { metadata: parseHeaders(flags.header) },
  });
}
