import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { OperationsClient, type OperationsClientOptions } from '../../src/client/grpc-client.ts';
import { FakeOperationsServer } from '../../src/testing/fake-server.ts';
import type { FakeOperationHandle } from '../../src/testing.ts';
import { PLAINTEXT_HINT } from '../../src/transport/grpc.ts';
import { RpcError } from '../../src/wire/errors.ts';
import { bounded, FAST_POLLING, insecure, RESULT, type Settled, settle, since } from './helpers.ts';
import { Scenario } from './report.ts';

const report = new Scenario(6, 'TLS');
/** Each failing connection must fail within this (default retry policy, 5 s call timeout). */
const FAIL_WITHIN_MS = 6000;

/** Runs `openssl <args>` (space-separated) in `dir`; throws a clear error when openssl is not installed. */
function openssl(dir: string, args: string): void {
  try {
    execFileSync('openssl', args.split(' '), { cwd: dir, stdio: 'pipe' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(
        'openssl is not installed: the TLS scenario makes its certificates with it (apt-get install -y openssl)',
      );
    }
    throw error;
  }
}

/** A CA and a server certificate for 127.0.0.1 / localhost signed by it, made with openssl in `dir`. */
function makeCertificates(dir: string): { ca: Buffer; key: Buffer; cert: Buffer } {
  const ec = '-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes';
  openssl(
    dir,
    `req -x509 ${ec} -keyout ca.key -out ca.pem -days 1 -subj /CN=longrunning-reliability-test-CA ` +
      '-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign',
  );
  openssl(dir, `req ${ec} -keyout server.key -out server.csr -subj /CN=localhost`);
  writeFileSync(
    join(dir, 'ext.cnf'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n' +
      'keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n',
  );
  openssl(
    dir,
    'x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 1 -extfile ext.cnf',
  );
  const read = (f: string): Buffer => readFileSync(join(dir, f));
  return { ca: read('ca.pem'), key: read('server.key'), cert: read('server.pem') };
}

describe('TLS', () => {
  let dir: string;
  let certs: { ca: Buffer; key: Buffer; cert: Buffer };
  let tlsServer: FakeOperationsServer;
  let plainServer: FakeOperationsServer;
  let op: FakeOperationHandle;
  const rows: string[][] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'longrunning-tls-'));
    certs = makeCertificates(dir);
    tlsServer = await FakeOperationsServer.start({
      credentials: grpc.ServerCredentials.createSsl(null, [
        { private_key: certs.key, cert_chain: certs.cert },
      ]),
    });
    plainServer = await FakeOperationsServer.start();
    op = tlsServer.create();
    report.input(
      `A test CA and a server certificate (EC P-256, SAN IP:127.0.0.1, DNS:localhost) made at test time with ${execFileSync('openssl', ['version']).toString().trim()}; a TLS fake server with that certificate, and a plaintext one`,
    );
  });
  after(async () => {
    await tlsServer.stop();
    await plainServer.stop();
    rmSync(dir, { recursive: true, force: true });
    report.table(['client', 'server', 'outcome', 'error message'], rows);
  });

  /** Calls GetOperation with a fresh client; returns the outcome and how long it took. */
  async function attempt(
    options: Partial<OperationsClientOptions>,
    server: FakeOperationsServer,
    name: string,
  ): Promise<{ outcome: Settled<unknown>; ms: number }> {
    const client = new OperationsClient({
      address: server.address,
      callDefaults: { timeoutMs: 5000 },
      ...options,
    });
    try {
      const started = performance.now();
      const outcome = await bounded(settle(client.getOperation(name)), FAIL_WITHIN_MS + 2000, 'GetOperation');
      return { outcome, ms: since(started) };
    } finally {
      client.close();
    }
  }

  /** Asserts a prompt RpcError UNAVAILABLE whose message matches `pattern`, and records it. */
  function assertFails(
    label: string,
    server: string,
    result: { outcome: Settled<unknown>; ms: number },
    pattern: RegExp,
  ): void {
    const { outcome, ms } = result;
    const message = outcome.ok ? '' : String((outcome.error as Error).message);
    rows.push([
      label,
      server,
      outcome.ok ? 'succeeded (!)' : `failed after ${Math.round(ms)} ms`,
      `\`${message.replace(/\s+/g, ' ').replace(/\|/g, '\\|')}\``,
    ]);
    assert.ok(!outcome.ok, `${label} must fail`);
    assert.ok(RpcError.is(outcome.error), `a typed RpcError, got ${String(outcome.error)}`);
    assert.equal(outcome.error.code, grpc.status.UNAVAILABLE);
    assert.equal(outcome.error.method, 'GetOperation');
    assert.match(message, pattern);
    assert.ok(ms < FAIL_WITHIN_MS, `failed after ${ms} ms`);
  }

  report.test('a client given the test CA connects, gets and waits on an operation', async () => {
    const client = new OperationsClient({
      address: tlsServer.address,
      credentials: grpc.credentials.createSsl(certs.ca),
      polling: FAST_POLLING,
    });
    try {
      const got = await client.getOperation(op.name);
      assert.equal(got.name, op.name);
      const h = tlsServer.create();
      const waiting = client.operation(h.name, { responseType: RESULT }).wait({ timeoutMs: 5000 });
      h.succeed(RESULT, { uri: 'export://tls', rowCount: 1 });
      assert.deepEqual(await waiting, { uri: 'export://tls', rowCount: '1' });
      rows.push(['TLS with the test CA', 'TLS', 'GetOperation and wait() succeeded', '-']);
      report.outcome('With the CA: GetOperation and a WaitOperation-based wait() succeed over TLS');
    } finally {
      client.close();
    }
  });

  report.test(
    'a default client (TLS with the system roots) fails with an error naming the certificate problem',
    async () => {
      const result = await attempt({}, tlsServer, op.name);
      assertFails('default (system roots)', 'TLS', result, /certificate/i);
      report.outcome(
        'Default credentials: RpcError UNAVAILABLE naming the certificate problem (see the table)',
      );
    },
  );

  report.test(
    'a client with the CA but another expected host name fails naming the host name mismatch',
    async () => {
      const result = await attempt(
        {
          credentials: grpc.credentials.createSsl(certs.ca),
          channelOptions: {
            'grpc.ssl_target_name_override': 'wrong.example',
            'grpc.default_authority': 'wrong.example',
          },
        },
        tlsServer,
        op.name,
      );
      assertFails('TLS with the CA, host name wrong.example', 'TLS', result, /altnames|wrong\.example/);
      report.outcome('Host name mismatch: RpcError UNAVAILABLE naming the host and the certificate altnames');
    },
  );

  report.test(
    'an insecure client against the TLS server fails promptly with RpcError UNAVAILABLE naming TLS as the likely cause',
    async () => {
      const result = await attempt({ credentials: insecure }, tlsServer, op.name);
      assertFails('insecure (plaintext)', 'TLS', result, /No connection established/);
      assert.ok(result.outcome.ok === false && RpcError.is(result.outcome.error));
      assert.match(
        result.outcome.error.message,
        /plaintext .*if the server expects TLS, pass TLS credentials/,
      );
      assert.equal(result.outcome.error.hint, PLAINTEXT_HINT);
      report.outcome(
        'Plaintext client, TLS server: RpcError UNAVAILABLE "No connection established" within the bound, with a hint that the server may expect TLS',
      );
    },
  );

  report.test('a TLS client against a plaintext server fails naming the TLS record problem', async () => {
    const plainOp = plainServer.create();
    const result = await attempt(
      { credentials: grpc.credentials.createSsl(certs.ca) },
      plainServer,
      plainOp.name,
    );
    assertFails('TLS with the CA', 'plaintext', result, /SSL|TLS|wrong version number/i);
    report.outcome(
      'TLS client, plaintext server: RpcError UNAVAILABLE naming the SSL error (wrong version number)',
    );
  });

  before(() => {
    report.fault(
      'Wrong trust (system roots), wrong expected host name, plaintext against TLS, TLS against plaintext',
    );
  });
});
