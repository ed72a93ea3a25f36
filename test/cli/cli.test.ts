import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { OperationsClient } from '../../src/client/grpc-client.ts';
import { builtinRoot, serviceDefinition } from '../../src/proto/builtin.ts';
import { cli, exited, lro, start } from './helpers.ts';

const insecure = grpc.credentials.createInsecure();

describe('lro (built CLI)', () => {
  let serve: ChildProcess;
  let target: string;
  let httpUrl = '';
  let jobs: string[];
  let client: OperationsClient;
  let startExport: (req: object) => Promise<string>;
  let exporter: InstanceType<ReturnType<typeof grpc.makeGenericClientConstructor>>;

  before(async () => {
    assert.ok(existsSync(cli), 'run `npm run build` first (npm test does)');
    const started = await start(
      ['serve', '--http', '--demo-jobs', '2', '--demo-duration', '1500ms'],
      /listening on \S+\nhttp on \S+\n(\S+\n){2}/,
    );
    serve = started.child;
    const lines = started.output().trim().split('\n');
    target = lines[0]?.replace('listening on ', '') ?? '';
    httpUrl = lines[1]?.replace('http on ', '') ?? '';
    jobs = lines.slice(2);
    client = new OperationsClient({ address: target, credentials: insecure });
    const Exporter = grpc.makeGenericClientConstructor(
      serviceDefinition(builtinRoot().lookupService('longrunning.demo.v1.Exporter')),
      'Exporter',
    );
    exporter = new Exporter(target, insecure);
    const method = exporter.startExport?.bind(exporter);
    assert.ok(method);
    startExport = (req) =>
      new Promise((resolve, reject) =>
        method(req, (e: grpc.ServiceError | null, op: { name: string }) =>
          e ? reject(e) : resolve(op.name),
        ),
      );
  });

  after(async () => {
    exporter.close();
    client.close();
    serve.kill('SIGTERM');
    assert.equal(await exited(serve), 0, 'serve exits 0 on SIGTERM');
  });

  const common = () => ['--target', target, '--insecure'];

  it('prints the final snapshot as JSON with the response unpacked', async () => {
    const r = await lro(['wait', jobs[1] ?? '', ...common(), '--json']);
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout);
    assert.equal(json.done, true);
    assert.deepEqual(json.response, {
      '@type': 'type.googleapis.com/longrunning.demo.v1.ExportResult',
      uri: 'export://demo-2',
      rowCount: '2000',
    });
    assert.equal(json.metadata.state, 'DONE');
  });

  it('waits over HTTP/JSON with --rest against serve --http', async () => {
    const name = await startExport({ source: 'over-rest', rows: 3, durationMs: 300 });
    const r = await lro(['wait', name, '--rest', httpUrl, '--json', '--interval', '100ms'], {
      LRO_API_KEY: 'k',
    });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).response, {
      '@type': 'type.googleapis.com/longrunning.demo.v1.ExportResult',
      uri: 'export://over-rest',
      rowCount: '3',
    });
    const missing = await lro(['get', 'operations/absent', '--rest', httpUrl]);
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /^lro: NOT_FOUND/);
  });

  it('exits 1 for a failed operation and shows its decoded error', async () => {
    const name = await startExport({ source: 'broken', rows: 1, durationMs: 100, fail: true });
    const r = await lro(['wait', name, ...common()]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /error:\s+FAILED_PRECONDITION: export of broken failed/);
    assert.match(r.stdout, /google\.rpc\.ErrorInfo .*EXPORT_FAILED/);
  });

  it('exits 3 for an RPC error, with one line and no stack trace', async () => {
    const r = await lro(['get', 'operations/missing', ...common()]);
    assert.equal(r.code, 3);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^lro: NOT_FOUND: /);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    const verbose = await lro(['get', 'operations/missing', ...common(), '--verbose']);
    assert.match(verbose.stderr, /\n\s+at /, '--verbose adds the stack');
  });

  it('exits 4 when --timeout passes first', async () => {
    const name = await startExport({ source: 'slow', rows: 1, durationMs: 60_000 });
    const r = await lro(['wait', name, ...common(), '--timeout', '300ms']);
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /not done after --timeout 300ms/);
  });

  it('gets, lists, cancels and deletes', async () => {
    const name = await startExport({ source: 'misc', rows: 5, durationMs: 60_000 });
    const got = await lro(['get', name, ...common(), '--json']);
    assert.equal(got.code, 0);
    assert.equal(JSON.parse(got.stdout).name, name);

    const listed = await lro(['list', ...common(), '--all']);
    assert.equal(listed.code, 0);
    assert.ok(
      listed.stdout.split('\n').some((l) => l.startsWith(`${name}  RUNNING`)),
      listed.stdout,
    );

    const cancelled = await lro(['cancel', name, ...common()]);
    assert.equal(cancelled.code, 0);
    assert.equal((await client.getOperation(name)).error?.code, grpc.status.CANCELLED);

    const deleted = await lro(['delete', name, ...common()]);
    assert.equal(deleted.code, 0);
    assert.equal((await lro(['get', name, ...common()])).code, 3);
  });

  it('exits 130 on SIGINT in the middle of a one-hour poll interval, and with --cancel-on-interrupt the server records the cancel', async () => {
    for (const cancel of [false, true]) {
      const name = await startExport({ source: `interrupt-${cancel}`, rows: 1, durationMs: 120_000 });
      const args = [
        'wait',
        name,
        ...common(),
        '--strategy',
        'poll',
        '--interval',
        '1h',
        ...(cancel ? ['--cancel-on-interrupt'] : []),
      ];
      // After its first poll the CLI sleeps an hour: it exits at all only if the abort ends
      // that sleep. The 60 s bound is a hang guard, not a measure of how fast it exits.
      const { child } = await start(args, /RUNNING/, 'stderr');
      child.kill('SIGINT');
      const code = await Promise.race([
        exited(child),
        new Promise<string>((resolve) =>
          setTimeout(resolve, 60_000, 'still running 60 s after SIGINT').unref(),
        ),
      ]);
      if (typeof code === 'string') child.kill('SIGKILL');
      assert.equal(code, 130);
      const op = await client.getOperation(name);
      assert.equal(op.done, cancel, cancel ? 'cancelled on the server' : 'left running on the server');
      if (cancel) assert.equal(op.error?.code, grpc.status.CANCELLED);
    }
  });

  it('exits 2 with one clear line for a bad target, an unknown subcommand or a missing name', async () => {
    const cases: [string[], RegExp][] = [
      [
        ['get', 'operations/x', '--target', 'no-port-here', '--insecure'],
        /--target: invalid address "no-port-here"/,
      ],
      [['get', 'operations/x'], /no target: pass --target/],
      [['frobnicate'], /unknown command 'frobnicate'/],
      [['wait', '--target', '127.0.0.1:1'], /missing required argument 'name'/],
      [
        ['wait', 'operations/x', '--target', '127.0.0.1:1', '--timeout', 'soon'],
        /--timeout: invalid duration "soon"/,
      ],
    ];
    for (const [args, pattern] of cases) {
      const r = await lro(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr.split('\n')[0] ?? '', pattern);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    }
  });

  it('runs the demo: a typed ExportResult, its int64 rowCount printed as the string it is, and with --fail a decoded error', async () => {
    const ok = await lro(['demo', '--duration', '600ms', '--rows', '42']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /uri:\s+export:\/\/warehouse\.orders/);
    assert.match(ok.stdout, /rowCount: "42" {2}\(int64: a decimal string\)/);
    const failed = await lro(['demo', '--duration', '300ms', '--fail']);
    assert.equal(failed.code, 1);
    assert.match(failed.stdout, /Export failed: FAILED_PRECONDITION/);
    assert.match(failed.stdout, /google\.rpc\.ErrorInfo: .*EXPORT_FAILED/);
  });
});
