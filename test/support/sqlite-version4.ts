import type { Database } from 'better-sqlite3';

/**
 * Turns a freshly opened gateway file back into what schema version 4 wrote: the messages'
 * unique key led by the user (before migration 5, store/sqlite/rekey-messages.ts) and the
 * cross-user time index (before migration 6). For upgrade tests: fill it, close it, open it
 * with `openSqlite` again.
 */
export function toSchemaVersion4(db: Database): void {
  db.exec(`
    CREATE TABLE messages_v4 (
      seq INTEGER PRIMARY KEY, openid TEXT NOT NULL, conversation INTEGER NOT NULL, id TEXT NOT NULL,
      role TEXT NOT NULL, content TEXT NOT NULL, status TEXT NOT NULL, created_at INTEGER NOT NULL,
      usage TEXT, meta TEXT, UNIQUE (openid, conversation, id)
    );
    INSERT INTO messages_v4 SELECT seq, openid, conversation, id, role, content, status, created_at, usage, meta FROM messages;
    DROP TABLE messages;
    ALTER TABLE messages_v4 RENAME TO messages;
    CREATE INDEX messages_by_conversation ON messages (openid, conversation, seq);
    CREATE INDEX IF NOT EXISTS conversation_meta_by_time ON conversation_meta (updated_at);
    PRAGMA user_version = 4;
  `);
}
