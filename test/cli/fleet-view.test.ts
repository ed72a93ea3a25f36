/**
 * The many-operations view on a FakeClock: the frames a terminal gets at exact times
 * (elapsed times and ETAs tick between snapshots), the plain lines and the JSON lines.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FleetView, type FleetViewMode } from '../../src/cli/fleet-view.ts';
import { FakeClock } from '../../src/testing/fake-clock.ts';

/** A stream that keeps what is written, sized like a terminal. */
function sink(columns = 80, rows = 24) {
  const written: string[] = [];
  return { written, stream: { columns, rows, write: (text: string) => written.push(text) } };
}

/** Cursor up n lines, after a carriage return: how each frame after the first begins. */
const UP_SOURCE = String.raw`^\r\u001b\[\d+A`;
const UP = new RegExp(UP_SOURCE);

/** The lines of each frame written to a terminal (cursor movement and erasing taken off). */
function frames(written: readonly string[]): string[][] {
  return written
    .filter((w) => w !== '\u001b[?25h')
    .map((w) => {
      const body = w.replace('\u001b[?25l', '').replace(UP, '');
      assert.ok(body.endsWith('\u001b[J'), 'each frame erases below it');
      return body.slice(0, -'\u001b[J'.length).split('\u001b[K\n').slice(0, -1);
    });
}

const running = (progress: number, detail?: string) => ({ state: 'RUNNING' as const, progress, detail });
const fields = () => ({ done: false });

function view(mode: FleetViewMode, clock: FakeClock) {
  const out = sink();
  const notes = sink();
  return { out, notes, view: new FleetView({ mode, out: out.stream, notes: notes.stream, clock }) };
}

