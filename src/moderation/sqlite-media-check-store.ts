import type { Database } from 'better-sqlite3';
import type { MediaCheckRecord, MediaCheckStore, MediaVerdict } from './media-check-store.js';

/** This store's own migrations, applied in order once each (user_version-like, in its own table). */
const MIGRATIONS: string[] = [
  `CREATE TABLE media_checks (
     trace_id TEXT PRIMARY KEY,
     upload_id TEXT NOT NULL,
     openid TEXT NOT NULL,
     answer_id TEXT NOT NULL,
     submitted_at INTEGER NOT NULL,
     verdict TEXT,
     label TEXT
   );
   CREATE TABLE media_check_claims (upload_id TEXT PRIMARY KEY, claimed_at INTEGER NOT NULL);
   CREATE TABLE media_check_flags (
     openid TEXT NOT NULL,
     message_id TEXT NOT NULL,
     label TEXT NOT NULL,
     PRIMARY KEY (openid, message_id)
   );`,
];

interface Row {
  trace_id: string;
  upload_id: string;
  openid: string;
  answer_id: string;
  submitted_at: number;
  verdict: MediaVerdict | null;
  label: string | null;
}

/**
 * MediaCheckStore on SQLite: three tables in gateway.sqlite, created by the migration list
 * above (tracked in `media_check_migrations`, so later versions append and never edit).
 * With `ownsDb` close() closes the handle.
 */
export class SqliteMediaCheckStore implements MediaCheckStore {
  readonly #db: Database;
  readonly #ownsDb: boolean;

  constructor(db: Database, options: { ownsDb?: boolean } = {}) {
    this.#db = db;
    this.#ownsDb = options.ownsDb ?? false;
    migrate(db);
  }

  async claim(uploadId: string): Promise<boolean> {
    return this.#db.prepare('INSERT OR IGNORE INTO media_check_claims (upload_id, claimed_at) VALUES (?, ?)').run(uploadId, Date.now()).changes === 1;
  }

  async put(record: MediaCheckRecord): Promise<void> {
    this.#db
      .prepare('INSERT OR IGNORE INTO media_checks (trace_id, upload_id, openid, answer_id, submitted_at) VALUES (?, ?, ?, ?, ?)')
      .run(record.traceId, record.uploadId, record.openid, record.answerId, record.submittedAt);
  }

  async find(traceId: string): Promise<MediaCheckRecord | undefined> {
    const row = this.#db.prepare('SELECT * FROM media_checks WHERE trace_id = ?').get(traceId) as Row | undefined;
    if (!row) return undefined;
    return {
      traceId: row.trace_id,
      uploadId: row.upload_id,
      openid: row.openid,
      answerId: row.answer_id,
      submittedAt: row.submitted_at,
      ...(row.verdict && { verdict: row.verdict }),
      ...(row.label !== null && { label: row.label }),
    };
  }

  async settle(traceId: string, verdict: MediaVerdict, label: string): Promise<boolean> {
    return this.#db.prepare('UPDATE media_checks SET verdict = ?, label = ? WHERE trace_id = ? AND verdict IS NULL').run(verdict, label, traceId).changes === 1;
  }

  async flag(openid: string, messageIds: string[], label: string): Promise<void> {
    const insert = this.#db.prepare('INSERT OR REPLACE INTO media_check_flags (openid, message_id, label) VALUES (?, ?, ?)');
    this.#db.transaction(() => {
      for (const id of messageIds) insert.run(openid, id, label);
    })();
  }

  async flagsOf(openid: string, messageIds: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    if (messageIds.length === 0) return out;
    const find = this.#db.prepare('SELECT label FROM media_check_flags WHERE openid = ? AND message_id = ?');
    for (const id of messageIds) {
      const row = find.get(openid, id) as { label: string } | undefined;
      if (row) out.set(id, row.label);
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.#ownsDb && this.#db.open) this.#db.close();
  }
}

function migrate(db: Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS media_check_migrations (version INTEGER PRIMARY KEY)');
  const applied = db.prepare('SELECT 1 FROM media_check_migrations WHERE version = ?');
  MIGRATIONS.forEach((sql, i) => {
    // IMMEDIATE, and the version read again inside: workers starting together apply each once
    db.transaction(() => {
      if (applied.get(i + 1)) return;
      db.exec(sql);
      db.prepare('INSERT INTO media_check_migrations (version) VALUES (?)').run(i + 1);
    }).immediate();
  });
}
