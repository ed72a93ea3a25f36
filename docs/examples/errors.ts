/** The Errors guide's examples, run in CI against the fake server on loopback. */
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import {
  Code,
  createRegistry,
  LongrunningError,
  OperationError,
  OperationsClient,
  RpcError,
  TimeoutError,
} from 'longrunning';
import { FakeOperationsServer } from 'longrunning/testing';

const server = await FakeOperationsServer.start();
const client = new OperationsClient({
  address: server.address,
  credentials: grpc.credentials.createInsecure(),
  polling: { initialDelayMs: 50 },
});
const registry = createRegistry();
const failed = server.create();
failed.fail({
  code: Code.FAILED_PRECONDITION,
  message: 'table t1 is locked',
  details: [
    registry.pack('google.rpc.ErrorInfo', { reason: 'LOCKED', domain: 'export.example.com' }),
    registry.pack('google.rpc.BadRequest', {
      fieldViolations: [{ field: 'source', description: 'locked by job 7' }],
    }),
  ],
});
const name = failed.name;

// #region operation-error
try {
  await client.operation(name).wait();
} catch (e) {
  if (OperationError.is(e)) {
    console.log(e.message); // FAILED_PRECONDITION: table t1 is locked
    console.log(e.code, e.codeName, e.rawMessage); // 9 'FAILED_PRECONDITION' 'table t1 is locked'
    const [info] = e.findDetails<{ reason: string; domain: string }>('google.rpc.ErrorInfo');
    console.log(info?.reason); // LOCKED
    for (const d of e.details) console.log(d.typeName, d.value); // every detail, decoded
    console.log(e.operation.name); // the final snapshot
  } else throw e;
}
// #endregion

// #region rpc-error
try {
  await client.getOperation('operations/does-not-exist');
} catch (e) {
  if (RpcError.is(e) && e.code === Code.NOT_FOUND) {
    console.log(e.method, e.codeName); // GetOperation NOT_FOUND
  } else throw e;
}
// #endregion

// #region family
const running = server.create().name;
const outcome = await client
  .operation(running)
  .wait({ timeoutMs: 100 })
  .catch((e: unknown) => e);
assert.ok(LongrunningError.is(outcome)); // every error the library throws
assert.ok(TimeoutError.is(outcome)); // … and each class has its own guard
assert.ok(!OperationError.is(outcome));
// #endregion

// #region abort-timeout
const signal = AbortSignal.timeout(100);
const reason = await client
  .operation(running)
  .wait({ signal })
  .catch((e: unknown) => e);
// The signal's reason: a DOMException whose name is also 'TimeoutError', not ours.
assert.ok(reason instanceof DOMException && reason.name === 'TimeoutError');
assert.ok(!TimeoutError.is(reason));
// #endregion

client.close();
await server.stop();
