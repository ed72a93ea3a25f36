/** The many-operations renderers: exact table frames, plain lines and summaries. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RowView } from '../../src/cli/fleet-row.ts';
import {
  formatEta,
  formatSpan,
  plainLine,
  progressBar,
  renderTable,
  summaryLine,
} from '../../src/cli/fleet-table.ts';
import { rawControls } from './hostile.ts';

const row = (name: string, fields: Partial<RowView> = {}): RowView => ({
  name,
  state: 'RUNNING',
  progress: undefined,
  etaMs: undefined,
  elapsedMs: undefined,
  detail: undefined,
  ...fields,
});

const ROWS: readonly RowView[] = [
  row('operations/a', { progress: 42, etaMs: 11_200, elapsedMs: 5_900, detail: 'EXPORTING' }),
  row('operations/b', { state: 'DONE', progress: 80, elapsedMs: 3_000 }),
  row('operations/c', { state: 'FAILED', progress: 40, elapsedMs: 2_000, detail: 'ABORTED: gone' }),
  row('operations/d', { elapsedMs: 65_000 }),
  row('operations/e', { state: 'TIMEOUT', progress: 10, elapsedMs: 600_000 }),
  row('operations/f', { state: 'ERROR', elapsedMs: 1_000, detail: 'NOT_FOUND: no such operation' }),
  row('operations/listed', { state: 'CANCELLED', progress: 100, detail: 'CANCELLED: by user' }),
];

describe('fleet table', () => {
  it('draws one row per operation with name, state, bar, ETA and elapsed, and the summary under them', () => {
    assert.deepEqual(renderTable(ROWS, { columns: 99, rows: 24 }, [summaryLine(ROWS)]), [
      'NAME               STATE      PROGRESS            ETA  ELAPSED',
      'operations/a       RUNNING    ████░░░░░░  42%     12s       5s  EXPORTING',
      'operations/b       DONE       ██████████ 100%               3s',
      'operations/c       FAILED     ████░░░░░░  40%               2s  ABORTED: gone',
      'operations/d       RUNNING    ░░░░░░░░░░    -            1m05s',
      'operations/e       TIMEOUT    █░░░░░░░░░  10%           10m00s',
      'operations/f       ERROR      ░░░░░░░░░░    -               1s  NOT_FOUND: no such operation',
      'operations/listed  CANCELLED  ██████████ 100%                   CANCELLED: by user',
      '7 operations: 2 running, 1 done, 1 failed, 1 cancelled, 1 timed out, 1 error',
    ]);
  });

  it('uses a 20-cell bar from 100 columns on', () => {
    const [head, first] = renderTable(ROWS.slice(0, 1), { columns: 100, rows: 24 }, []);
    assert.equal(head, 'NAME          STATE      PROGRESS                      ETA  ELAPSED');
    assert.equal(first, 'operations/a  RUNNING    ████████░░░░░░░░░░░░  42%     12s       5s  EXPORTING');
  });

  it('cuts every line to one column less than the terminal, and long names at the start behind …', () => {
    const long = row(`projects/p/locations/l/operations/${'9'.repeat(60)}`, { progress: 50 });
    const lines = renderTable([long], { columns: 60, rows: 10 }, ['1 operation: 1 running']);
    for (const line of lines) assert.ok([...line].length <= 59, line);
    assert.equal(lines[1], '…9999999999999  RUNNING    █████░░░░░  50%                 ');
  });

  it('shows the running rows first when the rows do not fit, and says how many are not shown', () => {
    const many = Array.from({ length: 30 }, (_, i) =>
      row(`operations/${String(i).padStart(2, '0')}`, { state: i % 2 === 0 ? 'DONE' : 'RUNNING' }),
    );
    const lines = renderTable(many, { columns: 80, rows: 10 }, ['summary']);
    assert.equal(lines.length, 9, 'rows - 1 lines');
    assert.deepEqual(
      lines.slice(1, 7).map((l) => l.slice(0, 13)),
      ['operations/01', 'operations/03', 'operations/05', 'operations/07', 'operations/09', 'operations/11'],
    );
    assert.equal(lines[7], '… 24 more not shown');
    assert.equal(lines[8], 'summary');
  });

  it('escapes hostile names and details in the table and the plain lines', () => {
    const hostile = [
      row('operations/x\u001b[2K\n\u009b\u202e', { detail: 'EXPORTING\u001b]0;t\u0007' }),
      row('operations/y', { state: 'FAILED', detail: 'boom\noperations/forged  DONE  100%' }),
    ];
    const text = [...renderTable(hostile, { columns: 120, rows: 24 }, []), ...hostile.map(plainLine)].join(
      '\n',
    );
    assert.equal(rawControls(text), 0, text);
    assert.equal(text.split('\n').length, 5, 'no forged line');
    assert.equal(
      plainLine(hostile[0] as RowView),
      'operations/x\\x1b[2K\\n\\x9b\\u202e  RUNNING  (EXPORTING\\x1b]0;t\\x07)',
    );
    assert.equal(
      plainLine(hostile[1] as RowView),
      'operations/y  FAILED  boom\\noperations/forged  DONE  100%',
    );
  });

  it('writes a plain line per row: progress, where it stopped, ETA, elapsed and the detail', () => {
    assert.deepEqual(ROWS.map(plainLine), [
      'operations/a  RUNNING  42%  eta 12s  elapsed 5s  (EXPORTING)',
      'operations/b  DONE  100%  elapsed 3s',
      'operations/c  FAILED  stopped at 40%  elapsed 2s  ABORTED: gone',
      'operations/d  RUNNING  elapsed 1m05s',
      'operations/e  TIMEOUT  10%  elapsed 10m00s',
      'operations/f  ERROR  elapsed 1s  (NOT_FOUND: no such operation)',
      'operations/listed  CANCELLED  100%  CANCELLED: by user',
    ]);
  });

  it('summarises by state, leaving out states with no row', () => {
    assert.equal(summaryLine([]), '0 operations');
    assert.equal(summaryLine([row('a', { state: 'DONE' })]), '1 operation: 1 done');
    assert.equal(summaryLine(ROWS.slice(5, 6).concat(ROWS.slice(5, 6))), '2 operations: 2 errors');
  });

  it('formats spans in whole seconds cut down, ETAs rounded up, and bars in proportion', () => {
    assert.deepEqual(
      [0, 999, 1000, 59_999, 60_000, 3_599_999, 3_600_000, 86_399_999, 90_000_000].map(formatSpan),
      ['0s', '0s', '1s', '59s', '1m00s', '59m59s', '1h00m', '23h59m', '1d01h'],
    );
    assert.deepEqual([0, 1, 999, 1000, 1001, -5].map(formatEta), ['0s', '1s', '1s', '1s', '2s', '0s']);
    assert.deepEqual(
      [undefined, 0, 9.9, 10, 55, 100, 150].map((p) => progressBar(p, 10)),
      ['░░░░░░░░░░', '░░░░░░░░░░', '░░░░░░░░░░', '█░░░░░░░░░', '█████░░░░░', '██████████', '██████████'],
    );
  });
});
