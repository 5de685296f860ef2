import type { Database, Statement } from 'better-sqlite3';
import { SqliteStore } from './sqlite-store.js';
import { WriteBatch, type CommitObserver } from './write-batch.js';
import type { SessionRecord, SessionStore } from '../session-store.js';

/** how often expired sessions are deleted, at most (ms) */
const PURGE_EVERY_MS = 60_000;

interface SessionRow {
  session_id: string;
  openid: string;
  unionid: string | null;
  session_key: string;
  created_at: number;
  expires_at: number;
}

/**
 * SessionStore on SQLite (schema in `open-sqlite.ts`).
 *
 * Expiry is enforced on read (`expires_at > now`), so a stale row is never returned even if
 * it is still on disk; expired rows are purged on `put` at most once a minute, which keeps the
 * table near the number of live sessions at the cost of one indexed DELETE now and then.
 *
 * New sessions are group-committed (write-batch.ts): `put` resolves after the commit holding
 * its row, and every other call commits the pending ones first, so it sees them.
 *
 * The store does not own `db`: `close()` only stops this store, the opener closes the file.
 */
export class SqliteSessionStore extends SqliteStore implements SessionStore {
  readonly #put: Statement<[SessionRow]>;
  readonly #get: Statement<[string, number], SessionRow>;
  readonly #touch: Statement<[number, string, number]>;
  readonly #delete: Statement<[string]>;
  readonly #purge: Statement<[number]>;
  readonly #puts: WriteBatch<SessionRow>;
  #purgedAt = 0;

  constructor(db: Database, onCommit?: CommitObserver) {
    super(db, 'SqliteSessionStore');
    this.#put = db.prepare(
      `INSERT OR REPLACE INTO sessions (session_id, openid, unionid, session_key, created_at, expires_at)
       VALUES (@session_id, @openid, @unionid, @session_key, @created_at, @expires_at)`,
    );
    this.#get = db.prepare(
      `SELECT session_id, openid, unionid, session_key, created_at, expires_at
       FROM sessions WHERE session_id = ? AND expires_at > ?`,
    );
    // Only a live session slides: an expired one stays dead, as it would in Redis.
    this.#touch = db.prepare(
      'UPDATE sessions SET expires_at = ? WHERE session_id = ? AND expires_at > ?',
    );
    this.#delete = db.prepare('DELETE FROM sessions WHERE session_id = ?');
    this.#purge = db.prepare('DELETE FROM sessions WHERE expires_at <= ?');
    const put = this.#put;
    this.#puts = new WriteBatch(db, (row) => put.run(row), { committed: onCommit && ((rows, seconds) => onCommit('sessions', rows, seconds)) });
  }

  async put(record: SessionRecord): Promise<void> {
    this.assertOpen();
    const now = Date.now();
    if (now - this.#purgedAt >= PURGE_EVERY_MS) {
      this.#purgedAt = now;
      this.#puts.flush();
      this.#purge.run(now);
    }
    return this.#puts.add({
      session_id: record.sessionId,
      openid: record.openid,
      unionid: record.unionid ?? null,
      session_key: record.sessionKey,
      created_at: record.createdAt,
      expires_at: record.expiresAt,
    });
  }

  async get(sessionId: string): Promise<SessionRecord | null> {
    this.assertOpen();
    this.#puts.flush();
    const row = this.#get.get(sessionId, Date.now());
    return row === undefined ? null : toRecord(row);
  }

  async touch(sessionId: string, expiresAt: number): Promise<void> {
    this.assertOpen();
    this.#puts.flush();
    this.#touch.run(expiresAt, sessionId, Date.now());
  }

  /** Commits the sessions still pending, then stops this store. */
  override async close(): Promise<void> {
    this.#puts.flush();
    await super.close();
  }

  async delete(sessionId: string): Promise<void> {
    this.assertOpen();
    this.#puts.flush();
    this.#delete.run(sessionId);
  }
}

function toRecord(row: SessionRow): SessionRecord {
  const record: SessionRecord = {
    sessionId: row.session_id,
    openid: row.openid,
    sessionKey: row.session_key,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
  if (row.unionid !== null) record.unionid = row.unionid;
  return record;
}
