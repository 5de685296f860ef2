import type { Database, Statement } from 'better-sqlite3';
import { SqliteStore } from './sqlite-store.js';
import { WriteBatch } from './write-batch.js';
import { answerDetailsOf, readAnswerDetails } from '../answer-details.js';
import type { HistoryStore, MessageStatus, StoredMessage } from '../history-store.js';

interface MessageRow {
  id: string;
  role: StoredMessage['role'];
  content: string;
  status: MessageStatus;
  created_at: number;
  usage: string | null;
  /** JSON of the message details (`model`, `sources`, `flagged`); older rows hold the same shape */
  meta: string | null;
}

// The user's current conversation number, 0 until the first clear().
const CURRENT = `COALESCE((SELECT current FROM conversations WHERE openid = @openid), 0)`;

/**
 * HistoryStore on SQLite (schema in `open-sqlite.ts`).
 *
 * Idempotency is per message id within the current conversation: a duplicate is ignored by
 * the UNIQUE constraint, whatever its content. Cleared conversations stay in the table (audit)
 * but are never listed.
 *
 * Appends are group-committed (write-batch.ts): one transaction per event-loop turn, each
 * append resolving after its commit. Reads and clears commit the pending appends first, so
 * every operation still sees the ones asked for before it.
 *
 * The store does not own `db`: `close()` only stops this store, the opener closes the file.
 */
export class SqliteHistoryStore extends SqliteStore implements HistoryStore {
  readonly #insert: Statement<[Record<string, unknown>]>;
  readonly #recent: Statement<[{ openid: string; limit: number }], MessageRow>;
  readonly #clear: Statement<[{ openid: string }]>;
  readonly #appends: WriteBatch<Record<string, unknown>>;

  constructor(db: Database) {
    super(db, 'SqliteHistoryStore');
    // One statement each, so append and list resolve the current conversation atomically.
    this.#insert = db.prepare(
      `INSERT OR IGNORE INTO messages
         (openid, conversation, id, role, content, status, created_at, usage, meta)
       VALUES (@openid, ${CURRENT}, @id, @role, @content, @status, @createdAt, @usage, @meta)`,
    );
    this.#recent = db.prepare(
      `SELECT id, role, content, status, created_at, usage, meta FROM messages
       WHERE openid = @openid AND conversation = ${CURRENT}
       ORDER BY seq DESC LIMIT @limit`,
    );
    this.#clear = db.prepare(
      `INSERT INTO conversations (openid, current) VALUES (@openid, 1)
       ON CONFLICT (openid) DO UPDATE SET current = current + 1`,
    );
    const insert = this.#insert;
    this.#appends = new WriteBatch(db, (row) => insert.run(row));
  }

  async append(openid: string, message: StoredMessage): Promise<void> {
    this.assertOpen();
    const details = answerDetailsOf(message);
    return this.#appends.add({
      openid,
      id: message.id,
      role: message.role,
      content: message.content,
      status: message.status,
      createdAt: message.createdAt,
      usage: message.usage === undefined ? null : JSON.stringify(message.usage),
      meta: details === undefined ? null : JSON.stringify(details),
    });
  }

  async listRecent(openid: string, limit: number): Promise<StoredMessage[]> {
    this.assertOpen();
    const n = Math.floor(limit);
    if (!(n > 0)) return [];
    this.#appends.flush();
    return this.#recent.all({ openid, limit: n }).reverse().map(toMessage);
  }

  /** Commits the appends still pending, then stops this store. */
  override async close(): Promise<void> {
    this.#appends.flush();
    await super.close();
  }

  async clear(openid: string): Promise<void> {
    this.assertOpen();
    this.#appends.flush();
    this.#clear.run({ openid });
  }
}

function toMessage(row: MessageRow): StoredMessage {
  const message: StoredMessage = {
    id: row.id,
    role: row.role,
    content: row.content,
    status: row.status,
    createdAt: row.created_at,
  };
  // Absent stays absent (not `undefined`), so a round trip is deep-equal to what was stored.
  if (row.usage !== null) message.usage = JSON.parse(row.usage) as StoredMessage['usage'];
  return row.meta === null ? message : { ...message, ...readAnswerDetails(JSON.parse(row.meta)) };
}
