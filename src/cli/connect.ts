/** Builds the client the commands use from the common flags. */
import * as grpc from '@grpc/grpc-js';
import { OperationsClient } from '../client.js';
import { createRegistry, type Registry } from '../registry.js';
import { UsageError } from './exit.js';

/** The flags every command shares. */
export interface CommonFlags {
  target?: string;
  insecure?: boolean;
  proto?: string[];
  include?: string[];
  json?: boolean;
  verbose?: boolean;
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

/** The client of the common flags. TLS unless `--insecure`. */
export function connect(flags: CommonFlags): OperationsClient {
  const address = checkTarget(flags.target ?? process.env.LRO_TARGET);
  return new OperationsClient({
    address,
    credentials: flags.insecure === true ? grpc.credentials.createInsecure() : grpc.credentials.createSsl(),
    registry: registryFrom(flags),
  });
}
