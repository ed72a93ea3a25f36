/**
 * Keeps the guides' and the README's code honest: their ```ts blocks must equal the
 * example files (or regions) their markers name (guide-blocks.ts; every code block of the
 * README must be one). Then the examples under docs/examples are type-checked (strict, as
 * the library) and each is run; one that exits non-zero, or runs longer than
 * RUN_TIMEOUT_MS, fails the check. (The README's GAPIC block comes from
 * examples/gapic-client, which `npm run examples` type-checks and runs.) The timeline
 * picture of the Waiting guide must equal what `timeline.ts` draws from the library's
 * defaults.
 *
 * `--write` rewrites the blocks (and the picture) from the files instead of comparing.
 * Run from the repository root: `npm run docs:examples`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkGuide } from './guide-blocks.ts';
import { drawTimeline, TIMELINE_FILE } from './timeline.ts';

const DOCS = 'docs';
const EXAMPLES = join(DOCS, 'examples');
const TSCONFIG = join(EXAMPLES, 'tsconfig.json');
const RUN_TIMEOUT_MS = 60_000;
const write = process.argv.includes('--write');

const problems: string[] = [];
for (const guide of readdirSync(DOCS).filter((f) => f.endsWith('.md'))) {
  problems.push(...checkGuide(join(DOCS, guide), { write }));
}
problems.push(...checkGuide('README.md', { write, strict: true }));

const picture = drawTimeline();
if (write) writeFileSync(TIMELINE_FILE, picture);
else if (readFileSync(TIMELINE_FILE, 'utf8') !== picture) {
  problems.push(`${TIMELINE_FILE} is stale: run node --import tsx docs/check-examples.ts --write`);
}

if (problems.length > 0) {
  console.error(problems.join('\n'));
  process.exit(1);
}

execFileSync('npx', ['tsc', '-p', TSCONFIG], { stdio: 'inherit' });

const failed: string[] = [];
for (const file of readdirSync(EXAMPLES).filter((f) => f.endsWith('.ts'))) {
  const started = Date.now();
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(EXAMPLES, file)], {
    env: { ...process.env, TSX_TSCONFIG_PATH: TSCONFIG },
    encoding: 'utf8',
    timeout: RUN_TIMEOUT_MS,
  });
  const ms = Date.now() - started;
  if (run.status === 0) console.log(`ok   ${file} (${ms} ms)`);
  else {
    failed.push(file);
    console.log(`FAIL ${file} (exit ${run.status ?? run.signal}, ${ms} ms)\n${run.stdout}${run.stderr}`);
  }
}
if (failed.length > 0) {
  console.error(`examples failed: ${failed.join(', ')}`);
  process.exit(1);
}
