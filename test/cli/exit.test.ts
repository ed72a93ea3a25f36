/** Exit codes: the most severe outcome when many operations end differently. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EXIT, worstExitCode } from '../../src/cli/exit.ts';

describe('worstExitCode', () => {
  it('ranks ok < failed < unknown type < timeout < RPC error < signal', () => {
    assert.equal(worstExitCode([]), EXIT.OK);
    assert.equal(worstExitCode([0, 0]), 0);
    assert.equal(worstExitCode([0, 1, 0]), 1);
    assert.equal(worstExitCode([1, 2, 1]), 2);
    assert.equal(worstExitCode([2, 4, 1]), 4);
    assert.equal(worstExitCode([4, 3, 1]), 3);
    assert.equal(worstExitCode([3, 4]), 3, 'order does not matter');
    assert.equal(worstExitCode([3, 130, 4]), 130);
    assert.equal(worstExitCode([143, 0]), 143);
  });
});
