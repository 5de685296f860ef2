/** Which limit refused: a user's chats per minute, tokens or speech characters per day, an IP's logins or new sockets per minute. */
export type LimitKind = 'chat_rate' | 'token_quota' | 'ip_login' | 'ip_connection' | 'tts_quota' | 'upload_rate' | 'upload_quota' | 'asr_quota';

/** A caller went past a configured limit; the protocol edge (to-app-error.ts) makes it a 429 with `retry_after`. */
export class LimitExceededError extends Error {
  override readonly name = 'LimitExceededError';
  constructor(
    readonly kind: LimitKind,
    /** whole seconds until the window resets, ≥ 1 */
    readonly retryAfterSeconds: number,
  ) {
    super(`${kind} limit reached; retry in ${retryAfterSeconds} s`);
  }

  static is(error: unknown): error is LimitExceededError {
    return error instanceof LimitExceededError;
  }
}
