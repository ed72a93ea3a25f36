import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const repo = join(import.meta.dirname, '..');
const readme = readFileSync(join(repo, 'README.md'), 'utf8');

/** Every code block of the README preceded by `<!-- snippet: PATH -->`, with its path. */
function snippets(): { path: string; lines: string[] }[] {
  const found: { path: string; lines: string[] }[] = [];
  for (const match of readme.matchAll(/<!-- snippet: (\S+) -->\n```\w*\n([\s\S]*?)```/g)) {
    found.push({ path: match[1] ?? '', lines: (match[2] ?? '').split('\n').map((l) => l.trim()) });
  }
  return found;
}

describe('README', () => {
  it('takes each marked snippet verbatim from the example file it names, so it has no undefined names', () => {
    const all = snippets();
    assert.ok(
      all.some((s) => s.path.startsWith('examples/gapic-client/')),
      'the GAPIC snippet is marked',
    );
    for (const { path, lines } of all) {
      const source = readFileSync(join(repo, path), 'utf8')
        .split('\n')
        .map((l) => l.trim());
      const body = lines.filter((l) => l !== '');
      const at = source.indexOf(body[0] ?? '');
      assert.ok(at >= 0, `${path} has the snippet's first line ${JSON.stringify(body[0])}`);
      assert.deepEqual(source.slice(at, at + body.length), body, `the snippet is a run of lines of ${path}`);
    }
  });

  it('links both examples', () => {
    assert.match(readme, /\]\(examples\/gapic-client\//);
    assert.match(readme, /\]\(examples\/with-google-gax\//);
  });
});
