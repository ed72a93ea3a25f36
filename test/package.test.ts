import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';

const repo = join(import.meta.dirname, '..');

describe('the published package', () => {
  before(() => {
    assert.ok(existsSync(join(repo, 'dist/index.js')), 'run `npm run build` first (npm test does)');
  });

  it('builds dist/index.js with type declarations, and the lro bin', () => {
    assert.ok(existsSync(join(repo, 'dist/index.d.ts')));
    assert.ok(existsSync(join(repo, 'dist/testing/index.d.ts')));
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
});
