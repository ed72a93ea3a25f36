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
import { parseInterval, parseStrategy, type WaitFlags, withClient } from './commands.js';
import { formatDuration, parseDuration } from './duration.js';
import { escapeControls } from './escape.js';
import { Interrupted, UsageError, worstExitCode } from './exit.js';
import { Fleet, Stopped } from './fleet.js';
import { FleetView, type FleetViewMode } from './fleet-view.js';
import { describe, toJson } from './format.js';
import { type Io, processIo } from './io.js';
import { explain, failureDocument, reportFailure } from './outcome.js';
import { onStopSignal } from './signals.js';

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
/** CancelOperation calls sent at once by --cancel-on-interrupt. */
const CANCEL_BATCH = 32;

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

/** What a command's feed (the code that adds operations) works with. */
interface FeedContext {
  readonly fleet: Fleet;
  /** Aborted on a stop signal (with Interrupted). */
  readonly signal: AbortSignal;
  readonly view: FleetView;
  /** Clock time of --timeout (Infinity without one). */
  readonly deadline: number;
  /** A message printed on stderr once the rows are done (e.g. an empty listing). */
  notice(text: string): void;
}

/** Adds the operations of a command (names, listings); may run until the signal aborts. */
type Feed = (context: FeedContext) => Promise<void>;

/** Where the rows of a command go and what it prints after them. */
interface FleetCommand {
  /** The stream of the table or lines (the JSON lines always go to stdout). */
  readonly rowsOn: 'out' | 'err';
  /** Print each done operation's final snapshot on stdout after the rows (`wait`). */
  readonly printResults: boolean;
}

/**
 * Runs `feed` with a fleet and its view, waits for every wait to end, prints what is left
 * to print and resolves the exit code. A signal aborts every wait (and the feed) with
 * Interrupted, first sending CancelOperation to the running operations with
 * --cancel-on-interrupt; a feed that fails (a listing) stops the waits and counts too
 * (with --json as a JSON line `{ error, exitCode }` before the summary).
 */
async function runFleet(
  client: OperationsApi,
  flags: WaitFlags,
  io: Io,
  command: FleetCommand,
  feed: Feed,
): Promise<number> {
  const timeoutMs = flags.timeout === undefined ? undefined : parseDuration(flags.timeout, '--timeout');
  const strategy = parseStrategy(flags.strategy);
  const intervalMs = parseInterval(flags.interval, io);
  const { clock } = client;
  const rowsOn = command.rowsOn === 'out' ? io.out : io.err;
  const mode: FleetViewMode = flags.json === true ? 'json' : rowsOn.isTTY === true ? 'table' : 'lines';
  const deadline = timeoutMs === undefined ? Number.POSITIVE_INFINITY : clock.now() + timeoutMs;
  const controller = new AbortController();
  const removeHandlers = onStopSignal((signal) => controller.abort(new Interrupted(signal)));
  const view = new FleetView({ mode, out: mode === 'json' ? io.out : rowsOn, notes: io.err, clock });
  const fleet = new Fleet({
    view,
    clock,
    flags,
    strategy,
    intervalMs,
    deadline: timeoutMs === undefined ? undefined : deadline,
    timeoutText: flags.timeout,
    signal: controller.signal,
  });
  const notices: string[] = [];
  let feedError: unknown;
  try {
    const notice = (text: string): void => {
      notices.push(text);
    };
    await feed({ fleet, signal: controller.signal, view, deadline, notice });
  } catch (error) {
    feedError = error;
    if (!controller.signal.aborted) controller.abort(new Stopped('the listing failed'));
  }
  await fleet.idle();
  removeHandlers();
  const reason: unknown = controller.signal.reason;
  const interrupted = reason instanceof Interrupted ? reason : undefined;
  if (interrupted !== undefined && flags.cancelOnInterrupt === true) await cancelRunning(fleet, flags, view);
  const failure = interrupted ?? feedError;
  const failureCodes = failure === undefined ? [] : [reportedCode(failure, flags, io, mode)];
  const code = worstExitCode([fleet.exitCode(), ...failureCodes]);
  view.stop(code);
  if (command.printResults && mode !== 'json') {
    const done = fleet.operations().filter((op) => op.done);
    io.out.write(done.map((op) => `${describe(op)}\n`).join('\n'));
  }
  for (const text of notices) io.err.write(`lro: ${escapeControls(text)}\n`);
  fleet.reportFailures(io.err);
  if (failure !== undefined) reportFailure(failure, flags, io, { jsonPrinted: true });
  return code;
}

/** The exit code of what stopped a command early; with --json its failure document as one JSON line. */
function reportedCode(error: unknown, flags: WaitFlags, io: Io, mode: FleetViewMode): number {
  const document = failureDocument(error, flags);
  if (mode === 'json') io.out.write(`${toJson(document)}\n`);
  return document.exitCode;
}

/** Sends CancelOperation to every operation still running, CANCEL_BATCH at a time, each bounded by 2 s. */
async function cancelRunning(fleet: Fleet, flags: WaitFlags, view: FleetView): Promise<void> {
  const running = fleet.running();
  let sent = 0;
  for (let i = 0; i < running.length; i += CANCEL_BATCH) {
    const batch = running.slice(i, i + CANCEL_BATCH);
    await Promise.all(
      batch.map((op) =>
        op.cancel({ timeoutMs: 2000, retry: false }).then(
          () => {
            sent++;
          },
          (e: unknown) => view.note(`${op.name}: CancelOperation failed: ${explain(e, flags).message}`),
        ),
      ),
    );
  }
  if (running.length > 0) view.note(`sent CancelOperation for ${sent} of ${running.length} operations`);
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
    context.view.note(`watching the first ${MAX_LISTED} operations listed only: narrow them with --filter`);
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
