/**
 * Cold start of longrunning (scenario 4): copied into a temporary folder where the packed
 * library is installed, and run as `node cold.mjs <address> <operation name>` in a fresh
 * process. Imports the built library, builds a client, makes one GetOperation, closes the
 * client and lets the process exit on its own. Prints `{ ok, maxRssKB, readyMs }` as JSON.
 */
import * as grpc from '@grpc/grpc-js';
import { OperationsClient } from 'longrunning';

const [address, name] = process.argv.slice(2);
const client = new OperationsClient({ address, credentials: grpc.credentials.createInsecure() });
const op = await client.getOperation(name);
client.close();
const ok =
  op.name === name && op.done === false && op.raw.metadata?.type_url.endsWith('.ExportMetadata') === true;
process.stdout.write(
  JSON.stringify({ ok, maxRssKB: process.resourceUsage().maxRSS, readyMs: performance.now() }),
);
