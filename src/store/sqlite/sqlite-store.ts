import type { Database, Statement } from 'better-sqlite3';

/**
 * What every SQLite store shares: a health probe and a `close()` that stops only this store.
 * Stores do not own `db`: the opener (`createSqliteStores`) closes the file.
 */
export abstract class SqliteStore {
  readonly #ping: Statement<[]>;
  #closed = false;

  protected constructor(db: Database, private readonly label: string) {
    this.#ping = db.prepare('SELECT 1');
  }

  async ping(): Promise<void> {
    this.assertOpen();
    this.#ping.get();
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  protected assertOpen(): void {
    if (this.#closed) throw new Error(`${this.label} is closed`);
  }
}
