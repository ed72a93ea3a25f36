import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const repo = join(import.meta.dirname, '..');
const GAPIC = join(repo, 'examples', 'gapic-client');

/** The module specifiers a file imports. */
function imports(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(/^import .*? from '([^']+)';$/gm)].map((m) => m[1] ?? '');
}

describe('examples/gapic-client', () => {
  it('uses the package as a user has it: entry points only, and types it generates from the .proto', () => {
    const sources = readdirSync(GAPIC).filter((f) => f.endsWith('.ts'));
    const specifiers = sources.flatMap((f) => imports(join(GAPIC, f)));
    const reachingOut = specifiers.filter((s) => s.startsWith('../'));
    assert.deepEqual(reachingOut, [], 'no import reaches into the repository (src/, src/generated)');
    assert.ok(
      specifiers.some((s) => s.startsWith('./generated/')),
      'the types come from generated/',
    );
    const run = readFileSync(join(repo, 'scripts', 'run-examples.ts'), 'utf8');
    assert.match(run, /proto-loader-gen-types/);
    assert.match(run, /--outDir=examples\/gapic-client\/generated/);
    assert.match(readFileSync(join(repo, '.gitignore'), 'utf8'), /^examples\/gapic-client\/generated\/$/m);
  });
});
