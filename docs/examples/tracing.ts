/**
 * The Waiting guide's tracing example: with @opentelemetry/api installed and a tracer
 * provider registered, each wait is a `longrunning.wait` span. Here the spans go to the
 * console.
 */
import * as grpc from '@grpc/grpc-js';
// #region tracing
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, ConsoleSpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
// #endregion
import { OperationsClient } from 'longrunning';
import { FakeOperationsServer } from 'longrunning/testing';

const server = await FakeOperationsServer.start();
const address = server.address;
const name = server.simulate({
  durationMs: 300,
  metadataType: 'longrunning.demo.v1.ExportMetadata',
  responseType: 'longrunning.demo.v1.ExportResult',
  response: { uri: 'export://orders', rowCount: '1000' },
}).name;

// #region tracing
// Usually done once by the application (e.g. @opentelemetry/sdk-node's NodeSDK).
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
trace.setGlobalTracerProvider(
  new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(new ConsoleSpanExporter())] }),
);

const client = new OperationsClient({ address, credentials: grpc.credentials.createInsecure() });
await client.operation(name).wait({ strategy: 'poll', polling: { initialDelayMs: 100 } });
// prints one span: name 'longrunning.wait', attributes longrunning.operation.name,
// longrunning.strategy 'poll', longrunning.polls, longrunning.outcome 'done', and one
// 'longrunning.poll' event per poll
// #endregion

client.close();
await server.stop();
