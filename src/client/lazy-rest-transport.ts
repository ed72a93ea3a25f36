/**
 * The HTTP/JSON transport of an `OperationsRestClient`, made at its first call: the client
 * checks its options at construction (rest-options.ts, which throws what RestTransport's
 * constructor would), and the transport with the HTTP modules (rest.ts, http-body,
 * http-error, http-redirect, bearer-token) is imported only when a call needs it, so an
 * application that only uses gRPC never loads them.
 */

import type { OperationsTransport } from '../transport/operations-transport.js';
import type { RestTransport } from '../transport/rest.js';
import { checkRestOptions, type RestTransportOptions } from '../transport/rest-options.js';

/**
 * An OperationsTransport that makes `new RestTransport(options)` at its first call and
 * hands every call to it. Throws, before any import, what that constructor throws. Has
 * `wait` exactly when the options give a `wait` rule, as RestTransport does.
 */
export function lazyRestTransport(options: RestTransportOptions): OperationsTransport {
  checkRestOptions(options);
  // The global fetch as it is now, as RestTransport would have taken it at construction.
  const fixed: RestTransportOptions = { ...options, fetch: options.fetch ?? fetch };
  let made: Promise<RestTransport> | undefined;
  const transport = (): Promise<RestTransport> => {
    made ??= import('../transport/rest.js').then(({ RestTransport }) => new RestTransport(fixed));
    return made;
  };
  const lazy: OperationsTransport = {
    get: async (name, callOptions) => (await transport()).get(name, callOptions),
    cancel: async (name, callOptions) => (await transport()).cancel(name, callOptions),
    delete: async (name, callOptions) => (await transport()).delete(name, callOptions),
    list: async (request, callOptions) => (await transport()).list(request, callOptions),
  };
  if (options.rules?.wait !== undefined) {
    lazy.wait = async (name, timeoutMs, callOptions) => {
      const rest = await transport();
      // Set by RestTransport whenever a wait rule is given, as here.
      if (rest.wait === undefined) throw new Error('RestTransport has no wait for a wait rule');
      return rest.wait(name, timeoutMs, callOptions);
    };
  }
  return lazy;
}
