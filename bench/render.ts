/**
 * `node --import tsx bench/render.ts [--quick]`: renders BENCHMARKS.md and the plots again
 * from the results of the last run (bench/results.json, or bench/.quick/results.json),
 * judging the goals anew, without measuring anything: for a change to the report's text.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { type BenchResults, evaluateGoals } from './goals.ts';
import { writePlots } from './plot.ts';
import { renderMarkdown } from './report.ts';

const quick = process.argv.includes('--quick');
const root = new URL('..', import.meta.url).pathname;
const outDir = quick ? join(root, 'bench/.quick') : root;
const jsonPath = quick ? join(outDir, 'results.json') : join(root, 'bench/results.json');
const results: BenchResults = JSON.parse(readFileSync(jsonPath, 'utf8'));
results.goals = evaluateGoals(results);
writeFileSync(jsonPath, `${JSON.stringify(results, null, 2)}\n`);
writePlots(results, dirname(jsonPath));
writeFileSync(
  join(outDir, 'BENCHMARKS.md'),
  renderMarkdown(results, relative(outDir, dirname(jsonPath)) || '.'),
);
process.stderr.write(`rendered ${join(outDir, 'BENCHMARKS.md')} from ${jsonPath}\n`);
