import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { backfillConversations } from './backfill-conversations.js';
import { REKEY_MESSAGES } from './rekey-messages.js';

export type { Database } from 'better-sqlite3';

/**
 * How long a statement waits for another connection's write lock before failing with
 * SQLITE_BUSY, in milliseconds. Only a second process (a CLI, a second gateway) on the same
 * file contends; 5 s rides out a checkpoint without hanging a request for long.
 */
const BUSY_TIMEOUT_MS = 5_000;
/** what the WAL file is cut back to when it starts over (64 MiB) */
export const WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;

/**
 * Schema migrations, applied in order. Entry `i` moves the file from `user_version = i` to
 * `i + 1`: SQL, or a function when rows must be computed. Append only: never edit a shipped
 * entry, since files in the field already ran it.
 */
const MIGRATIONS: ReadonlyArray<string | ((db: Database.Database) => void)> = [
  `
  -- seq (the rowid) orders a conversation: insertion order, not createdAt, so two messages
  -- stamped in the same millisecond keep the order they were appended in.
  CREATE TABLE messages (
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
    UNIQUE (openid, conversation, id)
  );
  CREATE INDEX messages_by_conversation ON messages (openid, conversation, seq);

  -- the user's current conversation number; absent means 0. clear() increments it.
  CREATE TABLE conversations (
    openid  TEXT    PRIMARY KEY,
    current INTEGER NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE sessions (
    session_id  TEXT    PRIMARY KEY,
    openid      TEXT    NOT NULL,
    unionid     TEXT,
    session_key TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
  );
  CREATE INDEX sessions_by_expiry ON sessions (expires_at);
  `,
  // 2: several conversations per user, and ratings. Schema and backfill in backfill-conversations.ts.
  backfillConversations,
  // 3: uploads
  `
  -- uploads (POST /wechat/upload): metadata only, the bytes are files under UPLOAD_DIR named by id
  CREATE TABLE uploads (
    id         TEXT    PRIMARY KEY,
    openid     TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    mime       TEXT    NOT NULL,
    bytes      INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX uploads_by_expiry ON uploads (expires_at);
  `,
  // 4: the checkpoint worker's own row (background-checkpoint.ts): its write after a checkpoint
  // starts the WAL over on the worker's thread, not in the gateway's next commit
  `
  CREATE TABLE wal_restarts (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    at INTEGER NOT NULL
  );
  `,
  // 5: the messages' unique key led by the (time-ordered) id: rekey-messages.ts
  REKEY_MESSAGES,
  // 6: no query reads conversations across users by time (the admin console has its own
  // tables), and every message moved its conversation's entry in this index: one more page
  // per message at 20k users (docs/performance.md, 第十轮)
  `DROP INDEX IF EXISTS conversation_meta_by_time;`,
];

/**
 * Opens (creating if needed) the SQLite file and brings its schema up to date.
 * The caller owns the returned handle and closes it; the stores built on it never do.
 *
 * @example
 * const db = openSqlite('./data/gateway.db'); // or ':memory:' in tests
 */
export function openSqlite(file: string, log?: Pick<Logger, 'warn' | 'info'>): Database.Database {
  const inMemory = file === ':memory:' || file === '';
  if (!inMemory) mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  try {
    // WAL lets readers (history lists) proceed while a writer appends.
    db.pragma('journal_mode = WAL');
    // NORMAL is durable across a process crash under WAL; only an OS crash can lose the last
    // commits, an acceptable trade for chat history against a fsync per message.
    db.pragma('synchronous = NORMAL');
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // A WAL that grew in a burst stays that size on disk unless SQLite may cut it back when it
    // starts over; the WAL stays far below this under load (background-checkpoint.ts).
    db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
    migrate(db, log);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

function migrate(db: Database.Database, log: Pick<Logger, 'warn' | 'info'> | undefined): void {
  // IMMEDIATE takes the write lock before reading user_version, so two processes opening
  // the same new file cannot both run migration 0.
  db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > MIGRATIONS.length) {
      throw new Error(
        `SQLite schema version ${version} is newer than this build knows (${MIGRATIONS.length}): refusing to run an older gateway on it`,
      );
    }
    // an existing file: the operator learns why the port is not open yet (a large history takes a while)
    const upgrading = version > 0 && version < MIGRATIONS.length;
    const started = performance.now();
    if (upgrading) {
      const copies = version < 5 ? ' (once: the messages table is copied, ~12 s per million messages)' : '';
      log?.warn({ from: version, to: MIGRATIONS.length }, `upgrading the SQLite schema${copies}`);
    }
    for (let v = version; v < MIGRATIONS.length; v++) {
      const step = MIGRATIONS[v]!;
      if (typeof step === 'string') db.exec(step);
      else step(db);
      db.pragma(`user_version = ${v + 1}`);
    }
    if (upgrading) log?.info({ version: MIGRATIONS.length, ms: Math.round(performance.now() - started) }, 'SQLite schema upgraded');
  }).immediate();
}
