/**
 * Run after `tsc` by `npm run build`: removes from dist/generated/ the JavaScript that no
 * module loads. proto-loader-gen-types writes one type file per message; tsc emits a `.js`
 * and a `.js.map` for each, though only their `.d.ts` is ever used (every import of them is
 * `import type`, and the package's `exports` map allows no deep import). Keeping them
 * would add some 200 files to every install. A generated module that any dist module
 * imports (descriptor.js) is kept. Also removes generated declaration maps: they point into
 * generated sources the package does not ship.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const dist = resolve(import.meta.dirname, '..', 'dist');
const generated = join(dist, 'generated');

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((f) => join(dir, f));
}

const imported = new Set<string>();
const importPattern = /(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g;
for (const file of filesUnder(dist).filter((f) => f.endsWith('.js'))) {
  for (const match of readFileSync(file, 'utf8').matchAll(importPattern)) {
    imported.add(resolve(dirname(file), match[1] ?? ''));
  }
}

let removed = 0;
for (const file of filesUnder(generated)) {
  const unusedJs = file.endsWith('.js') && !imported.has(file);
  const unusedMap = file.endsWith('.js.map') && !imported.has(file.slice(0, -'.map'.length));
  if (unusedJs || unusedMap || file.endsWith('.d.ts.map')) {
    rmSync(file);
    removed++;
  }
}
const kept = [...imported].filter((f) => f.startsWith(generated)).map((f) => relative(dist, f));
process.stderr.write(`prune-dist: removed ${removed} files from dist/generated (kept ${kept.join(', ')})\n`);
