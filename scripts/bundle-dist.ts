/**
 * Run after `tsc` and prune-dist by `npm run build`: bundles the package's three entry
 * points (dist/index.js, dist/transport.js, dist/testing.js, as tsc emitted them) with
 * esbuild into dist/bundle/, which the `exports` map points at. Code shared by the entries
 * lands in shared chunks (ESM splitting), so `longrunning` and `longrunning/testing` hold
 * one copy of each class (`instanceof` works across them), and what an entry loads only
 * on demand (the HTTP/JSON transport, a dynamic import) stays a chunk of its own.
 *
 * Why: an application's start-up loads one file per module. The library is some 66
 * modules; as one bundle, a first call's process starts about 40 ms sooner on these
 * machines (BENCHMARKS.md, section 4: 179 ms added over `node -e 0`, against 218). Dependencies stay external (`@grpc/grpc-js` is a peer; one copy per app).
 * dist/bundle sits two folders below the package root, as dist/<layer>/ does, so paths
 * the code builds from `import.meta.dirname` (the library's protos/) are the same.
 * The per-module files stay in dist/ for the `lro` CLI and the declarations.
 *
 * Also writes dist/bundle/meta.json (esbuild's metafile: which source went into which
 * chunk; not shipped), which test/cold-load.test.ts reads.
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

const root = resolve(import.meta.dirname, '..');
const dist = join(root, 'dist');
const outdir = join(dist, 'bundle');

const result = await build({
  entryPoints: {
    index: join(dist, 'index.js'),
    transport: join(dist, 'transport.js'),
    testing: join(dist, 'testing.js'),
  },
  outdir,
  // The metafile names files from the repository root, wherever the build runs from.
  absWorkingDir: root,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  chunkNames: 'chunk-[hash]',
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
});
writeFileSync(join(outdir, 'meta.json'), JSON.stringify(result.metafile));
