import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';

const repo = join(import.meta.dirname, '..');

describe('the published package', () => {
  before(() => {
    execFileSync('npm', ['run', '-s', 'build'], { cwd: repo, stdio: 'pipe' });
  });

  it('builds dist/index.js with type declarations', () => {
    assert.ok(existsSync(join(repo, 'dist/index.js')));
    assert.ok(existsSync(join(repo, 'dist/index.d.ts')));
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

  it('resolves through require() by its own name', () => {
    const out = execFileSync(
      process.execPath,
      ['--no-warnings', '-e', "console.log(typeof require('longrunning').createRegistry)"],
      { cwd: repo, encoding: 'utf8' },
    );
    assert.equal(out.trim(), 'function');
  });
});
