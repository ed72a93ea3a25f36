import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isQuotaRefusal, isRetryablePollError } from '../../src/wait/retryable.ts';
import { Code } from '../../src/wire/code.ts';
import { RpcError } from '../../src/wire/errors.ts';

const live = new AbortController().signal;
const error = (code: number, message: string) => new RpcError(code, message, [], 'GetOperation');

describe('which failures of a poll polling survives', () => {
  it('survives a quota refusal, with or without a retry delay (rule 12)', () => {
    const bare = error(Code.RESOURCE_EXHAUSTED, "Quota exceeded for quota metric 'Read requests'");
    assert.equal(isQuotaRefusal(bare), true);
    assert.equal(isRetryablePollError(bare, {}, live), true);
  });

  it('does not take a message over a size limit for a quota refusal: no retry changes it', () => {
    for (const message of [
      'Received message larger than max (5242968 vs 4194304)',
      'Sent message larger than max (5242968 vs 4194304)',
      'HTTP response body is larger than maxResponseBytes (16777216 bytes)',
    ]) {
      const tooLarge = error(Code.RESOURCE_EXHAUSTED, message);
      assert.equal(isQuotaRefusal(tooLarge), false, message);
      assert.equal(isRetryablePollError(tooLarge, {}, live), false, message);
    }
  });

  it("survives the retry policy's codes and calls the connection ended, unless the loop cancelled them itself", () => {
    assert.equal(isRetryablePollError(error(Code.UNAVAILABLE, 'down'), {}, live), true);
    assert.equal(isRetryablePollError(error(Code.CANCELLED, 'Call cancelled'), {}, live), true);
    const aborted = new AbortController();
    aborted.abort();
    assert.equal(isRetryablePollError(error(Code.CANCELLED, 'Call cancelled'), {}, aborted.signal), false);
    assert.equal(isRetryablePollError(error(Code.PERMISSION_DENIED, 'no'), {}, live), false);
    assert.equal(isRetryablePollError(new Error('not an RpcError'), {}, live), false);
  });
});
