/**
 * Why a received file is refused, in the media layer's words; the upload route makes each
 * kind its catalogue reason (413 upload_too_large, 415 unsupported_media_type, 400
 * upload_invalid, 507 upload_storage_full). `message` is Chinese and shown to the user.
 */
export type UploadErrorKind = 'too_large' | 'unsupported' | 'invalid' | 'storage_full';

export class UploadError extends Error {
  override readonly name = 'UploadError';
  constructor(
    readonly kind: UploadErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