describe('fleet view', () => {
  it('on a terminal: a frame 100 ms after a change, one every second in between, so elapsed and ETA tick', async () => {
    const clock = new FakeClock(0);
    const { out, view: v } = view('table', clock);
    v.add('operations/a', true);
    v.add('operations/b', true);
    v.snapshot('operations/a', running(10), fields);
    await clock.advance(100);
    await clock.advance(2000); // snapshot 40 % at 2100: 15 % a second from 10 % at 0
    v.snapshot('operations/a', running(40, 'EXPORTING'), fields);
    await clock.advance(100);
    await clock.advance(1000);
    v.snapshot('operations/b', { state: 'FAILED', progress: undefined, detail: 'ABORTED: gone' }, fields);
    v.note('operations/a: poll 1 failed: UNAVAILABLE; retrying in 1.0s');
    await clock.advance(100);
    v.snapshot('operations/a', { state: 'DONE', progress: 100, detail: undefined }, fields);
    await clock.advance(50);
    v.stop(1);
    v.stop(1);
    const header = 'NAME          STATE      PROGRESS            ETA  ELAPSED';
    assert.deepEqual(frames(out.written), [
      // t = 100: the first frame
      [
        header,
        'operations/a  RUNNING    █░░░░░░░░░  10%               0s',
        'operations/b  RUNNING    ░░░░░░░░░░    -               0s',
        '2 operations: 2 running',
      ],
      // t = 1100 and 2100: ticks, no snapshot in between
      [
        header,
        'operations/a  RUNNING    █░░░░░░░░░  10%               1s',
        'operations/b  RUNNING    ░░░░░░░░░░    -               1s',
        '2 operations: 2 running',
      ],
      [
        header,
        'operations/a  RUNNING    █░░░░░░░░░  10%               2s',
        'operations/b  RUNNING    ░░░░░░░░░░    -               2s',
        '2 operations: 2 running',
      ],
      // t = 2200: 40 % seen at 2100, 10 % at 0: 60 % left at 1/70 % a ms is 4.2 s from 2100
      [
        header,
        'operations/a  RUNNING    ████░░░░░░  40%      5s       2s  EXPORTING',
        'operations/b  RUNNING    ░░░░░░░░░░    -               2s',
        '2 operations: 2 running',
      ],
      // t = 3200: a tick; the ETA counted down
      [
        header,
        'operations/a  RUNNING    ████░░░░░░  40%      4s       3s  EXPORTING',
        'operations/b  RUNNING    ░░░░░░░░░░    -               3s',
        '2 operations: 2 running',
      ],
      // t = 3300: b failed at 3200, a note
      [
        header,
        'operations/a  RUNNING    ████░░░░░░  40%      3s       3s  EXPORTING',
        'operations/b  FAILED     ░░░░░░░░░░    -               3s  ABORTED: gone',
        '2 operations: 1 running, 1 failed',
        'operations/a: poll 1 failed: UNAVAILABLE; retrying in 1.0s',
      ],
      // t = 3350: stop(): the final frame, without the note
      [
        header,
        'operations/a  DONE       ██████████ 100%               3s',
        'operations/b  FAILED     ░░░░░░░░░░    -               3s  ABORTED: gone',
        '2 operations: 1 done, 1 failed',
      ],
    ]);
    assert.equal(out.written.at(-1), '\u001b[?25h', 'the cursor is shown again');
    assert.equal(clock.pendingSleeps, 0, 'no sleep outlives the view');
  });

  it('without a terminal: one plain line per change, notes on the notes stream, the summary at the end', async () => {
    const clock = new FakeClock(0);
    const { out, notes, view: v } = view('lines', clock);
    v.add('operations/a', true);
    v.add('operations/listed', false);
    v.snapshot('operations/listed', { state: 'DONE', progress: undefined, detail: undefined }, fields);
    await clock.advance(1000);
    v.snapshot('operations/a', running(20), fields);
    await clock.advance(1000);
    v.snapshot('operations/a', running(60), fields);
    v.note('operations/a: poll 1 failed: \u001b[2Kx');
    await clock.advance(500);
    v.ended('operations/a', 'TIMEOUT', undefined, fields);
    v.stop(4);
    assert.deepEqual(out.written, [
      'operations/listed  DONE  100%\n',
      'operations/a  RUNNING  20%  elapsed 1s\n',
      'operations/a  RUNNING  60%  eta 1s  elapsed 2s\n',
      'operations/a  TIMEOUT  60%  elapsed 2s\n',
      '2 operations: 1 done, 1 timed out\n',
    ]);
    assert.deepEqual(notes.written, ['lro: operations/a: poll 1 failed: \\x1b[2Kx\n']);
    assert.equal(clock.pendingSleeps, 0, 'no timer without a terminal');
  });

  it('with --json: one JSON line per change with the row fields first, then a summary line with the exit code', async () => {
    const clock = new FakeClock(0);
    const { out, view: v } = view('json', clock);
    v.add('operations/a', true);
    await clock.advance(1000);
    v.snapshot('operations/a', running(20), () => ({ done: false, metadata: { progressPercent: 20 } }));
    await clock.advance(1000);
    v.snapshot('operations/a', running(60), () => ({ done: false }));
    await clock.advance(1000);
    v.ended('operations/a\u009b', 'ERROR', 'NOT_FOUND: x', () => ({
      waitError: { type: 'RpcError' },
      exitCode: 3,
    }));
    v.stop(3);
    assert.deepEqual(out.written, [
      '{"name":"operations/a","state":"RUNNING","progress":20,"elapsedMs":1000,"done":false,"metadata":{"progressPercent":20}}\n',
      '{"name":"operations/a","state":"RUNNING","progress":60,"etaMs":1000,"elapsedMs":2000,"done":false}\n',
      '{"name":"operations/a\\u009b","state":"ERROR","elapsedMs":0,"waitError":{"type":"RpcError"},"exitCode":3}\n',
      '{"summary":{"operations":2,"running":1,"done":0,"failed":0,"cancelled":0,"timedOut":0,"errors":1},"exitCode":3}\n',
    ]);
  });
});
