/** `lro serve --quota N`: a usage error for a bad value; past the quota, reads are refused as a metered API refuses them. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { OperationsClient } from '../../src/client/grpc-client.ts';
import { Code } from '../../src/wire/code.ts';
import { RpcError } from '../../src/wire/errors.ts';
import { exited, lro, start } from './helpers.ts';

describe('lro serve --quota', () => {
  it('refuses a value that is not a number of reads per second > 0, in one line with exit 2', async () => {
    const values = ['0', '-1', 'abc', '1e3', 'Infinity', '', '0x10', '1,5'];
    const results = await Promise.all(values.map((v) => lro(['serve', `--quota=${v}`])));
    for (const [i, value] of values.entries()) {
      const r = results[i];
      assert.equal(r?.code, 2, `${value}: ${r?.stderr}`);
      assert.equal(
        r?.stderr,
        `lro: --quota: expected a number of reads per second > 0 (got ${JSON.stringify(value)})\n`,
      );
    }
  });

  it('admits reads up to the quota, then refuses them with RESOURCE_EXHAUSTED, RetryInfo and QuotaFailure; cancel is not metered', async () => {
    // 0.01 reads a second with a burst of 1: the first read passes, the next would wait 100 s.
    const serve = await start(['serve', '--quota', '0.01', '--demo-jobs', '1'], /listening on \S+\n\S+\n/);
    const [listening, job] = serve.output().trim().split('\n');
    const client = new OperationsClient({
      address: listening?.replace('listening on ', '') ?? '',
      credentials: grpc.credentials.createInsecure(),
    });
    try {
      const name = job ?? '';
      const first = await client.getOperation(name, { retry: false });
      assert.equal(first.name, name);
      const refused = await client.getOperation(name, { retry: false }).then(
        () => assert.fail('the second read was admitted'),
        (e: unknown) => e,
      );
      assert.ok(RpcError.is(refused));
      assert.equal(refused.code, Code.RESOURCE_EXHAUSTED);
      assert.match(
        refused.message,
        /^RESOURCE_EXHAUSTED: Quota exceeded for quota metric 'Operation read requests'/,
      );
      const types = refused.details.map((d) => d.typeName).sort();
      assert.deepEqual(types, ['google.rpc.ErrorInfo', 'google.rpc.QuotaFailure', 'google.rpc.RetryInfo']);
      const list = await client.listOperations({}, { retry: false }).then(
        () => 'admitted',
        (e: unknown) => (RpcError.is(e) ? e.codeName : String(e)),
      );
      assert.equal(list, 'RESOURCE_EXHAUSTED', 'ListOperations is a read too');
      await client.cancelOperation(name, { retry: false });
    } finally {
      client.close();
      serve.child.kill('SIGTERM');
      assert.equal(await exited(serve.child), 0);
    }
  });
});
