import type { Readable } from 'node:stream';

/**
 * Files users upload (`POST /wechat/upload`) for photo and voice questions. The port the
 * upload route writes through and the chat path reads through; the driver keeps the bytes
 * where every gateway instance can read them and forgets them when they expire.
 */

export type UploadKind = 'image' | 'audio';

export interface StoredUpload {
  id: string;
  openid: string;
  kind: UploadKind;
  /** decided from the file's magic bytes, e.g. image/png, audio/mpeg, audio/silk */
  mime: string;
  bytes: number;
  /** epoch milliseconds */
  createdAt: number;
  expiresAt: number;
}

export interface UploadStore {
  /**
   * The user's upload, while it has not expired; undefined for an unknown, expired or other
   * user's id (indistinguishable on purpose).
   */
  get(openid: string, uploadId: string): Promise<StoredUpload | undefined>;
  /** The upload's bytes (the caller got `upload` from `get`). */
  read(upload: StoredUpload): Promise<Buffer>;
  /** The same bytes as a stream, for large files. */
  open(upload: StoredUpload): Readable;
}
