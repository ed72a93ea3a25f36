/**
 * The run of a many-operations command (`lro wait NAME...`, `lro watch`): a fleet of waits
 * and its view, fed by the command (names, listings), every wait waited for, then what is
 * left to print (final snapshots, failures, an interruption) and the exit code: the most
 * severe outcome (exit.ts `worstExitCode`). A stop signal aborts every wait with
 * Interrupted (sending CancelOperation first with --cancel-on-interrupt).
 */
import type { OperationsApi } from '../client/client-core.js';
import { parseInterval, parseStrategy, type WaitFlags } from './commands.js';
import { parseDuration } from './duration.js';
import { escapeControls } from './escape.js';
import { Interrupted, worstExitCode } from './exit.js';
import { Fleet, Stopped } from './fleet.js';
import { FleetView, type FleetViewMode } from './fleet-view.js';
import { describe, toJson } from './format.js';
import type { Io } from './io.js';
import { explain, failureDocument, reportFailure } from './outcome.js';
import { onStopSignal } from './signals.js';

/** CancelOperation calls sent at once by --cancel-on-interrupt. */
const CANCEL_BATCH = 32;

/** What a command's feed (the code that adds operations) works with. */
export interface FeedContext {
  readonly fleet: Fleet;
  /** Aborted on a stop signal (with Interrupted). */
  readonly signal: AbortSignal;
  readonly view: FleetView;
  /** Clock time of --timeout (Infinity without one). */
  readonly deadline: number;
  /** A message printed on stderr once the rows are done (e.g. an empty listing); each text once. */
  notice(text: string): void;
}

/** Adds the operations of a command (names, listings); may run until the signal aborts. */
export type Feed = (context: FeedContext) => Promise<void>;

/** Where the rows of a command go and what it prints after them. */
export interface FleetCommand {
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
export async function runFleet(
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
  const notices = new Set<string>();
  let feedError: unknown;
  try {
    const notice = (text: string): void => {
      notices.add(text);
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
  if (interrupted !== undefined && flags.cancelOnInterrupt === true) {
    for (const text of await cancelRunning(fleet, flags)) notices.add(text);
  }
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

/**
 * Sends CancelOperation to every operation still running, CANCEL_BATCH at a time, each
 * bounded by 2 s; resolves the lines to say (each failure, then how many were sent).
 */
async function cancelRunning(fleet: Fleet, flags: WaitFlags): Promise<string[]> {
  const running = fleet.running();
  const said: string[] = [];
  let sent = 0;
  for (let i = 0; i < running.length; i += CANCEL_BATCH) {
    const batch = running.slice(i, i + CANCEL_BATCH);
    await Promise.all(
      batch.map((op) =>
        op.cancel({ timeoutMs: 2000, retry: false }).then(
          () => {
            sent++;
          },
          (e: unknown) => said.push(`${op.name}: CancelOperation failed: ${explain(e, flags).message}`),
        ),
      ),
    );
  }
  if (running.length > 0) said.push(`sent CancelOperation for ${sent} of ${running.length} operations`);
  return said;
}
