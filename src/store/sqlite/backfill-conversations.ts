import { randomUUID } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { conversationTitle } from '../conversation-title.js';
import type { MessageStatus, StoredMessage } from '../history-store.js';

/**
 * Migration 2 (schema version 1 → 2): conversations get ids and summaries, ratings get a table.
 * The admin console reads these tables directly, so this comment is their reference.
 *
 * conversation_meta — one row per conversation that has an id:
 *   id             TEXT     opaque conversation id (a UUID), unique across users, never reused
 *   openid         TEXT     its owner
 *   n              INTEGER  the owner's conversation number: its messages are
 *                           `messages WHERE openid = :openid AND conversation = :n ORDER BY seq`
 *   title          TEXT     first question that was not blocked, ≤ 30 characters with "…"; '' until one
 *   created_at     INTEGER  epoch ms of the first message (0 while empty)
 *   updated_at     INTEGER  epoch ms of the latest message (0 while empty)
 *   message_count  INTEGER  messages in it; 0 only for a user's current, still empty conversation
 *                           (listings skip those: `WHERE message_count > 0`)
 *   (Since the eleventh performance round, updated_at and message_count of a user's *current* conversation
 *   are as of its first message or when the user last left it; the list reads them live.)
 *   indexes: (openid, updated_at, id) for one user's list newest first;
 *            (updated_at) for all conversations newest first or within a date range.
 *            (The second was dropped by migration 6: nothing reads across users by time.)
 *   `conversations.current` (from version 1) stays the user's current number; a number without
 *   a row here gets one (a fresh id) on its first use.
 *
 * feedback — one rating per (openid, answer_id), the latest wins:
 *   openid, answer_id   TEXT  primary key; answer_id is `messages.id` of the rated answer
 *   conversation_id     TEXT  `conversation_meta.id` it was in
 *   rating              TEXT  'up' | 'down'
 *   comment             TEXT  NULL when none
 *   created_at, updated_at INTEGER epoch ms of the first rating and the latest change
 *   indexes: (updated_at) for newest first; (conversation_id) to drop a deleted conversation's.
 *
 * Files written by version 1 hold messages numbered per user (a clear started the next
 * number) and no ids: each (openid, conversation) with messages gets a row here, its title,
 * count and times computed from those messages, so old conversations stay listed.
 */
export function backfillConversations(db: Database): void {
  db.exec(`
    CREATE TABLE conversation_meta (
      id            TEXT    PRIMARY KEY,
      openid        TEXT    NOT NULL,
      n             INTEGER NOT NULL,
      title         TEXT    NOT NULL DEFAULT '',
      created_at    INTEGER NOT NULL DEFAULT 0,
      updated_at    INTEGER NOT NULL DEFAULT 0,
      message_count INTEGER NOT NULL DEFAULT 0,
      UNIQUE (openid, n)
    );
    CREATE INDEX conversation_meta_by_user ON conversation_meta (openid, updated_at, id);
    CREATE INDEX conversation_meta_by_time ON conversation_meta (updated_at);

    CREATE TABLE feedback (
      openid          TEXT    NOT NULL,
      answer_id       TEXT    NOT NULL,
      conversation_id TEXT    NOT NULL,
      rating          TEXT    NOT NULL CHECK (rating IN ('up', 'down')),
      comment         TEXT,
      created_at      INTEGER NOT NULL,
      updated_at      INTEGER NOT NULL,
      PRIMARY KEY (openid, answer_id)
    ) WITHOUT ROWID;
    CREATE INDEX feedback_by_time ON feedback (updated_at);
    CREATE INDEX feedback_by_conversation ON feedback (conversation_id);
  `);

  // One pass over the conversations; the first and the first titled message come from the
  // (openid, conversation, seq) index, so this stays proportional to the number of conversations.
  const groups = db.prepare(`
    SELECT g.openid, g.conversation, g.count, g.updated_at,
      (SELECT created_at FROM messages f WHERE f.openid = g.openid AND f.conversation = g.conversation
        ORDER BY seq LIMIT 1) AS created_at
    FROM (SELECT openid, conversation, COUNT(*) AS count, MAX(created_at) AS updated_at
          FROM messages GROUP BY openid, conversation) AS g
  `);
  // Blank questions are skipped in SQL already; conversationTitle decides the rest.
  const questions = db.prepare(`
    SELECT role, status, content FROM messages
    WHERE openid = ? AND conversation = ? AND role = 'user' AND status != 'blocked'
    ORDER BY seq
  `);
  const insert = db.prepare(`
    INSERT INTO conversation_meta (id, openid, n, title, created_at, updated_at, message_count)
    VALUES (?, ?, ?, ?, ?, ?, ?)
  `);
  const rows = groups.all() as Array<{ openid: string; conversation: number; count: number; updated_at: number; created_at: number }>;
  for (const g of rows) {
    let title = '';
    for (const q of questions.iterate(g.openid, g.conversation) as Iterable<{ role: StoredMessage['role']; status: MessageStatus; content: string }>) {
      const candidate = conversationTitle(q);
      if (candidate !== undefined) {
        title = candidate;
        break;
      }
    }
    insert.run(randomUUID(), g.openid, g.conversation, title, Math.floor(g.created_at), Math.floor(g.updated_at), g.count);
  }
}
