/**
 * The operation commands of `lro`: get, list, wait, cancel, delete. Each resolves its exit
 * code and has already reported any failure (see outcome.ts); none rejects except on a
 * bug.
 */

import type { OperationsApi } from '../client/client-core.js';
import type { Operation, WaitOptions } from '../client/operation.js';
import { STRATEGIES, type WaitStrategy } from '../wait/operation-poller.js';
import { OperationError, OperationStateError, type RpcError, UnknownTypeError } from '../wire/errors.js';
import { type CommonFlags, connect } from './connect.js';
import { formatDuration, parseDuration } from './duration.js';
import { escapeControls } from './escape.js';
import { EXIT, Interrupted, UsageError } from './exit.js';
import { describe, type OperationView, oneLine, snapshotJson, toJson } from './format.js';
import { type Io, processIo } from './io.js';
import { explain, reportFailure } from './outcome.js';
import { progressView } from './progress-view.js';
import { onStopSignal } from './signals.js';

export { type Io, processIo } from './io.js';

/** Runs `run` with the client of `flags`, closing it after; any failure is reported and becomes the exit code. */
export async function withClient(
  flags: CommonFlags,
  io: Io,
  run: (client: OperationsApi) => Promise<number>,
): Promise<number> {
  let client: OperationsApi | undefined;
  try {
    client = connect(flags);
    return await run(client);
  } catch (error) {
    return reportFailure(error, flags, io);
  } finally {
    client?.close();
  }
}

/** Prints a snapshot: the text view, or with --json its JSON (`@type` on every Any). */
export function printSnapshot(op: OperationView, flags: CommonFlags, io: Io): void {
  io.out.write(`${flags.json === true ? toJson(snapshotJson(op), 2) : describe(op)}\n`);
}

/**
 * Prints the snapshot of `op` and reports what a done one stands for, as `wait` would:
 * 0 for a response that decodes, 1 for an error or a done-with-neither snapshot (with its
 * message), 2 for a response whose type is not in the registry (with a --proto hint).
 */
async function reportSnapshot<R, M>(op: Operation<R, M>, flags: CommonFlags, io: Io): Promise<number> {
  printSnapshot(op, flags, io);
  if (!op.done) return EXIT.OK;
  try {
    await op.wait(); // done: settles from the snapshot, no RPC
    return EXIT.OK;
  } catch (error) {
    return reportFailure(error, flags, io, { jsonPrinted: true });
  }
}

export function getCommand(name: string, flags: CommonFlags, io: Io = processIo): Promise<number> {
  return withClient(flags, io, async (client) =>
    reportSnapshot(await client.operation(name).poll(), flags, io),
  );
}

export interface ListFlags extends CommonFlags {
  filter?: string;
  pageSize?: string;
  all?: boolean;
}

/** The largest page size the wire's int32 carries. */
const MAX_PAGE_SIZE = 2 ** 31 - 1;

/** Parses --page-size: decimal digits only (no `0x10`, `1e3`, `1.5`), at most 2^31 - 1. */
export function parsePageSize(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n > MAX_PAGE_SIZE) {
    throw new UsageError(
      `--page-size: expected a whole number from 0 to ${MAX_PAGE_SIZE} (got ${JSON.stringify(value)})`,
    );
  }
  return n;
}

