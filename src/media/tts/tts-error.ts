/** Why a synthesis failed, in our words; the driver maps what the provider did onto these. */
export type TtsErrorKind =
  | 'timeout' // no answer (or no next bytes) within TTS_TIMEOUT_MS
  | 'upstream' // 5xx, 429, connection reset or cut mid-body
  | 'bad_request' // 4xx: our request, model, voice or key is wrong; retrying will not help
  | 'bad_audio' // 200 but not audio: a JSON or HTML body, an empty body, bytes that are not MP3
  | 'aborted'; // the caller's AbortSignal fired

export class TtsError extends Error {
  override readonly name = 'TtsError';
  constructor(
    readonly kind: TtsErrorKind,
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  static is(value: unknown): value is TtsError {
    return value instanceof TtsError;
  }
}
