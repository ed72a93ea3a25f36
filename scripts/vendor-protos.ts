/**
 * Copies the import closure of the Operations API protos from `google-proto-files` into
 * `protos/`. The closure is found by following `import` lines from the roots below, so a
 * new import upstream is picked up without editing a list. Files already in `protos/` that
 * are no longer in the closure are left alone (the demo protos live there too).
 *
 * Usage: npm run protos:vendor
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The files users of the library need; everything they import comes along. */
export const ROOTS = [
  'google/longrunning/operations.proto',
  'google/rpc/status.proto',
  'google/rpc/code.proto',
  'google/rpc/error_details.proto',
  // Well-known types the registry preloads even though the roots above do not import them.
  'google/protobuf/timestamp.proto',
  'google/protobuf/struct.proto',
  'google/protobuf/wrappers.proto',
  'google/protobuf/field_mask.proto',
];

const IMPORT = /^\s*import\s+(?:public\s+|weak\s+)?"([^"]+)"\s*;/gm;

/** Returns the sorted import closure of `roots`, reading files under `sourceDir`. */
export function importClosure(sourceDir: string, roots: readonly string[]): string[] {
  const seen = new Set<string>();
  const pending = [...roots];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (seen.has(file)) continue;
    const path = join(sourceDir, file);
    if (!existsSync(path)) throw new Error(`vendor-protos: ${file} not found under ${sourceDir}`);
    seen.add(file);
    for (const match of readFileSync(path, 'utf8').matchAll(IMPORT)) {
      if (match[1] !== undefined) pending.push(match[1]);
    }
  }
  return [...seen].sort();
}

function main(): void {
  const require = createRequire(import.meta.url);
  const sourceDir = dirname(require.resolve('google-proto-files/package.json'));
  const outDir = join(import.meta.dirname, '..', 'protos');
  const files = importClosure(sourceDir, ROOTS);
  for (const file of files) {
    mkdirSync(dirname(join(outDir, file)), { recursive: true });
    copyFileSync(join(sourceDir, file), join(outDir, file));
  }
  console.log(`vendored ${files.length} files into protos/:\n  ${files.join('\n  ')}`);
}

main();
