/**
 * Cold start of the floor (scenario 4): what the library does at its least, by hand. Copied
 * into the folder where the packed library is installed (so it loads the same grpc-js and
 * proto-loader copies, and the library's own vendored operations.proto), and run as
 * `node cold.mjs <address> <operation name>` in a fresh process: loads grpc-js and
 * proto-loader, loads operations.proto, makes one GetOperation, closes the client and lets
 * the process exit on its own. Prints `{ ok, maxRssKB, readyMs }` as JSON.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const [address, name] = process.argv.slice(2);
const protos = join(dirname(createRequire(import.meta.url).resolve('longrunning/package.json')), 'protos');
const definition = protoLoader.loadSync('google/longrunning/operations.proto', {
  includeDirs: [protos],
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
});
const Operations = grpc.loadPackageDefinition(definition).google.longrunning.Operations;
const client = new Operations(address, grpc.credentials.createInsecure());
const op = await new Promise((resolve, reject) =>
  client.GetOperation({ name }, (error, value) => (error ? reject(error) : resolve(value))),
);
client.close();
const ok =
  op.name === name && op.done === false && op.metadata?.type_url.endsWith('.ExportMetadata') === true;
process.stdout.write(
  JSON.stringify({ ok, maxRssKB: process.resourceUsage().maxRSS, readyMs: performance.now() }),
);
