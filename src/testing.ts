/**
 * `longrunning/testing`: a real gRPC fake of google.longrunning.Operations (plus the demo
 * Exporter service) for tests, demos and benchmarks, its in-memory operation store, and a
 * manually driven clock for asserting exact delays without waiting on the wall clock.
 *
 * @module longrunning/testing
 */

export { FakeClock } from './testing/fake-clock.js';
export type { FailWith, FakeOperationHandle, SimulateOptions } from './testing/fake-operation.js';
export {
  type CreateOptions,
  type FakeCallContext,
  type FakeMethod,
  FakeOperationsServer,
  type FakeServerOptions,
  type FakeService,
  type FakeServiceHandlers,
  type FakeUnaryHandler,
  type Fault,
  type FaultRate,
  type FaultRateCounts,
  type OperationsMethod,
  type QuotaOptions,
} from './testing/fake-server.js';
export { RpcFailure } from './testing/faults.js';
export { type HttpRequestRecord, httpStatusFromCode } from './testing/http-gateway.js';
export {
  type OperationFields,
  type OperationFilter,
  type OperationListener,
  OperationStore,
  type StatusInput,
  type StorePage,
} from './testing/operation-store.js';
export { seededRandom } from './testing/seeded-random.js';
