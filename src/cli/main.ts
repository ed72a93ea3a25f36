#!/usr/bin/env node
/**
 * `lro`: inspect, wait on (one or many), watch, cancel and delete long-running operations
 * from a shell, run the fake server, or watch the demo. Exit codes: 0 done ok, 1 operation
 * failed, 2 usage, 3 RPC error, 4 timeout, 128 + n stopped by signal n (130 SIGINT, 143
 * SIGTERM, 129 SIGHUP), 141 stdout closed before the output was written (e.g. `| head -1`);
 * with many operations the most severe of theirs (exit.ts `worstExitCode`).
 */
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { Command, CommanderError, Option } from 'commander';
import { cancelCommand, deleteCommand, getCommand, listCommand, waitCommand } from './commands.js';
import type { CommonFlags } from './connect.js';
import { demoCommand } from './demo.js';
import { escapeControls } from './escape.js';
import { EXIT, UsageError } from './exit.js';
import { waitManyCommand, watchCommand } from './fleet-commands.js';
import { toJson } from './format.js';
import { processIo } from './io.js';
import { reportFailure } from './outcome.js';
import { serveCommand } from './serve.js';

/** The package's version, from the package.json two levels above (src/cli or dist/cli). */
function packageVersion(): string {
  const pkg: unknown = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  return typeof pkg === 'object' && pkg !== null && 'version' in pkg && typeof pkg.version === 'string'
    ? pkg.version
    : 'unknown';
}

