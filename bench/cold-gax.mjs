/**
 * Cold start of google-gax (scenario 4): copied into a temporary folder where
 * google-gax@5.0.8 is installed, and run as `node cold.mjs <address> <operation name>` in a
 * fresh process with METADATA_SERVER_DETECTION=none. Imports gax, builds its
 * OperationsClient (insecure, universeDomain set), makes one GetOperation, closes the client
 * and lets the process exit on its own. Prints `{ ok, maxRssKB, readyMs }` as JSON.
 */
import gax from 'google-gax';

const [address, name] = process.argv.slice(2);
const colon = address.lastIndexOf(':');
const client = gax.lro({ universeDomain: 'googleapis.com' }).operationsClient({
  servicePath: address.slice(0, colon),
  port: Number(address.slice(colon + 1)),
  sslCreds: gax.grpc.credentials.createInsecure(),
  universeDomain: 'googleapis.com',
});
const [op] = await client.getOperation({ name });
client.close();
const ok =
  op.name === name && op.done === false && op.metadata?.type_url.endsWith('.ExportMetadata') === true;
process.stdout.write(
  JSON.stringify({ ok, maxRssKB: process.resourceUsage().maxRSS, readyMs: performance.now() }),
);
