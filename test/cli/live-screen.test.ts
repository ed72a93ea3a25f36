/** Redrawing a block of lines in place: the exact bytes of each frame. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { frameText, LiveScreen } from '../../src/cli/live-screen.ts';

describe('LiveScreen', () => {
  it('hides the cursor, then moves up over the last frame, rewrites each line and erases below it', () => {
    const written: string[] = [];
    const screen = new LiveScreen({ write: (t: string) => written.push(t) });
    screen.draw(['a', 'b']);
    screen.draw(['c']);
    screen.draw(['d', 'e', 'f']);
    screen.stop();
    screen.stop();
    screen.draw(['after stop']);
    assert.deepEqual(written, [
      '\u001b[?25la\u001b[K\nb\u001b[K\n\u001b[J',
      '\r\u001b[2Ac\u001b[K\n\u001b[J',
      '\r\u001b[1Ad\u001b[K\ne\u001b[K\nf\u001b[K\n\u001b[J',
      '\u001b[?25h',
    ]);
  });

  it('writes nothing on stop when no frame was drawn', () => {
    const written: string[] = [];
    new LiveScreen({ write: (t: string) => written.push(t) }).stop();
    assert.deepEqual(written, []);
    assert.equal(frameText([], 0), '\u001b[J');
  });
});
