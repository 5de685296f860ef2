/** An embedding call failed after the driver's retries, or in a way retrying cannot fix. */
export class EmbeddingError extends Error {
  override readonly name = 'EmbeddingError';
  /** from the service's Retry-After header */
  readonly retryAfterMs: number | undefined;

  constructor(
    message: string,
    /** HTTP status, when the service answered */
    readonly status?: number,
    options?: { cause?: unknown; retryAfterMs?: number },
  ) {
    super(message, options);
    this.retryAfterMs = options?.retryAfterMs;
  }

  /** 429, 5xx, network failures and timeouts: another attempt may succeed. */
  get isRetryable(): boolean {
    return this.status === undefined || this.status === 408 || this.status === 429 || this.status >= 500;
  }
}
