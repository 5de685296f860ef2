/** Why a voice question could not be transcribed, in our words; the protocol edge picks the Chinese text. */
export type TranscribeErrorKind =
  | 'not_configured' // no ASR_BASE_URL
  | 'timeout' // no answer within ASR_TIMEOUT_MS
  | 'failed' // the service answered an error status or could not be reached
  | 'garbage' // 2xx whose body is not `{ text: string }`
  | 'empty' // the service heard nothing
  | 'unsupported_format'; // a format the provider cannot take and we cannot convert (no ffmpeg)

export class TranscribeError extends Error {
  override readonly name = 'TranscribeError';
  constructor(
    readonly kind: TranscribeErrorKind,
    message: string,
  ) {
    super(message);
  }

  static is(value: unknown): value is TranscribeError {
    return value instanceof TranscribeError;
  }
}