export function listCommand(
  collection: string | undefined,
  flags: ListFlags,
  io: Io = processIo,
): Promise<number> {
  return withClient(flags, io, async (client) => {
    const pageSize = parsePageSize(flags.pageSize);
    const request = {
      ...(collection === undefined ? {} : { name: collection }),
      ...(flags.filter === undefined ? {} : { filter: flags.filter }),
      ...(pageSize === undefined ? {} : { pageSize }),
    };
    // Text lines stream as pages arrive; JSON is one document at the end.
    const ops: Operation[] = [];
    let count = 0;
    const take = (op: Operation): void => {
      count++;
      if (flags.json === true) ops.push(op);
      else io.out.write(`${oneLine(op)}\n`);
    };
    let nextPageToken = '';
    if (flags.all === true) {
      for await (const op of client.listAllOperations(request)) take(op);
    } else {
      const page = await client.listOperations(request);
      for (const op of page.operations) take(op);
      nextPageToken = page.nextPageToken;
    }
    if (flags.json === true) {
      io.out.write(`${toJson({ operations: ops.map((o) => snapshotJson(o)), nextPageToken }, 2)}\n`);
    } else {
      if (count === 0) {
        const filter = flags.filter === undefined ? '' : ` matching ${JSON.stringify(flags.filter)}`;
        const where = collection === undefined ? '' : ` in ${JSON.stringify(collection)}`;
        io.err.write(`no operations${escapeControls(where + filter)}\n`);
      }
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

/** The shortest --interval: a smaller one is raised to it, with a note on stderr. */
export const MIN_INTERVAL_MS = 100;

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

/** Parses --interval, raising anything below MIN_INTERVAL_MS to it with a note on `io.err`. */
export function parseInterval(value: string | undefined, io: Io): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseDuration(value, '--interval');
  if (ms >= MIN_INTERVAL_MS) return ms;
  io.err.write(`lro: --interval ${value} is below the minimum; polling every ${MIN_INTERVAL_MS}ms\n`);
  return MIN_INTERVAL_MS;
}

/**
 * Waits on `op` with a progress view on `io.err` and one stderr line per retryable poll
 * failure. SIGINT, SIGTERM or SIGHUP stops waiting (rejecting with Interrupted naming the
 * signal), first sending CancelOperation with `cancelOnInterrupt`. Rejects as `op.wait()`
 * does; usage errors reject before any RPC.
 */
export async function follow<R, M>(op: Operation<R, M>, flags: WaitFlags, io: Io): Promise<void> {
  const timeoutMs = flags.timeout === undefined ? undefined : parseDuration(flags.timeout, '--timeout');
  const strategy = parseStrategy(flags.strategy);
  const intervalMs = parseInterval(flags.interval, io);
  const view = progressView(io.err, flags.json === true, () => performance.now());
  const controller = new AbortController();
  const removeHandlers = onStopSignal((signal) => controller.abort(new Interrupted(signal)));
  const onRetry = (error: RpcError, attempt: number, nextDelayMs: number): void => {
    io.err.write(
      `lro: poll ${attempt} failed: ${escapeControls(explain(error, flags).message)}; retrying in ${formatDuration(nextDelayMs)}\n`,
    );
  };
  const options: WaitOptions<R, M> = {
    strategy,
    signal: controller.signal,
    onProgress: (o) => view.update(o),
    onRetry,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    ...(intervalMs === undefined
      ? {}
      : { polling: { initialDelayMs: intervalMs, maxDelayMs: intervalMs, multiplier: 1 } }),
  };
  try {
    await op.wait(options);
  } catch (error) {
    view.stop();
    if (error instanceof Interrupted && flags.cancelOnInterrupt === true) {
      await op.cancel({ timeoutMs: 2000, retry: false }).then(
        () => io.err.write(`lro: sent CancelOperation for ${escapeControls(op.name)}\n`),
        (e: unknown) =>
          io.err.write(`lro: CancelOperation failed: ${escapeControls(explain(e, flags).message)}\n`),
      );
    }
    throw error;
  } finally {
    view.stop();
    removeHandlers();
  }
}

/**
 * Follows `op`, then prints its final snapshot (also when it failed) and resolves the exit
 * code, having reported any failure (with --json, one document on stdout in every case).
 */
export async function waitAndReport<R, M>(op: Operation<R, M>, flags: WaitFlags, io: Io): Promise<number> {
  try {
    await follow(op, flags, io);
  } catch (error) {
    if (
      op.done &&
      (OperationError.is(error) || OperationStateError.is(error) || UnknownTypeError.is(error))
    ) {
      printSnapshot(op, flags, io);
      return reportFailure(error, flags, io, { jsonPrinted: true });
    }
    return reportFailure(error, flags, io, { operation: snapshotJson(op) });
  }
  printSnapshot(op, flags, io);
  return EXIT.OK;
}

export function waitCommand(name: string, flags: WaitFlags, io: Io = processIo): Promise<number> {
  return withClient(flags, io, (client) => waitAndReport(client.operation(name), flags, io));
}

export function cancelCommand(name: string, flags: CommonFlags, io: Io = processIo): Promise<number> {
  return withClient(flags, io, async (client) => {
    await client.cancelOperation(name);
    io.out.write(
      flags.json === true
        ? `${toJson({ name, cancelRequested: true }, 2)}\n`
        : `cancellation requested for ${escapeControls(name)}\n`,
    );
    return EXIT.OK;
  });
}

export function deleteCommand(name: string, flags: CommonFlags, io: Io = processIo): Promise<number> {
  return withClient(flags, io, async (client) => {
    await client.deleteOperation(name);
    io.out.write(
      flags.json === true ? `${toJson({ name, deleted: true }, 2)}\n` : `deleted ${escapeControls(name)}\n`,
    );
    return EXIT.OK;
  });
}
