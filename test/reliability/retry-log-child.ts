/**
 * Child of long-waits.test.ts, run with NODE_DEBUG=longrunning: waits on an operation at
 * `argv[2]` (an address where no server listens) with a short failure budget and secret
 * request headers, then prints the outcome as one JSON line on stdout. The debug log goes
 * to stderr, where the test reads it.
 */
import * as grpc from '@grpc/grpc-js';
import { OperationsClient } from '../../src/client/grpc-client.ts';
import { RpcError } from '../../src/wire/errors.ts';

const [address, secret] = process.argv.slice(2);
if (address === undefined || secret === undefined) throw new Error('usage: retry-log-child ADDRESS SECRET');
const client = new OperationsClient({
  address,
  credentials: grpc.credentials.createInsecure(),
  callDefaults: { metadata: { authorization: `Bearer ${secret}` }, retry: false },
});
try {
  await client
    .operation('operations/unreachable')
    .wait({ polling: { initialDelayMs: 20, multiplier: 1, jitter: 0, failureBudgetMs: 300 } });
  console.log(JSON.stringify({ ok: true }));
} catch (e) {
  console.log(
    JSON.stringify({ ok: false, rpcError: RpcError.is(e), code: RpcError.is(e) ? e.code : undefined }),
  );
} finally {
  client.close();
}
