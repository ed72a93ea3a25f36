/**
 * What an application's first call loads. A fresh `node` imports the built root entry,
 * makes one GetOperation and one held wait against the fake server, and a loader hook
 * (test/fixtures/load-log) lists every module it loaded. The pieces a gRPC client does not
 * need for that (the tracing API, reflection, the CLI, the testing server, the HTTP/JSON
 * transport, protobufjs's .proto parser, proto-loader) must not be among them: each costs
 * start-up time (BENCHMARKS.md, section 4). Checked for both builds of the entry: the
 * bundle the package exports (dist/bundle/index.js, whose loaded chunks are read back into
 * the modules they hold with esbuild's metafile) and the module-per-file tsc output.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { FakeOperationsServer } from '../src/testing/fake-server.ts';
import { type BundleMeta, readBundleMeta } from './fixtures/bundle-meta.ts';

const repo = new URL('..', import.meta.url).pathname;
const fixtures = join(repo, 'test/fixtures/load-log');

/** Modules the first GetOperation and wait of a gRPC client must not load, by what they are. */
const NOT_LOADED: Record<string, RegExp> = {
  'the tracing API (@opentelemetry/api), with no tracer provider registered': /\/@opentelemetry\/api\//,
  '@grpc/proto-loader': /\/@grpc\/proto-loader\//,
  "protobufjs's .proto parser": /\/protobufjs\/src\/(parse|tokenize)\.js$/,
  'the CLI (dist/cli, commander, cli-progress)': /\/dist\/cli\/|\/commander\/|\/cli-progress\//,
  'the testing server (dist/testing)': /\/dist\/testing\//,
  'the HTTP/JSON transport (rest.ts and the HTTP modules only it uses)':
    /\/dist\/transport\/(rest|http-body|http-error|http-redirect|bearer-token)\.js$/,
};

/**
 * Runs the first-call fixture against `address` (asynchronously: the fake server answers
 * from this process); resolves the modules it loaded.
 */
async function firstCallModules(address: string, name: string, entry: string): Promise<string[]> {
  const args = [
    '--import',
    pathToFileURL(join(fixtures, 'register.mjs')).href,
    join(fixtures, 'first-call.mjs'),
    pathToFileURL(join(repo, entry)).href,
    address,
    name,
  ];
  const stderr = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, args, { encoding: 'utf8', timeout: 30_000 }, (error, _stdout, err) => {
      if (error !== null) reject(new Error(`the first-call process failed: ${error.message}\n${err}`));
      else resolve(err);
    });
  });
  const { modules } = JSON.parse(stderr.trim().split('\n').pop() ?? '');
  assert.ok(Array.isArray(modules));
  return modules.map(String).flatMap(bundledModules);
}

let bundleMeta: BundleMeta | undefined;

/**
 * A loaded module as the modules it holds: a file of dist/bundle/ is the dist/ modules
 * esbuild put in it (as absolute paths, like the loader's); any other file is itself.
 */
function bundledModules(loaded: string): string[] {
  const at = loaded.indexOf('/dist/bundle/');
  if (at === -1) return [loaded];
  bundleMeta ??= readBundleMeta(repo);
  const output = bundleMeta.outputs[loaded.slice(at + 1)];
  assert.ok(output !== undefined, `${loaded} is not an output of the bundle's metafile`);
  return [loaded, ...Object.keys(output.inputs).map((input) => join(repo, input))];
}

for (const entry of ['dist/bundle/index.js', 'dist/index.js']) {
  describe(`the root entry's first calls (${entry})`, () => {
    let server: FakeOperationsServer;
    let modules: string[];

    before(async () => {
      assert.ok(existsSync(join(repo, entry)), 'run `npm run build` first (npm test does)');
      server = await FakeOperationsServer.start();
      const op = server.simulate({
        durationMs: 200,
        steps: 1,
        responseType: 'longrunning.demo.v1.ExportResult',
        response: { uri: 'export://cold', rowCount: '1' },
        metadataType: 'longrunning.demo.v1.ExportMetadata',
      });
      modules = await firstCallModules(server.address, op.name, entry);
    });
    after(() => server.stop());

    it('made the GetOperation and the wait over the built library (the module list is real)', () => {
      assert.ok(modules.some((m) => m.endsWith(`/${entry}`)));
      assert.ok(
        modules.some((m) => m.endsWith('/dist/client/operation.js')),
        'the modules of a bundle are listed',
      );
      assert.ok(modules.some((m) => m.includes('/@grpc/grpc-js/')));
      assert.ok(modules.some((m) => m.includes('/protobufjs/')));
      assert.equal(server.calls.GetOperation, 1);
      assert.ok(server.calls.WaitOperation >= 1);
    });

    for (const [what, pattern] of Object.entries(NOT_LOADED)) {
      it(`does not load ${what}`, () => {
        assert.deepEqual(
          modules.filter((m) => pattern.test(m)),
          [],
        );
      });
    }
  });
}
