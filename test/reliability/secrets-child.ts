/**
 * Run by secrets.test.ts under NODE_DEBUG=longrunning: drives clients whose credentials
 * and default headers carry the secrets given in argv through every failure they can
 * meet, over gRPC (OperationsClient) and HTTP/JSON (OperationsRestClient), and prints each
 * error (message, stack, inspect with its cause) and each snapshot's toJSON() to stdout.
 * The parent checks that no secret appears in stdout or in stderr (the debug log).
 *
 *   node --import tsx test/reliability/secrets-child.ts <authorization> <x-goog-api-key>
 */
import { inspect } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import type { OperationsApi } from '../../src/client/client-core.ts';
import { OperationsClient } from '../../src/client/grpc-client.ts';
import { OperationsRestClient } from '../../src/client/rest-client.ts';
import { FakeOperationsServer } from '../../src/testing/fake-server.ts';

const [authorization = '', apiKey = ''] = process.argv.slice(2);
const headers = { authorization, 'x-goog-api-key': apiKey };
const shown: string[] = [];

function show(label: string, value: unknown): void {
  const text =
    value instanceof Error
      ? `${value.message}\n${value.stack}\n${inspect(value, { depth: 8, showHidden: true })}\n${JSON.stringify(value)}`
      : JSON.stringify(value);
  shown.push(label);
  process.stdout.write(`--- ${label}\n${text}\n`);
}

async function expectError(label: string, run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
    show(label, new Error(`${label}: expected a failure`));
  } catch (error) {
    show(label, error);
  }
}

/** Every failure path of one client against `server`; `via` labels the transport. */
async function exercise(via: string, client: OperationsApi, server: FakeOperationsServer): Promise<void> {
  const missing = 'operations/missing';
  await expectError(`${via}: NOT_FOUND getOperation`, () => client.getOperation(missing));
  await expectError(`${via}: NOT_FOUND wait`, () => client.operation(missing).wait());
  await expectError(`${via}: NOT_FOUND wait, the secrets as per-call headers`, () =>
    client.operation(missing).wait({ metadata: headers }),
  );
  server.inject({ method: 'GetOperation', code: grpc.status.UNAUTHENTICATED, message: 'bad credentials' });
  await expectError(`${via}: UNAUTHENTICATED`, () => client.getOperation(server.create().name));
  server.inject({ method: 'GetOperation', code: grpc.status.PERMISSION_DENIED });
  await expectError(`${via}: PERMISSION_DENIED, the secrets as per-call headers`, () =>
    client.getOperation(server.create().name, { metadata: headers }),
  );
  server.latencyMs = 200;
  await expectError(`${via}: DEADLINE_EXCEEDED`, () =>
    client.getOperation(server.create().name, { timeoutMs: 20 }),
  );
  server.latencyMs = 0;
  await expectError(`${via}: TimeoutError`, () =>
    client.operation(server.create().name).wait({ strategy: 'poll', timeoutMs: 50 }),
  );
  const failedOp = client.operation(
    server.create().fail({ code: grpc.status.ABORTED, message: 'job failed' }).name,
  );
  await expectError(`${via}: OperationError`, () => failedOp.wait());
  show(`${via}: toJSON of a failed operation`, failedOp.toJSON());
  const neither = server.create().setRaw({ done: true });
  await expectError(`${via}: OperationStateError`, () => client.operation(neither.name).wait());
  const unknown = server.create().setRaw({
    done: true,
    response: { type_url: 'type.googleapis.com/acme.Unknown', value: Buffer.from([1, 2]) },
  });
  const unknownOp = client.operation(unknown.name);
  await expectError(`${via}: UnknownTypeError`, () => unknownOp.wait());
  show(`${via}: toJSON of an unreadable response`, unknownOp.toJSON());

  // cancelOnAbort with a failing CancelOperation: the failure goes to the debug log.
  const aborted = server.create();
  server.inject({
    method: 'CancelOperation',
    code: grpc.status.PERMISSION_DENIED,
    message: 'no cancel for you',
  });
  const controller = new AbortController();
  const waiting = client
    .operation(aborted.name)
    .wait({ strategy: 'poll', signal: controller.signal, cancelOnAbort: true });
  setTimeout(() => controller.abort(), 30);
  await expectError(`${via}: abort with cancelOnAbort`, () => waiting);
  const cancels = server.calls.CancelOperation;
  for (let i = 0; i < 100 && server.calls.CancelOperation === cancels; i++)
    await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => setTimeout(r, 50));
}

const server = await FakeOperationsServer.start({ http: true });
const grpcClient = new OperationsClient({
  address: server.address,
  credentials: grpc.credentials.createInsecure(),
  callDefaults: { metadata: headers, retry: false },
  polling: { initialDelayMs: 10 },
});
await exercise('gRPC', grpcClient, server);
const restClient = new OperationsRestClient({
  baseUrl: server.httpUrl,
  apiKey,
  token: async () => authorization.replace(/^Bearer /, ''),
  callDefaults: { metadata: headers, retry: false },
  polling: { initialDelayMs: 10 },
});
await exercise('HTTP/JSON', restClient, server);
await expectError('HTTP/JSON: a token provider that fails', () =>
  new OperationsRestClient({
    baseUrl: server.httpUrl,
    apiKey,
    token: async () => {
      throw new Error('metadata server unreachable');
    },
  }).getOperation('operations/x'),
);

// Unreachable servers.
const { port } = server;
const httpUrl = server.httpUrl;
grpcClient.close();
restClient.close();
await server.stop();
const options = { callDefaults: { metadata: headers, retry: false as const, timeoutMs: 2000 } };
const goneGrpc = new OperationsClient({
  address: `127.0.0.1:${port}`,
  credentials: grpc.credentials.createInsecure(),
  ...options,
});
await expectError('gRPC: UNAVAILABLE', () => goneGrpc.getOperation('operations/x'));
goneGrpc.close();
const goneRest = new OperationsRestClient({ baseUrl: httpUrl, apiKey, ...options });
await expectError('HTTP/JSON: UNAVAILABLE', () => goneRest.getOperation('operations/x'));
process.stdout.write(`=== shown ${shown.length}: ${shown.join(' | ')}\n`);
