import type { StoredUpload } from './upload-store.js';

/**
 * Where uploads' metadata lives (the bytes are files: disk-upload-store.ts). One record per
 * upload id, written once. Owner and expiry checks are the caller's (DiskUploadStore), so
 * every driver answers them the same way. Drivers: SQLite (a table in gateway.sqlite) and
 * Redis (a key per upload, expiring by itself); `upload-catalog.contract.ts` checks both.
 */
export interface UploadCatalog {
  put(upload: StoredUpload): Promise<void>;
  /** the record whoever owns it, expired or not; undefined when unknown */
  find(id: string): Promise<StoredUpload | undefined>;
  /**
   * Removes up to `limit` records expired at `now` and returns their ids (the caller deletes
   * the files). A driver whose backend expires records itself (Redis) returns [].
   */
  takeExpired(now: number, limit: number): Promise<string[]>;
  delete(id: string): Promise<void>;
  close(): Promise<void>;
}
