/**
 * The code blocks of the guides and the README, and the example files they come from.
 * Every ```ts block must be preceded by `<!-- example: PATH.ts -->` (the whole file) or
 * `<!-- example: PATH.ts#REGION -->` (the lines between `// #region REGION` and
 * `// #endregion` in that file, dedented), PATH relative to the Markdown file, and must
 * equal that text. In a strict file (the README) every code block must be such a block.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const MARKER = /^<!-- example: ([\w./-]+\.ts)(?:#([\w-]+))? -->$/;
const REGION_LINE = /^\s*\/\/ #(end)?region\b/;

/** The text a marker stands for: a whole example file, or one region of it (markers removed). */
export function exampleText(path: string, region: string | undefined): string {
  const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
  if (region === undefined) return lines.filter((l) => !REGION_LINE.test(l)).join('\n');
  const start = lines.findIndex((l) => l.trim() === `// #region ${region}`);
  const end = lines.findIndex((l, i) => i > start && l.trim() === '// #endregion');
  if (start < 0 || end < 0) throw new Error(`${path}: no region ${JSON.stringify(region)}`);
  const body = lines.slice(start + 1, end).filter((l) => !REGION_LINE.test(l));
  const indent = Math.min(...body.filter((l) => l.trim() !== '').map((l) => l.length - l.trimStart().length));
  return body.map((l) => l.slice(indent)).join('\n');
}

/** Options of `checkGuide`. */
export interface CheckOptions {
  /** Rewrite the blocks from the files instead of comparing. */
  readonly write?: boolean;
  /** Every code block must be a marked ```ts block (the README: CI type-checks and runs all its code). */
  readonly strict?: boolean;
}

/** Checks (or rewrites) the blocks of the Markdown file at `path`. Returns its problems, one line each. */
export function checkGuide(path: string, options: CheckOptions = {}): string[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  const problems: string[] = [];
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    out.push(line);
    if (!line.startsWith('```')) continue;
    const end = lines.findIndex((l, j) => j > i && l.trim() === '```');
    if (end < 0) {
      problems.push(`${path}:${i + 1}: unterminated code block`);
      break;
    }
    const marker = MARKER.exec(lines[i - 1] ?? '');
    if (!/^```ts\s*$/.test(line)) {
      if (options.strict === true)
        problems.push(`${path}:${i + 1}: a code block that is not a checked ts block`);
      out.push(...lines.slice(i + 1, end + 1));
    } else if (marker === null) {
      problems.push(`${path}:${i + 1}: a ts block without an <!-- example: PATH.ts --> marker`);
      out.push(...lines.slice(i + 1, end + 1));
    } else {
      const [, file = '', region] = marker;
      const expected = exampleText(join(dirname(path), file), region);
      if (options.write === true) out.push(...expected.split('\n'), '```');
      else {
        if (lines.slice(i + 1, end).join('\n') !== expected)
          problems.push(`${path}:${i + 1}: differs from ${file}${region ? `#${region}` : ''}`);
        out.push(...lines.slice(i + 1, end + 1));
      }
    }
    i = end;
  }
  if (options.write === true) writeFileSync(path, out.join('\n'));
  return problems;
}
