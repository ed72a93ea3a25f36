/**
 * Run by huge-timeouts.test.ts, one case per process, under Node's default handling of
 * unhandled rejections (one ends the process): a client given a timeout longer than any
 * deadline can hold makes one call or wait against a fake server, which completes the
 * operation once the first RPC arrived. Prints one JSON line `{ outcome, rpcs }` and exits 0.
 *
 *   node --import tsx test/reliability/huge-timeout-child.ts <grpc|rest> <option> <value>
 */
import * as grpc from '@grpc/grpc-js';
import type { OperationsApi } from '../../src/client/client-core.ts';
import { OperationsClient } from '../../src/client/grpc-client.ts';
import { OperationsRestClient } from '../../src/client/rest-client.ts';
import { builtinRoot, serviceDefinition } from '../../src/proto/builtin.ts';
import { FakeOperationsServer } from '../../src/testing/fake-server.ts';
import type { CallOptions } from '../../src/transport/operations-transport.ts';

const [transport = 'grpc', option = 'wait.timeoutMs', text = '0'] = process.argv.slice(2);
const value = Number(text);

const server = await FakeOperationsServer.start({ http: true });
const rpcs = (): number => Object.values(server.calls).reduce((a, b) => a + b, 0);
const polling = { initialDelayMs: 20, ...(option === 'polling.waitChunkMs' ? { waitChunkMs: value } : {}) };
const callDefaults: CallOptions = option.startsWith('callDefaults.timeoutMs') ? { timeoutMs: value } : {};
const client: OperationsApi =
  transport === 'grpc'
    ? new OperationsClient({
        address: server.address,
        credentials: grpc.credentials.createInsecure(),
        polling,
        callDefaults,
      })
    : new OperationsRestClient({
        baseUrl: server.httpUrl,
        rules: { wait: 'POST /v1/{name=operations/**}:wait' },
        polling,
        callDefaults,
      });

/** Completes `h` once an RPC reached the server (checked every 5 ms, for at most 2 s). */
async function completeOnceAsked(
  h: { succeed(type: string, value: object): unknown },
  before: number,
): Promise<void> {
  for (let i = 0; i < 400 && rpcs() === before; i++) await new Promise((r) => setTimeout(r, 5));
  h.succeed('google.protobuf.Empty', {});
}

let outcome: string;
try {
  const h = server.create();
  const before = rpcs();
  const completing = completeOnceAsked(h, before);
  if (option === 'wait.timeoutMs') await client.operation(h.name).wait({ timeoutMs: value });
  else if (option === 'wait.timeoutMs (poll)')
    await client.operation(h.name).wait({ timeoutMs: value, strategy: 'poll' });
  else if (option === 'polling.waitChunkMs') await client.operation(h.name).wait({ strategy: 'wait' });
  else if (option === 'call.timeoutMs') await client.getOperation(h.name, { timeoutMs: value });
  else if (option === 'callDefaults.timeoutMs') await client.getOperation(h.name);
  else if (option === 'callDefaults.timeoutMs (wait, poll)')
    await client.operation(h.name).wait({ strategy: 'poll' });
  else if (option === 'wrap.timeoutMs') {
    const Exporter = grpc.makeGenericClientConstructor(
      serviceDefinition(builtinRoot().lookupService('longrunning.demo.v1.Exporter')),
      'Exporter',
    );
    const exporter = new Exporter(server.address, grpc.credentials.createInsecure());
    const startExport = exporter.startExport?.bind(exporter);
    if (startExport === undefined) throw new Error('no startExport');
    await client.wrap(startExport)({ source: 'huge' }, { timeoutMs: value });
    exporter.close();
  } else throw new Error(`unknown option ${option}`);
  await completing;
  outcome = 'settled';
} catch (error) {
  outcome = `rejected: ${error instanceof Error ? error.message : String(error)}`;
}
process.stdout.write(`${JSON.stringify({ outcome, rpcs: rpcs() })}\n`);
client.close();
await server.stop();
