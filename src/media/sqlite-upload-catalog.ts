import type { Database, Statement, Transaction } from 'better-sqlite3';
import { storeCall } from '../store/store-call.js';
import type { UploadCatalog } from './upload-catalog.js';
import type { StoredUpload, UploadKind } from './upload-store.js';

interface UploadRow {
  id: string;
  openid: string;
  kind: UploadKind;
  mime: string;
  bytes: number;
  created_at: number;
  expires_at: number;
}

/**
 * UploadCatalog on SQLite: the `uploads` table of gateway.sqlite (migration in
 * store/sqlite/open-sqlite.ts). With `ownsDb` close() closes the handle (the composition root
 * opens one for uploads alone).
 */
export class SqliteUploadCatalog implements UploadCatalog {
  readonly #put: Statement<[UploadRow]>;
  readonly #find: Statement<[string], UploadRow>;
  readonly #expired: Statement<[number, number], { id: string }>;
  readonly #delete: Statement<[string]>;
  readonly #takeExpired: Transaction<(now: number, limit: number) => string[]>;
  readonly #db: Database;
  readonly #ownsDb: boolean;

  constructor(db: Database, options: { ownsDb?: boolean } = {}) {
    this.#db = db;
    this.#ownsDb = options.ownsDb ?? false;
    this.#put = db.prepare(
      `INSERT INTO uploads (id, openid, kind, mime, bytes, created_at, expires_at)
       VALUES (@id, @openid, @kind, @mime, @bytes, @created_at, @expires_at)`,
    );
    this.#find = db.prepare('SELECT id, openid, kind, mime, bytes, created_at, expires_at FROM uploads WHERE id = ?');
    this.#expired = db.prepare('SELECT id FROM uploads WHERE expires_at <= ? ORDER BY expires_at LIMIT ?');
    this.#delete = db.prepare('DELETE FROM uploads WHERE id = ?');
    this.#takeExpired = db.transaction((now: number, limit: number) => {
      const ids = this.#expired.all(now, limit).map((row) => row.id);
      for (const id of ids) this.#delete.run(id);
      return ids;
    });
  }

  put(upload: StoredUpload): Promise<void> {
    return storeCall(
      (async () => {
        this.#put.run({
          id: upload.id,
          openid: upload.openid,
          kind: upload.kind,
          mime: upload.mime,
          bytes: upload.bytes,
          created_at: upload.createdAt,
          expires_at: upload.expiresAt,
        });
      })(),
    );
  }

  find(id: string): Promise<StoredUpload | undefined> {
    return storeCall(
      (async () => {
        const row = this.#find.get(id);
        return row && { id: row.id, openid: row.openid, kind: row.kind, mime: row.mime, bytes: row.bytes, createdAt: row.created_at, expiresAt: row.expires_at };
      })(),
    );
  }

  takeExpired(now: number, limit: number): Promise<string[]> {
    return storeCall((async () => this.#takeExpired.immediate(now, limit))()); // reads, then deletes: immediate (write-batch.ts says why)
  }

  delete(id: string): Promise<void> {
    return storeCall(
      (async () => {
        this.#delete.run(id);
      })(),
    );
  }

  async close(): Promise<void> {
    if (this.#ownsDb && this.#db.open) this.#db.close();
  }
}
