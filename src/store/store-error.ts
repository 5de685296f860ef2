/**
 * A store backend failed (Redis gone, disk full, database locked). Transient from the
 * client's point of view: `protocol/to-app-error.ts` maps it to 503 `store_unavailable`.
 */
export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
