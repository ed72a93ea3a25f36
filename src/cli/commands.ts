/** The operation commands of `lro`: get, list, wait, cancel, delete. Each returns its exit code. */

import type { OperationsApi } from '../client/client-core.js';
import type { Operation } from '../client/operation.js';
import { OperationError, OperationStateError } from '../errors.js';
import { STRATEGIES, type WaitStrategy } from '../wait/operation-poller.js';
import { type CommonFlags, connect } from './connect.js';
import { parseDuration } from './duration.js';
import { EXIT, Interrupted, UsageError } from './exit.js';
import { describe, type OperationView, oneLine, toJson } from './format.js';
import { progressView } from './progress-view.js';

/** Where command output goes; tests and the demo pass their own. */
export interface Io {
  out: NodeJS.WriteStream;
  err: NodeJS.WriteStream;
}

export const processIo: Io = { out: process.stdout, err: process.stderr };

async function withClient(
  flags: CommonFlags,
  run: (client: OperationsApi) => Promise<number>,
): Promise<number> {
  const client = connect(flags);
  try {
    return await run(client);
  } finally {
    client.close();
  }
}

/** Prints a snapshot (text or JSON) and returns 1 when it is a failed operation, else 0. */
export function printSnapshot(op: OperationView, flags: CommonFlags, io: Io): number {
  io.out.write(`${flags.json === true ? toJson(op.toJSON(), 2) : describe(op)}\n`);
  return op.done && op.raw.error != null ? EXIT.FAILED : EXIT.OK;
}

export function getCommand(name: string, flags: CommonFlags, io: Io = processIo): Promise<number> {
  return withClient(flags, async (client) => printSnapshot(await client.operation(name).poll(), flags, io));
}

export interface ListFlags extends CommonFlags {
  filter?: string;
  pageSize?: string;
  all?: boolean;
}

export function listCommand(
  collection: string | undefined,
  flags: ListFlags,
  io: Io = processIo,
): Promise<number> {
  const pageSize = flags.pageSize === undefined ? undefined : Number(flags.pageSize);
  if (pageSize !== undefined && !(Number.isInteger(pageSize) && pageSize >= 0)) {
    throw new UsageError(`--page-size: expected a whole number (got ${JSON.stringify(flags.pageSize)})`);
  }
  const request = {
    ...(collection === undefined ? {} : { name: collection }),
    ...(flags.filter === undefined ? {} : { filter: flags.filter }),
    ...(pageSize === undefined ? {} : { pageSize }),
  };
  return withClient(flags, async (client) => {
    const ops: Operation[] = [];
    let nextPageToken = '';
    if (flags.all === true) {
      for await (const raw of client.listAllOperations(request)) ops.push(client.operation(raw));
    } else {
      const page = await client.listOperations(request);
      for (const raw of page.operations) ops.push(client.operation(raw));
      nextPageToken = page.nextPageToken;
    }
    if (flags.json === true) {
      io.out.write(`${toJson({ operations: ops.map((o) => o.toJSON()), nextPageToken }, 2)}\n`);
    } else {
      for (const op of ops) io.out.write(`${oneLine(op)}\n`);
      if (nextPageToken !== '') io.err.write(`more operations follow: pass --all to list every page\n`);
    }
    return EXIT.OK;
  });
}

export interface WaitFlags extends CommonFlags {
  timeout?: string;
  /** A fixed progress refresh interval (default: the library's backoff from 1 s). */
  interval?: string;
  strategy?: string;
  cancelOnInterrupt?: boolean;
}

/** Parses --strategy. */
export function parseStrategy(value: string | undefined): WaitStrategy {
  const strategy = value ?? 'auto';
  if (!(STRATEGIES as readonly string[]).includes(strategy)) {
    throw new UsageError(
      `--strategy: expected one of ${STRATEGIES.join(', ')} (got ${JSON.stringify(value)})`,
    );
  }
  return strategy as WaitStrategy;
}

/**
 * Waits on `op` with a progress view on `io.err`. SIGINT stops waiting (rejecting with
 * Interrupted), first sending CancelOperation with `cancelOnInterrupt`. Rejects as
 * `op.wait()` does.
 */
export async function follow<R, M>(op: Operation<R, M>, flags: WaitFlags, io: Io): Promise<void> {
  const timeoutMs = flags.timeout === undefined ? undefined : parseDuration(flags.timeout, '--timeout');
  const strategy = parseStrategy(flags.strategy);
  const intervalMs = flags.interval === undefined ? undefined : parseDuration(flags.interval, '--interval');
  const view = progressView(io.err, flags.json === true, () => performance.now());
  const controller = new AbortController();
  const onSigint = (): void => controller.abort(new Interrupted());
  process.once('SIGINT', onSigint);
  try {
    await op.wait({
      strategy,
      signal: controller.signal,
      onProgress: (o) => view.update(o),
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      ...(intervalMs === undefined
        ? {}
        : { polling: { initialDelayMs: intervalMs, maxDelayMs: intervalMs, multiplier: 1 } }),
    });
  } catch (error) {
    if (error instanceof Interrupted && flags.cancelOnInterrupt === true) {
      await op.cancel({ timeoutMs: 2000, retry: false }).then(
        () => io.err.write(`sent CancelOperation for ${op.name}\n`),
        (e: unknown) =>
          io.err.write(`CancelOperation failed: ${e instanceof Error ? e.message : String(e)}\n`),
      );
    }
    throw error;
  } finally {
    view.stop();
    process.removeListener('SIGINT', onSigint);
  }
}

/** Follows `op`, then prints its final snapshot (also when it failed) and returns the exit code. */
export async function waitAndReport<R, M>(op: Operation<R, M>, flags: WaitFlags, io: Io): Promise<number> {
  try {
    await follow(op, flags, io);
  } catch (error) {
    if (OperationError.is(error) || OperationStateError.is(error)) printSnapshot(op, flags, io);
    throw error;
  }
  return printSnapshot(op, flags, io);
}

export function waitCommand(name: string, flags: WaitFlags, io: Io = processIo): Promise<number> {
  return withClient(flags, (client) => waitAndReport(client.operation(name), flags, io));
}

export function cancelCommand(name: string, flags: CommonFlags, io: Io = processIo): Promise<number> {
  return withClient(flags, async (client) => {
    await client.cancelOperation(name);
    io.out.write(`cancellation requested for ${name}\n`);
    return EXIT.OK;
  });
}

export function deleteCommand(name: string, flags: CommonFlags, io: Io = processIo): Promise<number> {
  return withClient(flags, async (client) => {
    await client.deleteOperation(name);
    io.out.write(`deleted ${name}\n`);
    return EXIT.OK;
  });
}
