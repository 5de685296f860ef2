import { StoreError } from './store-error.js';

/**
 * Runs a store operation so that a backend failure (Redis gone, disk full) surfaces as a
 * `StoreError` — "try again later" for the client — rather than an unknown error (500).
 */
export function storeCall<T>(pending: Promise<T>): Promise<T> {
  return pending.catch((error: unknown) => {
    throw new StoreError(`store operation failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  });
}
