import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expandPath, literalName, matchesPattern, parseHttpRule } from '../../src/transport/http-rule.ts';

describe('HTTP rules', () => {
  it('parses the method, the literal text around the variable and its pattern', () => {
    assert.deepEqual(parseHttpRule('POST /v1/{name=projects/*/operations/**}:cancel'), {
      source: 'POST /v1/{name=projects/*/operations/**}:cancel',
      method: 'POST',
      before: '/v1/',
      pattern: ['projects', '*', 'operations', '**'],
      after: ':cancel',
    });
    assert.deepEqual(parseHttpRule('get /v1/{name}').pattern, ['*']);
  });

  it('matches * as one segment and ** as zero or more of them, never empty segments', () => {
    const rule = parseHttpRule('GET /v1/{name=projects/*/locations/*/operations/*}');
    assert.equal(matchesPattern(rule, 'projects/p/locations/l/operations/o1'), true);
    assert.equal(matchesPattern(rule, 'projects/p/locations/l/operations/o1/x'), false);
    assert.equal(matchesPattern(rule, 'projects//locations/l/operations/o1'), false);
    const deep = parseHttpRule('GET /v1/{name=operations/**}');
    assert.equal(matchesPattern(deep, 'operations/a/b/c'), true);
    assert.equal(matchesPattern(deep, 'other/a'), false);
    assert.equal(literalName(parseHttpRule('GET /v1/{name=operations}')), 'operations');
    assert.equal(literalName(deep), undefined);
  });

  it('encodes each segment on its own: / between segments never, other reserved characters always', () => {
    const rule = parseHttpRule('GET /v1/{name=operations/**}');
    assert.equal(
      expandPath(rule, "operations/a/b c/d:e?f#g%h/(i)!'*"),
      '/v1/operations/a/b%20c/d%3Ae%3Ff%23g%25h/%28i%29%21%27%2A',
    );
    assert.throws(
      () => expandPath(parseHttpRule('GET /v1/{name=operations/*}'), 'operations/a/b'),
      (e: unknown) => {
        assert.ok(e instanceof TypeError);
        assert.match(e.message, /"operations\/a\/b" does not match the template \{name=operations\/\*\}/);
        return true;
      },
    );
  });

  it('rejects malformed rules with a TypeError naming the rule', () => {
    for (const bad of [
      'GET',
      'GET v1/{name}',
      'GET /v1/{name}/{name}',
      'GET /v1/{id}',
      'GET /v1/{name=a/**/b}',
      'TRACE /v1/{name}',
    ]) {
      assert.throws(
        () => parseHttpRule(bad),
        (e: unknown) => e instanceof TypeError && e.message.includes(JSON.stringify(bad)),
        bad,
      );
    }
  });
});
