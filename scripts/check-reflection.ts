/**
 * Checks gRPC server reflection with a client nobody here wrote (CI runs this): starts the
 * built `lro serve` (dist/, as `npx lro` runs it) with a --proto file that imports
 * google/protobuf/timestamp.proto and google/api/annotations.proto, then runs `buf curl
 * --reflect` against it, as a user would:
 *
 * - `--list-services` lists the built-in services and the --proto one;
 * - ListOperations answers, over reflection v1 and v1alpha;
 * - StartExport answers with its metadata decoded through reflection (`@type`);
 * - the --proto service's method resolves and is called (the fake server answers
 *   UNIMPLEMENTED for it: what matters is that buf found its schema).
 *
 * Any other outcome, or a step longer than STEP_TIMEOUT_MS, exits 1.
 *
 * Usage: npm run build && node --import tsx scripts/check-reflection.ts
 */
import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';

const repo = join(import.meta.dirname, '..');
const STEP_TIMEOUT_MS = 30_000;
const SERVICES = ['catalog.v1.Catalog', 'google.longrunning.Operations', 'longrunning.demo.v1.Exporter'];

function fail(message: string): never {
  console.error(`check-reflection: ${message}`);
  process.exit(1);
}

const server = spawn(
  process.execPath,
  [
    join(repo, 'dist/cli/main.js'),
    'serve',
    '--proto',
    'catalog/v1/catalog.proto',
    '-I',
    'test/fixtures/protos',
  ],
  { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'] },
);
const address = await new Promise<string>((resolve) => {
  let out = '';
  const timer = setTimeout(() => fail('lro serve did not print its address in time'), STEP_TIMEOUT_MS);
  const exited = (code: number | null): never => fail(`lro serve exited with ${code} before listening`);
  server.once('exit', exited);
  server.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    const match = /^listening on (\S+)\n/.exec(out);
    if (match?.[1] !== undefined) {
      clearTimeout(timer);
      server.off('exit', exited);
      resolve(match[1]);
    }
  });
});

/**
 * Runs `npx buf curl --protocol grpc --http2-prior-knowledge --reflect ARGS` (the binary
 * npx would run, without npx's start-up); resolves its exit code and output.
 */
function bufCurl(...args: string[]): Promise<{ code: number; out: string }> {
  const command = ['curl', '--protocol', 'grpc', '--http2-prior-knowledge', '--reflect', ...args];
  console.log(`$ npx buf ${command.join(' ')}`);
  return new Promise((resolve) => {
    const buf = join(repo, 'node_modules', '.bin', 'buf');
    execFile(buf, command, { cwd: repo, timeout: STEP_TIMEOUT_MS }, (error, stdout, stderr) => {
      const out = `${stdout}${stderr}`;
      process.stdout.write(out);
      resolve({ code: error === null ? 0 : Number(error.code ?? 1), out });
    });
  });
}

try {
  const url = (path: string): string => `http://${address}/${path}`;
  const list = await bufCurl('--list-services', `http://${address}`);
  const listed = list.out.trim().split('\n').sort();
  if (list.code !== 0 || JSON.stringify(listed) !== JSON.stringify(SERVICES)) {
    fail(`--list-services: expected ${SERVICES.join(', ')}`);
  }
  for (const protocol of ['grpc-v1', 'grpc-v1alpha']) {
    const r = await bufCurl(
      '--reflect-protocol',
      protocol,
      '-d',
      '{"name":"operations"}',
      url('google.longrunning.Operations/ListOperations'),
    );
    if (r.code !== 0) fail(`ListOperations over ${protocol} exited with ${r.code}`);
  }
  const started = await bufCurl(
    '-d',
    '{"source":"ci","rows":"3"}',
    url('longrunning.demo.v1.Exporter/StartExport'),
  );
  if (
    started.code !== 0 ||
    !started.out.includes('"@type": "type.googleapis.com/longrunning.demo.v1.ExportMetadata"')
  ) {
    fail('StartExport: expected an operation with ExportMetadata decoded through reflection');
  }
  const item = await bufCurl('-d', '{"name":"items/1"}', url('catalog.v1.Catalog/GetItem'));
  if (!item.out.includes('"code": "unimplemented"'))
    fail('catalog.v1.Catalog/GetItem: expected the call to reach the server');
  console.log('check-reflection: buf curl resolved and called every service');
} finally {
  server.kill('SIGTERM');
}
