/**
 * RELIABILITY.md is rewritten only when asked (LRO_WRITE_REPORT=1) and never under CI, so
 * `npm run test:reliability` and `.ci/run` leave the working tree as they found it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { REPORT_PATH, reportWriteRequested } from './report.ts';

const fixture = join(import.meta.dirname, 'report-fixture.ts');

/** Runs the fixture scenario in a child test run with `env`; resolves its exit code (bounded by 30 s). */
function runFixture(env: NodeJS.ProcessEnv): Promise<number | null> {
  const clean = { ...process.env };
  delete clean.CI;
  delete clean.LRO_WRITE_REPORT;
  delete clean.NODE_TEST_CONTEXT; // else the child run reports to this one instead of running

  return new Promise((resolve) =>
    execFile(
      process.execPath,
      ['--import', 'tsx', '--test', fixture],
      { env: { ...clean, ...env }, timeout: 30_000 },
      (error) => resolve(error === null ? 0 : typeof error.code === 'number' ? error.code : null),
    ),
  );
}

describe('reliability report writing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'longrunning-report-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('is requested only by LRO_WRITE_REPORT=1, and never under CI', () => {
    assert.equal(reportWriteRequested({}), false);
    assert.equal(reportWriteRequested({ LRO_WRITE_REPORT: '1' }), true);
    assert.equal(reportWriteRequested({ LRO_WRITE_REPORT: '1', CI: 'true' }), false);
    assert.equal(reportWriteRequested({ LRO_WRITE_REPORT: '1', CI: 'false' }), true);
    assert.equal(reportWriteRequested({ LRO_WRITE_REPORT: 'yes' }), false);
  });

  it('leaves the tracked RELIABILITY.md untouched by a plain run', async () => {
    const before = existsSync(REPORT_PATH) ? readFileSync(REPORT_PATH, 'utf8') : undefined;
    assert.equal(await runFixture({}), 0);
    const now = existsSync(REPORT_PATH) ? readFileSync(REPORT_PATH, 'utf8') : undefined;
    assert.equal(now, before);
  });

  it('writes the section with LRO_WRITE_REPORT=1', async () => {
    const asked = join(dir, 'asked.md');
    assert.equal(await runFixture({ LRO_WRITE_REPORT: '1', LRO_REPORT_PATH: asked }), 0);
    assert.match(readFileSync(asked, 'utf8'), /<!-- scenario 99 -->\n## 99\. Report fixture\n/);
  });
});
