/** Why a model call failed, in our words; drivers map vendor failures onto these. */
export type LlmErrorKind =
  | 'timeout' // no answer (or no next chunk) within the deadline
  | 'rate_limited' // 429 after retries
  | 'upstream' // 5xx, connection reset, malformed stream
  | 'bad_request' // 4xx other than 429: our request or the key is wrong; retrying will not help
  | 'tools_unsupported' // a request with `tools` was refused because the model/server has no function calling
  | 'aborted' // the caller's AbortSignal fired
  | 'vision_unsupported'; // a request with images was refused because the model/server takes no images

export class LlmError extends Error {
  override readonly name = 'LlmError';
  constructor(
    readonly kind: LlmErrorKind,
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** Worth another attempt (only before any text reached the client). */
  get isRetryable(): boolean {
    return this.kind === 'rate_limited' || this.kind === 'upstream' || this.kind === 'timeout';
  }

  static is(value: unknown): value is LlmError {
    return value instanceof LlmError;
  }
}
