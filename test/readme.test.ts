import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { checkGuide } from '../docs/guide-blocks.ts';

const repo = join(import.meta.dirname, '..');
const readme = readFileSync(join(repo, 'README.md'), 'utf8');
const contributing = readFileSync(join(repo, 'CONTRIBUTING.md'), 'utf8');

describe('README', () => {
  it('stays short: under 150 lines, contributor material in CONTRIBUTING.md', () => {
    assert.ok(readme.split('\n').length <= 150, `${readme.split('\n').length} lines`);
    assert.match(readme, /\]\(CONTRIBUTING\.md\)/);
    assert.doesNotMatch(readme, /^## (Layout|Checks|Measurements|Protos and generated code)$/m);
  });

  it('has only code blocks that are regions of files CI type-checks and runs, equal to them', () => {
    assert.deepEqual(checkGuide(join(repo, 'README.md'), { strict: true }), []);
    const markers = [...readme.matchAll(/<!-- example: (\S+?)(?:#\S+)? -->/g)].map((m) => m[1]);
    assert.deepEqual(markers, ['docs/examples/readme.ts', 'examples/gapic-client/exporter-client.ts']);
  });

  it('links the guides, both examples and the reports as Markdown links (bare file names become http:// links in the API docs)', () => {
    for (const target of [
      'docs/waiting.md',
      'docs/many-operations.md',
      'docs/errors.md',
      'docs/migrating-from-gax.md',
      'docs/testing.md',
      'examples/gapic-client/',
      'examples/with-google-gax/',
      'BENCHMARKS.md',
      'RELIABILITY.md',
    ]) {
      assert.ok(readme.includes(`](${target}`), `links ${target}`);
    }
    const prose = readme.replace(/\]\([^)]*\)/g, ']()').replace(/\[[^\]]*\]/g, '[]');
    assert.doesNotMatch(
      prose,
      /\b(BENCHMARKS|RELIABILITY|CONTRIBUTING|CHANGELOG)\.md\b/,
      'no bare report names',
    );
  });

  it('shows how to run the demo and the tests', () => {
    assert.match(readme, /npm ci && npm start/);
    assert.match(readme, /npm ci && npm test/);
  });
});

describe('CONTRIBUTING.md', () => {
  it('describes each folder of src/ in its layout, and no folder that is gone', () => {
    const src = join(repo, 'src');
    const folders = readdirSync(src).filter((e) => statSync(join(src, e)).isDirectory());
    for (const folder of folders) assert.match(contributing, new RegExp(`^src/${folder}/ `, 'm'), folder);
    const listed = [...contributing.matchAll(/^src\/(\w+)\/ /gm)].map((m) => m[1]);
    assert.deepEqual(listed.sort(), folders.sort());
  });
});