function common(command: Command): Command {
  return command
    .addOption(new Option('--target <host:port>', 'Operations service address').env('LRO_TARGET'))
    .option('--insecure', 'plaintext instead of TLS')
    .option('--rest <url>', 'use the HTTP/JSON API at this base URL instead of gRPC (not with --target)')
    .option(
      '-H, --header <header>',
      "request header 'name: value', e.g. 'authorization: Bearer $TOKEN' (repeatable)",
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .addOption(new Option('--api-key <key>', 'API key for --rest (x-goog-api-key)').env('LRO_API_KEY'))
    .option('--proto <files...>', '.proto files with the types of responses and metadata')
    .option('-I, --include <dirs...>', 'import paths for --proto files')
    .option('--json', 'print the outcome as one JSON document on stdout, errors included')
    .option('--verbose', 'print stack traces of errors');
}

/** The options `wait` and `watch` share: how long and how to wait. */
function waitOptions(command: Command): Command {
  return command
    .option('--timeout <d>', 'give up after this long (e.g. 30s, 10m); exit 4')
    .option(
      '--interval <d>',
      'refresh progress this often, at least 100ms (default: backoff from 1s); completion is noticed at once',
    )
    .addOption(new Option('--strategy <s>', 'how to wait').choices(['auto', 'wait', 'poll']).default('auto'));
}

const EXIT_HELP = `
Exit code with several operations: the most severe outcome among them:
  0 all succeeded, 1 some failed or were cancelled, 2 some response type unknown
  (pass --proto), 4 some not done at --timeout, 3 some wait failed with an RPC error,
  130 interrupted (Ctrl-C; 143 SIGTERM, 129 SIGHUP).`;

const WAIT_HELP = `
With one name: a progress bar on a terminal (one line per change without one), then
the final snapshot on stdout; --json prints that snapshot as one JSON document.

With several names: every operation is waited on at once through one client, so the
waits share its poll budget. On a terminal, stderr shows a table redrawn in place (one
row each: name, state, progress bar, ETA, elapsed; elapsed times tick between
snapshots); without one, a line per changed operation. Then each done operation's final
snapshot is printed on stdout. With --json, stdout has one JSON line per changed
operation ({ name, state, progress, etaMs, elapsedMs, done, metadata, response, error },
or waitError and exitCode for a wait that failed) and a last line
{ "summary": {...}, "exitCode": N }.
${EXIT_HELP}`;

const WATCH_HELP = `
Arguments: with none, the server's default collection is listed; a first argument that
is not an operation name (no 'operations/<id>' in it) is the parent to list; the others
are operation names. Listed operations that are done show as done rows; the running ones
are waited on (through one client: the waits share its poll budget and list reaping).
Without --follow, lro watch exits once every operation is done; with --follow it keeps
listing and adding new operations until interrupted (exit 130) or --timeout. A listing
adds at most 10000 operations.

Output on stdout: a table redrawn in place on a terminal, a line per changed operation
without one, and with --json one JSON line per changed operation and a summary line (as
lro wait with several names).
${EXIT_HELP}`;

/** Throws UsageError when --rest and --target were both given on the command line (LRO_TARGET does not count). */
function checkTransport(command: Command): void {
  if (command.opts<CommonFlags>().rest !== undefined && command.getOptionValueSource('target') === 'cli') {
    throw new UsageError(
      '--rest and --target both given: pass --rest URL for HTTP/JSON or --target host:port for gRPC, not both',
    );
  }
}

/** Builds the program; `run` sets the exit code through `onExit`. */
export function program(onExit: (code: number) => void): Command {
  const lro = new Command('lro')
    .description('Inspect and wait on google.longrunning operations')
    .version(packageVersion(), '-V, --version', 'print the version of lro')
    .exitOverride()
    // Usage errors quote the arguments (which may hold names copied from a server): escaped too.
    .configureOutput({ outputError: (text, write) => write(escapeControls(text, 'lines')) })
    .showHelpAfterError('(run with --help for usage)');
  /** Wraps a command: its exit code goes to `onExit`; anything it throws is reported (JSON too with --json). */
  const act =
    <A extends unknown[]>(fn: (...args: A) => Promise<number>) =>
    async (...args: A) => {
      const command = args.at(-1);
      const flags = command instanceof Command ? command.opts<CommonFlags>() : {};
      try {
        if (command instanceof Command && command.options.some((o) => o.long === '--rest'))
          checkTransport(command);
        onExit(await fn(...args));
      } catch (error) {
        onExit(reportFailure(error, flags, processIo));
      }
    };

  lro
    .command('demo')
    .description('run a simulated export on an embedded fake server, with a progress bar')
    .option('--fail', 'make the export fail, to show a decoded error')
    .option('--duration <d>', 'how long the export runs', '5s')
    .option('--rows <n>', 'rows the export reports', '1000000')
    .option('--json', 'print the final snapshot as JSON')
    .option('--verbose', 'print stack traces of errors')
    .action(act((flags) => demoCommand(flags)));
  lro
    .command('serve')
    .description('run the fake Operations server (and the demo Exporter) until interrupted')
    .option('--port <n>', 'port to listen on (0 picks a free one)', '0')
    .option('--host <host>', 'loopback address to bind (another one needs --public)', '127.0.0.1')
    .option('--public', 'allow a --host that is not loopback (the fake server has no authentication)')
    .option('--demo-jobs <n>', 'start this many simulated export jobs', '0')
    .option('--demo-duration <d>', 'how long each demo job runs', '30s')
    .option('--http', 'also serve the HTTP/JSON mapping (for --rest clients) on a free port')
    .option('--http-port <n>', 'serve the HTTP/JSON mapping on this port (implies --http)')
    .option('--proto <files...>', '.proto files whose services and types reflection describes')
    .option('-I, --include <dirs...>', 'import paths for --proto files')
    .option(
      '--quota <n>',
      'refuse operation reads past n per second with RESOURCE_EXHAUSTED, as a metered API does',
    )
    .option('--verbose', 'print stack traces of errors')
    .action(act((flags) => serveCommand(flags)));
  common(lro.command('get').description('show an operation').argument('<name>', 'operation name')).action(
    act((name: string, flags: CommonFlags) => getCommand(name, flags)),
  );
  common(
    lro
      .command('list')
      .description('list operations of a collection')
      .argument('[collection]', "collection name, e.g. 'operations' or 'projects/p/locations/l'")
      .option('--filter <filter>', "e.g. 'done=true'")
      .option('--page-size <n>', 'operations per page (0 to 2147483647)')
      .option('--all', 'follow page tokens to the end'),
  ).action(act((collection: string | undefined, flags) => listCommand(collection, flags)));
  waitOptions(
    common(
      lro
        .command('wait')
        .description(
          'wait until operations are done, showing progress (and each failed poll) on stderr, then print their final snapshots',
        )
        .argument('<name...>', 'operation names (one or more)')
        .option(
          '--cancel-on-interrupt',
          'send CancelOperation when stopped by SIGINT (Ctrl-C), SIGTERM or SIGHUP',
        )
        .addHelpText('after', WAIT_HELP),
    ),
  ).action(
    act((names: string[], flags) =>
      names.length === 1 && names[0] !== undefined
        ? waitCommand(names[0], flags)
        : waitManyCommand(names, flags),
    ),
  );
  waitOptions(
    common(
      lro
        .command('watch')
        .description('a live view of many operations: one row each (name, state, progress, ETA, elapsed)')
        .argument(
          '[parent-or-name...]',
          "a parent to list ('operations', 'projects/p/locations/l'), then operation names",
        )
        .option('--filter <filter>', "ListOperations filter for the parent, e.g. 'done=false'")
        .option(
          '--follow',
          'keep watching: list the parent again every --list-interval and add new operations',
        )
        .option('--list-interval <d>', 'with --follow, list again this often (default 10s, at least 1s)')
        .addHelpText('after', WATCH_HELP),
    ),
  ).action(act((args: string[], flags) => watchCommand(args, flags)));
  common(
    lro.command('cancel').description('ask the server to cancel an operation').argument('<name>'),
  ).action(act((name: string, flags: CommonFlags) => cancelCommand(name, flags)));
  common(lro.command('delete').description('delete an operation record').argument('<name>')).action(
    act((name: string, flags: CommonFlags) => deleteCommand(name, flags)),
  );
  return lro;
}

/**
 * Runs `lro` with `argv` (without node and script) and resolves the exit code. Failures
 * print one line (and with --json one JSON document on stdout), never a stack unless
 * --verbose.
 */
export async function run(argv: string[]): Promise<number> {
  let code: number = EXIT.OK;
  try {
    await program((c) => {
      code = c;
    }).parseAsync(argv, { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return EXIT.OK;
      if (argv.includes('--json')) {
        const message = error.message.replace(/^error: /, '');
        processIo.out.write(
          `${toJson({ error: { type: 'UsageError', message }, exitCode: EXIT.USAGE }, 2)}\n`,
        );
      }
      return EXIT.USAGE;
    }
    return reportFailure(error, { verbose: argv.includes('--verbose') }, processIo);
  }
}

/**
 * Keeps Node's DEP0123 warning (TLS ServerName set to an IP address) from users: grpc-js
 * sets the ServerName to the target host even when it is an IP literal, which `lro`
 * cannot change; the connection works the same. Every other warning is printed as before.
 */
function dropServerNameWarning(): void {
  const printers = process.listeners('warning');
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    if ('code' in warning && warning.code === 'DEP0123') return;
    for (const print of printers) print(warning);
  });
}

/** Ends quietly with 141 (as a shell reports SIGPIPE) when the reader of stdout or stderr goes away. */
function exitWhenOutputCloses(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(EXIT.PIPE_CLOSED);
      process.exitCode = EXIT.FAILED;
    });
  }
}

/**
 * grpc-js logs some failures itself on stderr (`E No address added…` for a busy port);
 * `lro` reports every failure in its own words, so that log stays off unless the user
 * asks for it with GRPC_VERBOSITY.
 */
if (process.env.GRPC_VERBOSITY === undefined) grpc.setLogVerbosity(grpc.logVerbosity.NONE);
dropServerNameWarning();
exitWhenOutputCloses();
run(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
  // Anything still open must not keep a finished command alive.
  setTimeout(() => process.exit(code), 2000).unref();
});
