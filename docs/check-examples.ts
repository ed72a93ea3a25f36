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
import { execFile, execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkGuide } from './guide-blocks.ts';
import { drawTimeline, TIMELINE_FILE } from './timeline.ts';

const DOCS = 'docs';
const EXAMPLES = join(DOCS, 'examples');
const TSCONFIG = join(EXAMPLES, 'tsconfig.json');
const RUN_TIMEOUT_MS = 60_000;
/** Examples run at once. */
const CONCURRENCY = 2;
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

/** Runs one example; resolves its exit status and output. */
function runExample(file: string): Promise<{ file: string; ok: boolean; report: string }> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', join(EXAMPLES, file)],
      { env: { ...process.env, TSX_TSCONFIG_PATH: TSCONFIG }, encoding: 'utf8', timeout: RUN_TIMEOUT_MS },
      (error, stdout, stderr) => {
        const ms = Date.now() - started;
        if (error === null) resolve({ file, ok: true, report: `ok   ${file} (${ms} ms)` });
        else {
          const status = typeof error.code === 'number' ? error.code : (error.signal ?? error.code);
          resolve({ file, ok: false, report: `FAIL ${file} (exit ${status}, ${ms} ms)\n${stdout}${stderr}` });
        }
      },
    );
  });
}

// CONCURRENCY at a time (each mostly waits on its own fake server), reported in file order.
const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.ts'));
const queue = [...files];
const results = new Map<string, { file: string; ok: boolean; report: string }>();
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      results.set(file, await runExample(file));
    }
  }),
);
for (const file of files) console.log(results.get(file)?.report);
const failed = files.filter((file) => results.get(file)?.ok !== true);
if (failed.length > 0) {
  console.error(`examples failed: ${failed.join(', ')}`);
  process.exit(1);
}
