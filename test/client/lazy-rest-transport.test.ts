import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { systemClock } from '../../src/base/clock.ts';
import { lazyRestTransport } from '../../src/client/lazy-rest-transport.ts';
import { createRegistry } from '../../src/proto/registry.ts';

const base = { registry: createRegistry(), clock: systemClock };

describe('lazyRestTransport', () => {
  it('throws at once what RestTransport would for bad options, naming them', () => {
    assert.throws(() => lazyRestTransport({ ...base, baseUrl: 'ftp://host' }), TypeError);
    assert.throws(
      () => lazyRestTransport({ ...base, baseUrl: 'https://h', rules: { get: 'FETCH /x' } }),
      /rules\.get/,
    );
    assert.throws(
      () => lazyRestTransport({ ...base, baseUrl: 'https://h', maxResponseBytes: 0 }),
      (e: unknown) => e instanceof RangeError && /maxResponseBytes/.test(e.message),
    );
  });

  it('has wait exactly when a wait rule is given', () => {
    assert.equal(lazyRestTransport({ ...base, baseUrl: 'https://h' }).wait, undefined);
    const withWait = lazyRestTransport({
      ...base,
      baseUrl: 'https://h',
      rules: { wait: 'POST /v1/{name=operations/**}:wait' },
    });
    assert.equal(typeof withWait.wait, 'function');
  });

  it('makes the transport at the first call and sends the call through it', async () => {
    const seen: string[] = [];
    const transport = lazyRestTransport({
      ...base,
      baseUrl: 'https://h',
      fetch: async (input) => {
        seen.push(String(input instanceof Request ? input.url : input));
        return new Response(JSON.stringify({ name: 'operations/a', done: false }), {
          headers: { 'content-type': 'application/json' },
        });
      },
    });
    const op = await transport.get('operations/a', {});
    assert.equal(op.name, 'operations/a');
    assert.deepEqual(seen, ['https://h/v1/operations/a']);
  });
});
