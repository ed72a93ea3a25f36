/**
 * What the fake google.longrunning.Operations RPCs do to an OperationStore, apart from
 * how the server runs calls (counting, faults, latency, which live in the server).
 */

import type { CancelOperationRequest__Output } from '../generated/google/longrunning/CancelOperationRequest.js';
import type { DeleteOperationRequest__Output } from '../generated/google/longrunning/DeleteOperationRequest.js';
import type { GetOperationRequest__Output } from '../generated/google/longrunning/GetOperationRequest.js';
import type { ListOperationsRequest__Output } from '../generated/google/longrunning/ListOperationsRequest.js';
import type { WaitOperationRequest__Output } from '../generated/google/longrunning/WaitOperationRequest.js';
import { Code } from '../wire/code.js';
import type { RawListResponse, RawOperation } from '../wire/types.js';
import { RpcFailure } from './faults.js';
import { type ListingQuirks, listPage } from './list-pages.js';
import type { OperationStore } from './operation-store.js';
import type { PendingCall } from './pending-call.js';
import type { TimerSet } from './timer-set.js';

/** A handler: answers through `call` (now or later) or throws RpcFailure. */
export type Handler<Req, Res> = (request: Req, call: PendingCall<Res>) => void;

/** The five Operations RPCs over one store. */
export interface OperationsService {
  GetOperation: Handler<GetOperationRequest__Output, RawOperation>;
  ListOperations: Handler<ListOperationsRequest__Output, RawListResponse>;
  CancelOperation: Handler<CancelOperationRequest__Output, object>;
  DeleteOperation: Handler<DeleteOperationRequest__Output, object>;
  WaitOperation: Handler<WaitOperationRequest__Output, RawOperation>;
}

/** NOT_FOUND naming the operation. */
export function notFound(name: string): RpcFailure {
  return new RpcFailure(Code.NOT_FOUND, `operation ${JSON.stringify(name)} not found`);
}

/** A google.protobuf.Duration in ms, or undefined when absent. */
function durationMs(duration: { seconds: string; nanos: number } | null): number | undefined {
  return duration === null ? undefined : Number(duration.seconds) * 1000 + duration.nanos / 1e6;
}

/**
 * The RPCs over `store`. Every RPC answers INVALID_ARGUMENT for an empty name and
 * NOT_FOUND for an unknown one. Cancel and Delete answer Empty; Cancel leaves a done
 * operation unchanged. WaitOperation answers UNIMPLEMENTED unless `supportsWait`;
 * otherwise it answers as soon as the operation is done, at its `timeout` with the
 * current snapshot (immediately for a timeout <= 0), or NOT_FOUND if it is deleted
 * meanwhile; with no timeout it waits until done. Its timer (from `timers`) and store
 * subscription are released however the call ends.
 */
export function operationsService(
  store: OperationStore,
  options: { readonly supportsWait: boolean; readonly timers: TimerSet; readonly listing?: ListingQuirks },
): OperationsService {
  const require = (name: string): RawOperation => {
    if (name === '') throw new RpcFailure(Code.INVALID_ARGUMENT, 'name is required');
    const operation = store.get(name);
    if (operation === undefined) throw notFound(name);
    return operation;
  };
  return {
    GetOperation: (request, call) => call.reply(require(request.name)),
    ListOperations: (request, call) => call.reply(listPage(store, request, options.listing)),
    CancelOperation: (request, call) => {
      require(request.name);
      store.cancel(request.name);
      call.reply({});
    },
    DeleteOperation: (request, call) => {
      require(request.name);
      store.delete(request.name);
      call.reply({});
    },
    WaitOperation: (request, call) => {
      if (!options.supportsWait) {
        throw new RpcFailure(Code.UNIMPLEMENTED, 'WaitOperation is not implemented by this server');
      }
      const { name } = request;
      const current = require(name);
      const timeoutMs = durationMs(request.timeout);
      if (current.done || (timeoutMs !== undefined && timeoutMs <= 0)) {
        call.reply(current);
        return;
      }
      call.onEnd(
        store.subscribe(name, (next) => {
          if (next === undefined) call.fail(notFound(name));
          else if (next.done) call.reply(next);
        }),
      );
      if (timeoutMs === undefined) return;
      call.onEnd(
        options.timers.after(timeoutMs, () => {
          const latest = store.get(name);
          if (latest === undefined) call.fail(notFound(name));
          else call.reply(latest);
        }),
      );
    },
  };
}
