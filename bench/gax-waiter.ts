/**
 * google-gax's side of the notice and fleet scenarios: one `promise()` per operation, as a
 * GAPIC application waits, each resolving with its response's `uri`.
 */
import { createGaxClient } from './gax.mjs';

/** A waiter over a google-gax OperationsClient at `address` (plaintext). */
export function gaxWaiter(address: string): { wait(name: string): Promise<string>; close(): void } {
  const gax = createGaxClient(address);
  return {
    wait: async (name) => {
      const [result] = await gax.operation(name).promise();
      return String(result?.uri);
    },
    close: () => gax.close(),
  };
}
