/** The part of google-gax that the benchmarks use (implemented in gax.mjs). */

/** A gax Operation (google-gax `Operation`), as far as the benchmarks call it. */
export interface GaxOperation {
  /** One GetOperation (none once done); resolves `[result, metadata, rawOperation]`. */
  getOperation(): Promise<[unknown, { progressPercent?: number; state?: string } | null, unknown]>;
  /** Polls with gax's backoff until done; resolves `[result, metadata, rawOperation]`. */
  promise(): Promise<[{ uri?: string } | null, unknown, unknown]>;
}

export interface GaxClient {
  /** A gax Operation for the running operation `name` (no RPC). */
  operation(name: string): GaxOperation;
  close(): void;
}

/** A gax OperationsClient (google-gax `lro().operationsClient`) on `address`, insecure. */
export function createGaxClient(address: string): GaxClient;
