import { AppError } from '../protocol/error-catalogue.js';

/**
 * Runs a store operation so that a backend failure (Redis gone, disk full) reaches the client
 * as 503 `store_unavailable` — "try again later" — rather than a generic 500.
 */
export function storeCall<T>(pending: Promise<T>): Promise<T> {
  return pending.catch((error: unknown) => {
    throw new AppError('store_unavailable', undefined, { cause: error });
  });
}
