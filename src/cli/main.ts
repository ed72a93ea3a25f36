#!/usr/bin/env node
/**
 * `lro`: inspect, wait on, cancel and delete long-running operations from a shell, run the
 * fake server, or watch the demo. Exit codes: 0 done ok, 1 operation failed, 2 usage,
 * 3 RPC error, 4 timeout, 130 interrupted.
 */
import { Command, CommanderError, Option } from 'commander';
import { cancelCommand, deleteCommand, getCommand, listCommand, waitCommand } from './commands.js';
import type { CommonFlags } from './connect.js';
import { demoCommand } from './demo.js';
import { EXIT, exitCodeOf } from './exit.js';
import { serveCommand } from './serve.js';

function common(command: Command): Command {
  return command
    .addOption(new Option('--target <host:port>', 'Operations service address').env('LRO_TARGET'))
    .option('--insecure', 'plaintext instead of TLS')
    .option('--rest <url>', 'use the HTTP/JSON API at this base URL instead of gRPC')
    .option(
      '-H, --header <header>',
      "request header 'name: value', e.g. 'authorization: Bearer $TOKEN' (repeatable)",
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .addOption(new Option('--api-key <key>', 'API key for --rest (x-goog-api-key)').env('LRO_API_KEY'))
    .option('--proto <files...>', '.proto files with the types of responses and metadata')
    .option('-I, --include <dirs...>', 'import paths for --proto files')
    .option('--json', 'print the final snapshot as JSON')
    .option('--verbose', 'print stack traces of errors');
}

/** Builds the program; `run` sets the exit code through `onExit`. */
export function program(onExit: (code: number) => void): Command {
  const lro = new Command('lro')
    .description('Inspect and wait on google.longrunning operations')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');
  const act =
    <A extends unknown[]>(fn: (...args: A) => Promise<number>) =>
    async (...args: A) =>
      onExit(await fn(...args));

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
    .option('--host <host>', 'loopback address to bind', '127.0.0.1')
    .option('--demo-jobs <n>', 'start this many simulated export jobs', '0')
    .option('--demo-duration <d>', 'how long each demo job runs', '30s')
    .option('--http', 'also serve the HTTP/JSON mapping (for --rest clients)')
    .option('--proto <files...>', '.proto files whose services and types reflection describes')
    .option('-I, --include <dirs...>', 'import paths for --proto files')
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
      .option('--page-size <n>', 'operations per page')
      .option('--all', 'follow page tokens to the end'),
  ).action(act((collection: string | undefined, flags) => listCommand(collection, flags)));
  common(
    lro
      .command('wait')
      .description('wait until an operation is done, showing progress')
      .argument('<name>', 'operation name')
      .option('--timeout <d>', 'give up after this long (e.g. 30s, 10m); exit 4')
      .option(
        '--interval <d>',
        'refresh progress this often (default: backoff from 1s); completion is noticed at once',
      )
      .addOption(
        new Option('--strategy <s>', 'how to wait').choices(['auto', 'wait', 'poll']).default('auto'),
      )
      .option('--cancel-on-interrupt', 'send CancelOperation when interrupted (Ctrl-C)'),
  ).action(act((name: string, flags) => waitCommand(name, flags)));
  common(
    lro.command('cancel').description('ask the server to cancel an operation').argument('<name>'),
  ).action(act((name: string, flags: CommonFlags) => cancelCommand(name, flags)));
  common(lro.command('delete').description('delete an operation record').argument('<name>')).action(
    act((name: string, flags: CommonFlags) => deleteCommand(name, flags)),
  );
  return lro;
}

/** Runs `lro` with `argv` (without node and script) and resolves the exit code. Errors print one line. */
export async function run(argv: string[]): Promise<number> {
  let code: number = EXIT.OK;
  const verbose = argv.includes('--verbose');
  try {
    await program((c) => {
      code = c;
    }).parseAsync(argv, { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    const exit = exitCodeOf(error);
    if (
      exit !== EXIT.FAILED ||
      !(error instanceof Error && /^(OperationError|OperationStateError)$/.test(error.name))
    ) {
      process.stderr.write(`lro: ${error instanceof Error ? error.message : String(error)}\n`);
    }
    if (verbose && error instanceof Error && error.stack !== undefined)
      process.stderr.write(`${error.stack}\n`);
    return exit;
  }
}

run(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
  // Anything still open must not keep a finished command alive.
  setTimeout(() => process.exit(code), 2000).unref();
});
