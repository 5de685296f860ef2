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

/** What the receiver knows of a file it wrote to a temp path (DiskUploadStore.tempFile). */
export interface NewUpload {
  openid: string;
  kind: UploadKind;
  mime: string;
  bytes: number;
}

/**
 * The writer side (the upload route and the composition root use it; the chat path needs only
 * UploadStore). A file is received into `tempFile()`, then either `save`d — moved into the
 * store under a fresh random id and recorded — or `discard`ed: nothing is stored half-way.
 */
export interface UploadWriter {
  tempFile(): string;
  save(tempFile: string, upload: NewUpload): Promise<StoredUpload>;
  discard(tempFile: string): Promise<void>;
  /** deletes an upload for good (file and record), e.g. an image content security found risky; unknown ids are ignored */
  delete(uploadId: string): Promise<void>;
  /** deletes expired uploads (files and records) and stale temp files; returns how many files went */
  sweepExpired(): Promise<number>;
  /** stops the periodic sweep; idempotent */
  close(): Promise<void>;
}
