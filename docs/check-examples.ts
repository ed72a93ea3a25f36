/**
 * Keeps the guides' code honest. Every ```ts block of a guide in docs/ must be preceded by
 * `<!-- example: examples/NAME.ts -->` (the whole file) or
 * `<!-- example: examples/NAME.ts#REGION -->` (the lines between `// #region REGION` and
 * `// #endregion` in that file) and must equal that text. Then the examples are
 * type-checked (strict, as the library) and each is run; one that exits non-zero, or runs
 * longer than RUN_TIMEOUT_MS, fails the check. The timeline picture of the Waiting guide
 * must equal what `timeline.ts` draws from the library's defaults.
 *
 * `--write` rewrites the guides' blocks (and the picture) from the files instead of
 * comparing. Run from the repository root: `npm run docs:examples`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { drawTimeline, TIMELINE_FILE } from './timeline.ts';

const DOCS = 'docs';
const EXAMPLES = join(DOCS, 'examples');
const TSCONFIG = join(EXAMPLES, 'tsconfig.json');
const RUN_TIMEOUT_MS = 60_000;
const write = process.argv.includes('--write');

const MARKER = /^<!-- example: (examples\/[\w-]+\.ts)(?:#([\w-]+))? -->$/;

/** The text a marker stands for: a whole example file, or one region of it (markers removed). */
function exampleText(file: string, region: string | undefined): string {
  const lines = readFileSync(join(DOCS, file), 'utf8').trimEnd().split('\n');
  if (region === undefined) return lines.filter((l) => !/^\s*\/\/ #(end)?region\b/.test(l)).join('\n');
  const start = lines.findIndex((l) => l.trim() === `// #region ${region}`);
  const end = lines.findIndex((l, i) => i > start && l.trim() === '// #endregion');
  if (start < 0 || end < 0) throw new Error(`${file}: no region ${JSON.stringify(region)}`);
  const body = lines.slice(start + 1, end).filter((l) => !/^\s*\/\/ #(end)?region\b/.test(l));
  const indent = Math.min(...body.filter((l) => l.trim() !== '').map((l) => l.length - l.trimStart().length));
  return body.map((l) => l.slice(indent)).join('\n');
}

/** Checks (or rewrites) one guide. Returns its problems. */
function checkGuide(guide: string): string[] {
  const path = join(DOCS, guide);
  const lines = readFileSync(path, 'utf8').split('\n');
  const problems: string[] = [];
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    out.push(line);
    if (!/^```ts\s*$/.test(line)) continue;
    const end = lines.findIndex((l, j) => j > i && l.trim() === '```');
    if (end < 0) {
      problems.push(`${path}:${i + 1}: unterminated code block`);
      break;
    }
    const marker = MARKER.exec(lines[i - 1] ?? '');
    const block = lines.slice(i + 1, end).join('\n');
    if (marker === null) {
      problems.push(`${path}:${i + 1}: a ts block without an <!-- example: examples/NAME.ts --> marker`);
      out.push(...lines.slice(i + 1, end + 1));
    } else {
      const [, file = '', region] = marker;
      const expected = exampleText(file, region);
      if (write) out.push(...expected.split('\n'), '```');
      else {
        if (block !== expected)
          problems.push(`${path}:${i + 1}: differs from ${file}${region ? `#${region}` : ''}`);
        out.push(...lines.slice(i + 1, end + 1));
      }
    }
    i = end;
  }
  if (write) writeFileSync(path, out.join('\n'));
  return problems;
}

const problems: string[] = [];
for (const guide of readdirSync(DOCS).filter((f) => f.endsWith('.md'))) problems.push(...checkGuide(guide));

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
