/** The words `lro` finds for a failure: connection hints, the --proto hint, the --timeout name. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { explain, failureDocument } from '../../src/cli/outcome.ts';
import { PLAINTEXT_HINT } from '../../src/transport/grpc.ts';
import { Code } from '../../src/wire/code.ts';
import { RpcError, TimeoutError, UnknownTypeError } from '../../src/wire/errors.ts';

const unavailable = (raw: string, hint?: string): RpcError =>
  new RpcError(Code.UNAVAILABLE, raw, [], 'GetOperation', undefined, hint);

describe('explain', () => {
  it('tells a TLS client that met a plaintext server to pass --insecure', () => {
    const error = unavailable(
      'No connection established. Last error: Error: 80EC0BD7957F0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/openssl/openssl/ssl/record/ssl3_record.c:350:\n',
    );
    assert.deepEqual(explain(error, {}), {
      message:
        'UNAVAILABLE: cannot connect (GetOperation): the TLS handshake failed: the server does not speak TLS',
      hint: 'pass --insecure for a plaintext server',
    });
  });

  it('tells a plaintext client that got no answer to leave out --insecure if the server expects TLS', () => {
    const error = unavailable('No connection established. Last error: Connection dropped', PLAINTEXT_HINT);
    assert.deepEqual(explain(error, { insecure: true }), {
      message: 'UNAVAILABLE: cannot connect (GetOperation): no answer in plaintext',
      hint: 'if the server expects TLS, leave out --insecure',
    });
  });

  it('says connection refused, with the address, whatever the credentials', () => {
    const error = unavailable(
      'No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:1. ',
    );
    for (const insecure of [true, false]) {
      assert.deepEqual(explain(error, { insecure }), {
        message: 'UNAVAILABLE: cannot connect to 127.0.0.1:1 (GetOperation): connection refused',
        hint: 'is the server running, and is the port right?',
      });
    }
  });

  it('leaves other RPC errors and REST errors as they are', () => {
    const notFound = new RpcError(Code.NOT_FOUND, 'no such operation', [], 'GetOperation');
    assert.deepEqual(explain(notFound, {}), { message: notFound.message, hint: undefined });
    const rest = unavailable('fetch failed: connect ECONNREFUSED 127.0.0.1:1');
    assert.deepEqual(explain(rest, { rest: 'http://127.0.0.1:1' }), {
      message: rest.message,
      hint: undefined,
    });
  });

  it('hints --proto for a type missing from the registry, but not for a mismatch with a declared type', () => {
    const missing = new UnknownTypeError('type.googleapis.com/acme.v1.Thing');
    assert.equal(
      explain(missing, {}).hint,
      'pass --proto with the .proto file that defines acme.v1.Thing (and -I for its imports)',
    );
    const mismatch = new UnknownTypeError(
      'type.googleapis.com/acme.v1.Thing',
      'not acme.v1.Other',
      'acme.v1.Other',
    );
    assert.equal(explain(mismatch, {}).hint, undefined);
  });

  it('names --timeout instead of timeoutMs, and puts the exit code in the JSON document', () => {
    const error = new TimeoutError('operations/x', 300, 301, 3);
    assert.match(explain(error, {}).message, /^operation operations\/x not done after --timeout 300ms /);
    assert.deepEqual(failureDocument(error, {}, { name: 'operations/x', done: false }), {
      error: { type: 'TimeoutError', message: explain(error, {}).message },
      exitCode: 4,
      operation: { name: 'operations/x', done: false },
    });
  });
});
