/**
 * Migration 5: the unique key of `messages` becomes (id, openid, conversation) instead of
 * (openid, conversation, id) — the same set of keys, so the same rows are duplicates as before,
 * and no row of an existing file can conflict while it is copied.
 *
 * Why: both of the table's indexes led with the user, so a commit holding the messages of 40
 * users changed 2 index pages per user (~3.2 WAL frames of 4 KiB per message). Led by the id,
 * which is time-ordered for new answers (chat/answer-id.ts), the unique index only grows at its
 * right edge: one page per commit (1.9 frames per message; chat intake −15–20 % CPU, figures in
 * docs/performance.md). A lookup by id (`findMessage`, the admin's feedback view) now uses it
 * directly.
 *
 * SQLite cannot change a table's constraint in place: the table is copied (rowids kept, so
 * `seq` order and the admin indexer's position stay valid), dropped and renamed, inside the
 * migration's transaction — a failure (a full disk: the copy needs as much free space as the
 * table) leaves the file as it was. It runs once, on the first start of this version.
 */
// The columns are migration 1's, written out again on purpose: a shipped migration is a
// snapshot, and sharing a constant with it would let a later edit change what old files ran.
export const REKEY_MESSAGES = `
  CREATE TABLE messages_rekeyed (
    seq          INTEGER PRIMARY KEY,
    openid       TEXT    NOT NULL,
    conversation INTEGER NOT NULL,
    id           TEXT    NOT NULL,
    role         TEXT    NOT NULL,
    content      TEXT    NOT NULL,
    status       TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    usage        TEXT,
    meta         TEXT,
    UNIQUE (id, openid, conversation)
  );
  INSERT INTO messages_rekeyed (seq, openid, conversation, id, role, content, status, created_at, usage, meta)
    SELECT seq, openid, conversation, id, role, content, status, created_at, usage, meta FROM messages ORDER BY seq;
  DROP TABLE messages;
  ALTER TABLE messages_rekeyed RENAME TO messages;
  CREATE INDEX messages_by_conversation ON messages (openid, conversation, seq);
`;
