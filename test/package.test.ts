import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { readBundleMeta } from './fixtures/bundle-meta.ts';

const repo = join(import.meta.dirname, '..');

interface PackageJson {
  engines: { node: string };
  scripts: Record<string, string>;
  exports: Record<string, string | { types: string; default: string }>;
  typesVersions: Record<string, Record<string, string[]>>;
  peerDependencies: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
}

const manifest: PackageJson = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));

/** The paths `npm pack` would put in the tarball (no scripts run). */
function packedFiles(): string[] {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: repo,
    encoding: 'utf8',
  });
  const [pack] = JSON.parse(out) as [{ files: { path: string }[] }];
  return pack.files.map((file) => file.path);
}

describe('the published package', () => {
  before(() => {
    assert.ok(existsSync(join(repo, 'dist/index.js')), 'run `npm run build` first (npm test does)');
  });

  it('builds dist/index.js with type declarations, and the lro bin', () => {
    assert.ok(existsSync(join(repo, 'dist/index.d.ts')));
    assert.ok(existsSync(join(repo, 'dist/testing.d.ts')));
    assert.ok(existsSync(join(repo, 'dist/cli/main.js')));
  });

  it('resolves through import() by its own name', () => {
    const out = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "const m = await import('longrunning'); console.log(typeof m.createRegistry)",
      ],
      { cwd: repo, encoding: 'utf8' },
    );
    assert.equal(out.trim(), 'function');
  });

  it('lets an external script import the fake server from longrunning/testing', async () => {
    const { mkdtempSync, writeFileSync, symlinkSync, mkdirSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'lro-external-'));
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(repo, join(dir, 'node_modules', 'longrunning'));
    symlinkSync(join(repo, 'node_modules', '@grpc'), join(dir, 'node_modules', '@grpc'));
    writeFileSync(
      join(dir, 'script.mjs'),
      `import { FakeOperationsServer } from 'longrunning/testing';
import { OperationsClient } from 'longrunning';
import * as grpc from '@grpc/grpc-js';
const server = await FakeOperationsServer.start();
const client = new OperationsClient({ address: server.address, credentials: grpc.credentials.createInsecure() });
const h = server.create();
h.succeed('google.protobuf.Empty', {});
const op = await client.getOperation(h.name);
console.log(op.done);
client.close();
await server.stop();
`,
    );
    const out = execFileSync(process.execPath, ['script.mjs'], { cwd: dir, encoding: 'utf8' });
    assert.equal(out.trim(), 'true');
  });

  it('resolves through require() by its own name', () => {
    const out = execFileSync(
      process.execPath,
      ['--no-warnings', '-e', "console.log(typeof require('longrunning').createRegistry)"],
      { cwd: repo, encoding: 'utf8' },
    );
    assert.equal(out.trim(), 'function');
  });

  it('ships LICENSE (Apache-2.0), README, dist, protos and sources, and no tests, scripts or fixtures', () => {
    const files = packedFiles();
    assert.deepEqual([...new Set(files.map((path) => path.split('/')[0]))].sort(), [
      'LICENSE',
      'README.md',
      'dist',
      'package.json',
      'protos',
      'src',
    ]);
    assert.match(readFileSync(join(repo, 'LICENSE'), 'utf8'), /Apache License\s+Version 2\.0, January 2004/);
    assert.ok(files.includes('dist/cli/main.js'));
    assert.ok(files.includes('protos/google/longrunning/operations.proto'));
  });

  it('exports the bundles of dist/bundle/, one copy of each class across its entry points', () => {
    const files = packedFiles();
    for (const entry of ['index', 'transport', 'testing']) {
      assert.ok(files.includes(`dist/bundle/${entry}.js`), `dist/bundle/${entry}.js is shipped`);
    }
    assert.equal(files.includes('dist/bundle/meta.json'), false, 'the metafile is not shipped');
    const resolved = execFileSync(
      process.execPath,
      ['--input-type=module', '-e', "console.log(import.meta.resolve('longrunning/testing'))"],
      { cwd: repo, encoding: 'utf8' },
    );
    assert.match(resolved.trim(), /\/dist\/bundle\/testing\.js$/);
    // One copy of each module: no source file is in two output files (esbuild's metafile).
    const meta = readBundleMeta(repo);
    const where = new Map<string, string[]>();
    for (const [output, { inputs }] of Object.entries(meta.outputs)) {
      for (const input of Object.keys(inputs)) where.set(input, [...(where.get(input) ?? []), output]);
    }
    assert.ok(where.has('dist/wire/errors.js'), 'the metafile lists the modules');
    assert.deepEqual(
      [...where].filter(([, outputs]) => outputs.length > 1),
      [],
    );
  });

  it('builds dist in prepare, so a git install and npx lro in a fresh checkout have it', () => {
    assert.match(manifest.scripts.prepare ?? '', /npm run build/);
  });

  it('maps every subpath export to the same declarations for node10 resolution (typesVersions)', () => {
    for (const [subpath, target] of Object.entries(manifest.exports)) {
      if (subpath === '.' || typeof target === 'string') continue;
      const name = subpath.replace(/^\.\//, '');
      assert.deepEqual(manifest.typesVersions['*']?.[name], [target.types], `typesVersions for ${subpath}`);
      assert.ok(existsSync(join(repo, target.types)), target.types);
    }
  });

  it('takes @grpc/grpc-js as a caret peer dependency, developed against an exact version inside the range', () => {
    const peer = manifest.peerDependencies['@grpc/grpc-js'] ?? '';
    assert.match(peer, /^\^1\.\d+\.\d+$/);
    assert.equal(manifest.dependencies['@grpc/grpc-js'], undefined);
    const dev = manifest.devDependencies['@grpc/grpc-js'] ?? '';
    assert.match(dev, /^1\.\d+\.\d+$/);
    const [, minor] = peer.slice(1).split('.').map(Number);
    assert.ok(Number(dev.split('.')[1]) >= (minor ?? Infinity), `${dev} is inside ${peer}`);
    for (const [name, range] of Object.entries(manifest.dependencies)) assert.match(range, /^\^/, name);
  });

  it('requires a Node release with require(esm) on by default (20.19)', () => {
    assert.equal(manifest.engines.node, '>=20.19.0');
  });
});
