/**
 * Runs every example in examples/ against the fake server (CI runs this), so the examples
 * cannot rot:
 *
 * - examples/gapic-client: its types generated from the demo API's .proto by
 *   proto-loader-gen-types (as a user generates them for an API's protos; the command is
 *   in exporter-client.ts), then typechecked with its own tsconfig;
 * - examples/with-google-gax: its own package.json (google-gax 5.0.8, like bench/); its
 *   dependencies are installed from the npm cache when missing, then it is typechecked
 *   with its own tsconfig and run with METADATA_SERVER_DETECTION=none, so gax never probes
 *   the cloud metadata server.
 *
 * Each example gets at most RUN_TIMEOUT_MS; the first failure stops the run (exit 1).
 *
 * Usage: npm run examples
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const repo = join(import.meta.dirname, '..');
const RUN_TIMEOUT_MS = 60_000;
const started = performance.now();

function log(message: string): void {
  process.stderr.write(`[examples ${((performance.now() - started) / 1000).toFixed(1)}s] ${message}\n`);
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): void {
  execFileSync(command, args, { cwd: repo, stdio: 'inherit', env, timeout: RUN_TIMEOUT_MS });
}

log('generate examples/gapic-client/generated from export.proto (proto-loader-gen-types)');
run(join(repo, 'node_modules/.bin/proto-loader-gen-types'), [
  '--longs=String',
  '--enums=String',
  '--defaults',
  '--oneofs',
  '--grpcLib=@grpc/grpc-js',
  '--importFileExtension=.js',
  '-I',
  'protos',
  '--outDir=examples/gapic-client/generated',
  'longrunning/demo/v1/export.proto',
]);
log('typecheck examples/gapic-client');
run('npx', ['tsc', '-p', 'examples/gapic-client']);

const gaxDir = join(repo, 'examples/with-google-gax');
if (!existsSync(join(gaxDir, 'node_modules/google-gax/package.json'))) {
  log('installing examples/with-google-gax dependencies (npm ci, from the npm cache when it has them)');
  run('npm', ['ci', '--prefix', gaxDir, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error']);
}
log('typecheck examples/with-google-gax');
run('npx', ['tsc', '-p', gaxDir]);

const env = { ...process.env, METADATA_SERVER_DETECTION: 'none' };
for (const example of ['examples/gapic-client/main.ts', 'examples/with-google-gax/main.ts']) {
  log(`run ${example}`);
  run(process.execPath, ['--import', 'tsx', example], env);
}
log('all examples ran');
