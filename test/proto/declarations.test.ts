/**
 * The emitted declarations (dist/**\/*.d.ts) must compile for every consumer setting. A
 * default import of a package there (`import protobuf from 'protobufjs'`) is TS1192 for a
 * CommonJS consumer without esModuleInterop, since CommonJS packages (protobufjs, grpc-js,
 * node:*) have no default export in their typings. Runs against the build `npm test` makes.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { before, describe, it } from 'node:test';

const dist = join(import.meta.dirname, '..', '..', 'dist');

/** Every `.d.ts` under `dir`. */
function declarationFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.d.ts'))
    .map((f) => join(dir, f));
}

/**
 * Default imports of non-relative modules in a declaration file: `import x from 'm'`,
 * `import type x from 'm'`, `import x, { y } from 'm'` and `import x, * as y from 'm'`.
 */
function defaultImportsOfPackages(text: string): string[] {
  const found: string[] = [];
  const pattern = /^\s*import\s+(?:type\s+)?([A-Za-z_$][\w$]*)\s*(?:,[^;]*?)?\s+from\s+['"]([^'"]+)['"]/gm;
  for (const m of text.matchAll(pattern)) {
    const specifier = m[2] ?? '';
    if (!specifier.startsWith('.')) found.push(`import ${m[1]} from '${specifier}'`);
  }
  return found;
}

describe('emitted declarations', () => {
  before(() => {
    assert.ok(existsSync(join(dist, 'index.d.ts')), 'run `npm run build` first (npm test does)');
  });

  it('recognises each form of default import and leaves namespace, named and relative imports alone', () => {
    const text = [
      "import protobuf from 'protobufjs';",
      "import type pb from 'protobufjs';",
      "import grpc, { Metadata } from '@grpc/grpc-js';",
      "import type * as ns from 'protobufjs';",
      "import type { Type } from 'protobufjs';",
      "import local from './local.js';",
    ].join('\n');
    assert.deepEqual(defaultImportsOfPackages(text), [
      "import protobuf from 'protobufjs'",
      "import pb from 'protobufjs'",
      "import grpc from '@grpc/grpc-js'",
    ]);
  });

  it('import no package by a default import, so CommonJS consumers without esModuleInterop compile', () => {
    const files = declarationFiles(dist);
    assert.ok(files.length > 10, `only ${files.length} declaration files under dist/`);
    const offending = files.flatMap((file) =>
      defaultImportsOfPackages(readFileSync(file, 'utf8')).map((i) => `${relative(dist, file)}: ${i}`),
    );
    assert.deepEqual(offending, []);
  });
});
