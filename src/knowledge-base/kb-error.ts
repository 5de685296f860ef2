/** Why a knowledge-base operation failed, in our words; the admin API maps these to statuses. */
export type KbErrorKind =
  | 'unsupported_type' // extension we have no parser for
  | 'empty_document' // parsed fine but holds no text (empty file, scanned PDF, Q&A file with no pairs)
  | 'parse_failed' // the bytes are not what the extension claims (corrupt PDF, broken CSV…)
  | 'too_large' // over the size bound
  | 'embedding_failed'; // the embedding service kept failing; nothing was stored

/**
 * A document could not be added. Thrown before anything is written, so the knowledge base is
 * exactly as it was. `message` is Chinese and names the file: operators see it verbatim in
 * the CLI and the admin API.
 */
export class KbError extends Error {
  override readonly name = 'KbError';
  constructor(
    readonly kind: KbErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  static is(value: unknown): value is KbError {
    return value instanceof KbError;
  }
}
