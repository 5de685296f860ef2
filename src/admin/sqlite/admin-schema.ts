import type { Database } from 'better-sqlite3';
import { CONVERSATION_TABLE } from './message-source.js';

/**
 * The admin read model's own tables, beside the chat store's in the same file. They have their
 * own version (`admin_meta.schema`) and migration list, so the chat store's append-only list
 * (open-sqlite.ts) never has to know about them and the two lists never race for a number.
 * Everything here is derived from `messages` and can be dropped and rebuilt by the indexer.
 *
 * Append only, like the chat store's list: entry `i` moves `schema` from `i` to `i + 1`.
 */
const MIGRATIONS: readonly string[] = [
  `
  -- indexed_seq: the last messages.seq the indexer has read (the version is in admin_version)
  CREATE TABLE admin_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
  INSERT INTO admin_meta VALUES ('indexed_seq', 0);

  -- One row per conversation. doc is the conversation's latest messages.seq: it orders the list
  -- (newest activity first), pages it (a cursor is a doc), and is the rowid of its text in
  -- admin_fts, so a full-text match comes back already in list order.
  CREATE TABLE admin_conversations (
    doc           INTEGER PRIMARY KEY,
    id            TEXT    NOT NULL UNIQUE,
    openid        TEXT    NOT NULL,
    title         TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    message_count INTEGER NOT NULL
  );
  CREATE INDEX admin_conversations_by_openid ON admin_conversations (openid, doc);
  CREATE INDEX admin_conversations_by_time ON admin_conversations (updated_at);

  -- jieba terms of every message of a conversation, space-separated (search-terms.ts). Contentless:
  -- the text lives in messages; contentless_delete lets a conversation's row be replaced.
  CREATE VIRTUAL TABLE admin_fts USING fts5(
    terms, content = '', contentless_delete = 1,
    tokenize = "unicode61 remove_diacritics 0 tokenchars '_.-'"
  );

  -- Per Asia/Shanghai day and user. Counted as messages are indexed and never decremented:
  -- what was spent stays spent when a conversation is deleted.
  CREATE TABLE admin_usage (
    day        INTEGER NOT NULL,
    openid     TEXT    NOT NULL,
    questions  INTEGER NOT NULL DEFAULT 0,
    blocked    INTEGER NOT NULL DEFAULT 0,
    answers    INTEGER NOT NULL DEFAULT 0,
    failed     INTEGER NOT NULL DEFAULT 0,
    tokens_in  INTEGER NOT NULL DEFAULT 0,
    tokens_out INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, openid)
  ) WITHOUT ROWID;

  -- Deleted conversations: the indexer re-reads them and, nothing being left, drops them from
  -- the list and the index. A trigger, because a delete does not advance seq for the tail to see.
  CREATE TABLE admin_stale (id TEXT PRIMARY KEY) WITHOUT ROWID;
  CREATE TRIGGER admin_stale_on_delete AFTER DELETE ON ${CONVERSATION_TABLE} BEGIN
    INSERT OR IGNORE INTO admin_stale (id) VALUES (OLD.id);
  END;
  `,
  `
  -- Each conversation's distinct jieba terms, as its row in admin_fts holds them: a conversation
  -- that grows is indexed by adding the terms of its new messages to these, not by reading and
  -- cutting every message it has again (which cost 50 ms per new answer at 2,000 messages).
  -- A conversation indexed before this table existed is read whole once, at its next message.
  CREATE TABLE admin_terms (id TEXT PRIMARY KEY, terms TEXT NOT NULL) WITHOUT ROWID;

  -- messages.seq is a plain rowid: once the newest messages are deleted, SQLite numbers the next
  -- one from the largest seq left, below where the tail already read, and it was never indexed.
  -- The chat store deletes a conversation's messages before its conversation_meta row, so here
  -- MAX(seq) is what is left: the tail steps back to it and misses nothing, re-reads nothing.
  DROP TRIGGER admin_stale_on_delete;
  CREATE TRIGGER admin_stale_on_delete AFTER DELETE ON ${CONVERSATION_TABLE} BEGIN
    INSERT OR IGNORE INTO admin_stale (id) VALUES (OLD.id);
    UPDATE admin_meta SET value = MIN(value, COALESCE((SELECT MAX(seq) FROM messages), 0)) WHERE key = 'indexed_seq';
  END;
  `,
];

/** Brings the admin tables up to date. Idempotent; safe when several processes open the file. */
export function migrateAdminSchema(db: Database): void {
  db.transaction(() => {
    db.exec(`CREATE TABLE IF NOT EXISTS admin_version (value INTEGER NOT NULL)`);
    const row = db.prepare(`SELECT value FROM admin_version`).get() as { value: number } | undefined;
    const version = row?.value ?? 0;
    if (version > MIGRATIONS.length) {
      throw new Error(`admin schema version ${version} is newer than this build knows (${MIGRATIONS.length})`);
    }
    for (let v = version; v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v]!);
    db.exec(`DELETE FROM admin_version`);
    db.prepare(`INSERT INTO admin_version (value) VALUES (?)`).run(MIGRATIONS.length);
  }).immediate();
}
