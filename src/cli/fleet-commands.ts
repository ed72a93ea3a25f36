/**
 * The many-operations commands: `lro wait NAME NAME...` and `lro watch [PARENT] [NAME...]`.
 * Both wait on every operation at once through one client (fleet.ts) and show one row per
 * operation (fleet-view.ts): a table redrawn in place on a terminal, a plain line per
 * changed operation without one, a JSON line per changed operation with --json.
 *
 * - `wait` shows the rows on stderr and, once every operation has ended, prints each done
 *   operation's final snapshot on stdout (as `lro wait NAME` does), blank-line separated;
 *   with --json the JSON lines go to stdout instead.
 * - `watch` shows the rows on stdout. With a PARENT it lists the parent's operations
 *   (ListOperations, --filter), shows the done ones as done rows and waits on the running
 *   ones; `--follow` lists again every --list-interval and adds the operations not seen
 *   yet, until interrupted or --timeout.
 *
 * Exit code: the most severe outcome (exit.ts `worstExitCode`): 0 every operation
 * succeeded, 1 some failed or were cancelled, 2 some response type unknown (pass --proto),
 * 4 some not done at --timeout, 3 some wait failed with an RPC error (or the listing did),
 * 128 + n stopped by signal n (130 for Ctrl-C, also the normal end of --follow).
 */
import type { OperationsApi } from '../client/client-core.js';
import type { ListOperationsRequest } from '../transport/operations-transport.js';
import { type WaitFlags, withClient } from './commands.js';
import { formatDuration, parseDuration } from './duration.js';
import { UsageError } from './exit.js';
import { type FeedContext, runFleet } from './fleet-run.js';
import { type Io, processIo } from './io.js';
import { explain } from './outcome.js';

/** Flags of `lro watch`. */
export interface WatchFlags extends WaitFlags {
  filter?: string;
  follow?: boolean;
  /** How often --follow lists again. */
  listInterval?: string;
}

/** The most operations one listing adds; past it, a note says so (narrow with --filter). */
export const MAX_LISTED = 10_000;
/** How often --follow lists again by default. */
export const DEFAULT_LIST_INTERVAL_MS = 10_000;
/** The shortest --list-interval: a smaller one is raised to it, with a note. */
export const MIN_LIST_INTERVAL_MS = 1000;
/** True when `arg` names an operation (`…operations/<id>`) rather than a collection to list. */
export function isOperationName(arg: string): boolean {
  return /(^|\/)operations\/[^/]/.test(arg);
}

/** What `lro watch` was asked to watch. */
export interface WatchTargets {
  /** True when a collection is listed: `parent`, or the server's default one when undefined. */
  readonly listing: boolean;
  readonly parent: string | undefined;
  readonly names: readonly string[];
}

/**
 * Splits the arguments of `lro watch`: none lists the server's default collection; a
 * first argument that is not an operation name (`operations`, `projects/p/locations/l`)
 * is the parent to list; every other argument is an operation name.
 */
export function watchTargets(args: readonly string[]): WatchTargets {
  const [first, ...rest] = args;
  if (first === undefined) return { listing: true, parent: undefined, names: [] };
  if (!isOperationName(first)) return { listing: true, parent: first, names: rest };
  return { listing: false, parent: undefined, names: args };
}

/** `lro wait NAME NAME...`: see the file comment. Names given twice are waited on once. */
export function waitManyCommand(
  names: readonly string[],
  flags: WaitFlags,
  io: Io = processIo,
): Promise<number> {
  return withClient(flags, io, (client) =>
    runFleet(client, flags, io, { rowsOn: 'err', printResults: true }, async ({ fleet }) => {
      for (const name of names) fleet.add(client.operation(name), false);
    }),
  );
}

/**
 * Adds every operation of one listing (at most MAX_LISTED, with a note past it); resolves
 * how many were listed.
 */
async function listInto(client: OperationsApi, request: ListOperationsRequest, context: FeedContext) {
  let listed = 0;
  for await (const op of client.listAllOperations(request, { signal: context.signal, limit: MAX_LISTED })) {
    listed++;
    context.fleet.add(op, true);
  }
  if (listed === MAX_LISTED) {
    context.notice(`a listing adds the first ${MAX_LISTED} operations only: narrow them with --filter`);
  }
  return listed;
}

/** `lro watch [PARENT] [NAME...]`: see the file comment. */
export function watchCommand(
  args: readonly string[],
  flags: WatchFlags,
  io: Io = processIo,
): Promise<number> {
  return withClient(flags, io, (client) => {
    const targets = watchTargets(args);
    if (!targets.listing && (flags.filter !== undefined || flags.follow === true)) {
      const flag = flags.filter === undefined ? '--follow' : '--filter';
      throw new UsageError(
        `${flag} needs a collection to list: pass a parent (e.g. 'operations' or 'projects/p/locations/l') first`,
      );
    }
    const listIntervalMs = parseListInterval(flags.listInterval, io);
    const request: ListOperationsRequest = {
      ...(targets.parent === undefined ? {} : { name: targets.parent }),
      ...(flags.filter === undefined ? {} : { filter: flags.filter }),
    };
    return runFleet(client, flags, io, { rowsOn: 'out', printResults: false }, async (context) => {
      if (targets.listing) {
        const listed = await listInto(client, request, context);
        if (listed === 0 && flags.follow !== true) {
          const where = targets.parent === undefined ? '' : ` in ${JSON.stringify(targets.parent)}`;
          const filter = flags.filter === undefined ? '' : ` matching ${JSON.stringify(flags.filter)}`;
          context.notice(`no operations${where}${filter}`);
        }
      }
      for (const name of targets.names) context.fleet.add(client.operation(name), false);
      if (flags.follow === true) await follow(client, request, context, listIntervalMs, flags);
    });
  });
}

/**
 * --follow: lists again every `intervalMs` (Clock time) until the signal aborts or
 * --timeout passes, adding the operations not seen yet. A listing that fails is noted
 * and tried again at the next interval.
 */
async function follow(
  client: OperationsApi,
  request: ListOperationsRequest,
  context: FeedContext,
  intervalMs: number,
  flags: WatchFlags,
): Promise<void> {
  const { clock } = client;
  const { deadline, signal, view } = context;
  // Ends on a stop signal (the sleep rejects) or at --timeout; one listing per interval.
  while (clock.now() < deadline) {
    await clock.sleep(Math.min(intervalMs, deadline - clock.now()), signal);
    if (clock.now() >= deadline) return;
    try {
      await listInto(client, request, context);
    } catch (error) {
      if (signal.aborted) throw error;
      const message = explain(error, flags).message;
      view.note(`listing again failed: ${message}; next try in ${formatDuration(intervalMs)}`);
    }
  }
}

/** Parses --list-interval (default 10 s), raising anything below 1 s to it with a note on stderr. */
function parseListInterval(value: string | undefined, io: Io): number {
  if (value === undefined) return DEFAULT_LIST_INTERVAL_MS;
  const ms = parseDuration(value, '--list-interval');
  if (ms >= MIN_LIST_INTERVAL_MS) return ms;
  io.err.write(`lro: --list-interval ${value} is below the minimum; listing every 1s\n`);
  return MIN_LIST_INTERVAL_MS;
}
