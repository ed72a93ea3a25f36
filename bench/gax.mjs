/**
 * google-gax 5.0.8, set up the way a generated GAPIC client sets it up, against the fake
 * server over insecure loopback. Plain JavaScript: gax's types do not fit the
 * repository's strict compiler settings, and the root typecheck must not depend on
 * bench/node_modules being installed. `gax.d.mts` declares the narrow surface used here.
 *
 * Run with METADATA_SERVER_DETECTION=none (bench/run.ts sets it), so that google-auth-library
 * never probes the cloud metadata server.
 */
import gax from 'google-gax';
import { descriptor } from '../src/generated/descriptor.ts';

const UNIVERSE = 'googleapis.com';

/** A gax OperationsClient for `address` ('host:port') plus the pieces that wrap Operations. */
export function createGaxClient(address) {
  const colon = address.lastIndexOf(':');
  const options = {
    servicePath: address.slice(0, colon),
    port: Number(address.slice(colon + 1)),
    sslCreds: gax.grpc.credentials.createInsecure(),
    universeDomain: UNIVERSE,
  };
  const operationsClient = gax.lro({ universeDomain: UNIVERSE }).operationsClient(options);
  // A GAPIC client builds its own protobufjs root from its JSON protos and decodes with
  // Type.decode (no toObject), through a LongrunningDescriptor.
  const root = gax.protobuf.Root.fromJSON(descriptor);
  const responseType = root.lookupType('.longrunning.demo.v1.ExportResult');
  const metadataType = root.lookupType('.longrunning.demo.v1.ExportMetadata');
  const longrunning = new gax.LongrunningDescriptor(
    operationsClient,
    responseType.decode.bind(responseType),
    metadataType.decode.bind(metadataType),
  );
  return {
    operation(name) {
      // What a start method (or checkXxxProgress) hands the user: an Operation around the
      // snapshot, with the default LRO backoff (100 ms × 1.3, up to 60 s).
      const snapshot = { name, done: false, metadata: null, response: null, error: null };
      return new gax.Operation(snapshot, longrunning, gax.createDefaultBackoffSettings());
    },
    close() {
      operationsClient.close();
    },
  };
}
