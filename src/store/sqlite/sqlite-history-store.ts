import { randomUUID } from 'node:crypto';
import type { Database, Statement, Transaction } from 'better-sqlite3';
import { SqliteStore } from './sqlite-store.js';
import { MESSAGE_COLUMNS, toStoredMessage, type MessageRow } from './message-row.js';
import { RecentMessages } from './recent-messages.js';
import { WriteBatch, type CommitObserver } from './write-batch.js';
import { answerDetailsOf } from '../answer-details.js';
import { decodeCursor, encodeCursor, pageLimit } from '../conversation-cursor.js';
import { conversationTitle } from '../conversation-title.js';
import {
  ConversationNotFoundError,
  type ConversationPage,
  type ConversationSummary,
  type HistoryStore,
  type StoredMessage,
} from '../history-store.js';

interface MetaRow {
  id: string;
  title: string;
  created_at: number;
  updated_at: number;
  message_count: number;
}

/**
 * A user's current conversation as this store last read or made it. `started` (it has a message
 * and a title, so an append writes no summary page) is only ever set by a commit's writer.
 */
interface CurrentEntry {
  n: number;
  id: string;
  started?: boolean;
}

/** One queued append: the message row plus what its conversation summary needs. */
interface AppendRow {
  openid: string;
  /** the conversation number, resolved when the append was asked for */
  n: number;
  id: string;
  role: string;
  content: string;
  status: string;
  createdAt: number;
  usage: string | null;
  meta: string | null;
  /** what this message would title its conversation with, if it has no title yet */
  title: string | null;
}

// The user's current conversation number, 0 until the first clear().
const CURRENT_CACHE_MAX = 50_000;
const CURRENT = `COALESCE((SELECT current FROM conversations WHERE openid = @openid), 0)`;
/**
 * A conversation's latest time: the newest `created_at` of its last messages by position, as
 * messages are appended in about the order they are stamped (a question before its answer; at
 * most one answer in flight per session), so a bounded tail holds the maximum without reading
 * every message of a long conversation.
 */
const LATEST_AT = `SELECT CAST(MAX(created_at) AS INTEGER) FROM
  (SELECT created_at FROM messages WHERE openid = @openid AND conversation = @n ORDER BY seq DESC LIMIT 64)`;
/** A conversation's message count, from the (openid, conversation, seq) index alone. */
const COUNT = `SELECT COUNT(*) FROM messages WHERE openid = @openid AND conversation = @n`;

/**
 * HistoryStore on SQLite (schema in `open-sqlite.ts` and `backfill-conversations.ts`).
 *
 * Messages keep their version-1 layout, numbered per user (`messages.conversation`);
 * `conversation_meta` gives each number its opaque id and the summary the list shows, kept in
 * step with the messages in the same transaction — except the user's current conversation,
 * whose count and time are brought up to date when the user leaves it and read live meanwhile
 * (`appendWriter`, `#liveSummary`): a message then writes no summary page. Idempotency is per
 * message id within a conversation: a duplicate is ignored by the UNIQUE constraint, whatever
 * its content.
 *
 * Appends are group-committed (write-batch.ts): one transaction per event-loop turn, each
 * append resolving after its commit. Every other call commits the pending appends first, so
 * it sees the ones asked for before it: a read of one user's rows only when that user has
 * one pending (`#flushFor`), so that the history read of every chat start does not commit
 * the turn's batch early.
 *
 * The store does not own `db`: `close()` only stops this store, the opener closes the file.
 */
export class SqliteHistoryStore extends SqliteStore implements HistoryStore {
  readonly #db: Database;
  readonly #appends: WriteBatch<AppendRow>;
  readonly #current: Statement<[{ openid: string }], number>;
  readonly #numberOf: Statement<[{ openid: string; id: string }], number>;
  readonly #recent: Statement<[{ openid: string; n: number; limit: number }], MessageRow>;
  readonly #metaOf: Statement<[{ openid: string; n: number }], MetaRow>;
  readonly #createMeta: Statement<[{ id: string; openid: string; n: number }]>;
  readonly #dropIfEmpty: Statement<[{ openid: string; n: number }]>;
  readonly #setCurrent: Statement<[{ openid: string; n: number }]>;
  readonly #page: Statement<[{ openid: string; n: number; at: number; id: string; limit: number }], MetaRow>;
  readonly #liveCount: Statement<[{ openid: string; n: number }], number>;
  readonly #liveUpdatedAt: Statement<[{ openid: string; n: number }], number | null>;
  readonly #settle: Statement<[{ openid: string; n: number }]>;
  readonly #deleteMessages: Statement<[{ openid: string; n: number }]>;
  readonly #deleteMeta: Statement<[{ openid: string; n: number }]>;
  readonly #find: Statement<[{ openid: string; id: string }], MessageRow & { conversation_id: string }>;
  readonly #clearTx: Transaction<(openid: string) => void>;
  readonly #currentTx: Transaction<(openid: string) => { n: number; id: string }>;
  /**
   * Each user's current conversation (number and id) once read or created here: the intake
   * path asks for it on every chat. This process owns the file and only this store moves
   * `current` or drops a summary row (clear, open, delete), each of which forgets the user's
   * entry, so a hit is what the tables say. Bounded: the oldest entry goes first. The commit's
   * writer reads it too (`appendWriter`), and a rolled-back batch empties it: `started` may have
   * been learnt from rows that are gone.
   */
  readonly #currentCache = new Map<string, CurrentEntry>();
  /** the last messages of conversations read lately, written through at commit */
  readonly #recentCache = new RecentMessages();

  constructor(db: Database, onCommit?: CommitObserver) {
    super(db, 'SqliteHistoryStore');
    this.#db = db;
    this.#current = db.prepare(`SELECT ${CURRENT}`).pluck() as Statement<[{ openid: string }], number>;
    this.#numberOf = db.prepare('SELECT n FROM conversation_meta WHERE openid = @openid AND id = @id').pluck() as Statement<
      [{ openid: string; id: string }],
      number
    >;
    this.#recent = db.prepare(
      `SELECT id, role, content, status, created_at, usage, meta FROM messages
       WHERE openid = @openid AND conversation = @n ORDER BY seq DESC LIMIT @limit`,
    );
    this.#metaOf = db.prepare(
      'SELECT id, title, created_at, updated_at, message_count FROM conversation_meta WHERE openid = @openid AND n = @n',
    );
    this.#createMeta = db.prepare('INSERT OR IGNORE INTO conversation_meta (id, openid, n) VALUES (@id, @openid, @n)');
    // An empty conversation the user leaves (clear, open another) would never be listed nor
    // reached again: its row goes, so rows stay one per real conversation.
    this.#dropIfEmpty = db.prepare('DELETE FROM conversation_meta WHERE openid = @openid AND n = @n AND message_count = 0');
    this.#setCurrent = db.prepare(
      `INSERT INTO conversations (openid, current) VALUES (@openid, @n)
       ON CONFLICT (openid) DO UPDATE SET current = excluded.current`,
    );
    // The current conversation is left out: its stored count and time lag, and so does its entry
    // in conversation_meta_by_user; the list reads them live (`#liveSummary`).
    this.#page = db.prepare(
      `SELECT id, title, created_at, updated_at, message_count FROM conversation_meta
       WHERE openid = @openid AND n != @n AND message_count > 0 AND (updated_at, id) < (@at, @id)
       ORDER BY updated_at DESC, id DESC LIMIT @limit`,
    );
    this.#liveCount = db.prepare(COUNT).pluck() as Statement<[{ openid: string; n: number }], number>;
    this.#liveUpdatedAt = db.prepare(LATEST_AT).pluck() as Statement<[{ openid: string; n: number }], number | null>;
    this.#settle = db.prepare(
      `UPDATE conversation_meta SET
         message_count = (${COUNT}),
         updated_at    = MAX(updated_at, COALESCE((${LATEST_AT}), 0))
       WHERE openid = @openid AND n = @n AND message_count > 0`,
    );
    this.#deleteMessages = db.prepare('DELETE FROM messages WHERE openid = @openid AND conversation = @n');
    this.#deleteMeta = db.prepare('DELETE FROM conversation_meta WHERE openid = @openid AND n = @n');
    // One lookup in the (id, openid, conversation) key, then the conversation's row by (openid, n)
    this.#find = db.prepare(
      `SELECT ${MESSAGE_COLUMNS}, c.id AS conversation_id
       FROM messages m CROSS JOIN conversation_meta c ON c.openid = m.openid AND c.n = m.conversation
       WHERE m.id = @id AND m.openid = @openid ORDER BY m.seq DESC LIMIT 1`,
    );
    // The next number is past every number in use, so a conversation continued by
    // openConversation is never shared with a new one.
    const next = db
      .prepare(`SELECT 1 + MAX(${CURRENT}, COALESCE((SELECT MAX(n) FROM conversation_meta WHERE openid = @openid), 0))`)
      .pluck() as Statement<[{ openid: string }], number>;
    this.#clearTx = db.transaction((openid: string) => {
      this.#leave(openid, this.#current.get({ openid })!);
      this.#setCurrent.run({ openid, n: next.get({ openid })! });
    });
    this.#currentTx = db.transaction((openid: string) => {
      const n = this.#current.get({ openid })!;
      this.#createMeta.run({ id: randomUUID(), openid, n });
      return { n, id: this.#metaOf.get({ openid, n })!.id };
    });
    this.#appends = new WriteBatch(db, appendWriter(db, this.#currentCache, (openid, n, row) => this.#recentCache.appended(openid, n, row)), {
      rolledBack: () => {
        this.#recentCache.reset();
        this.#currentCache.clear();
      },
      keyOf: (row) => row.openid,
      committed: onCommit && ((rows, seconds) => onCommit('history', rows, seconds)),
    });
  }

  async append(openid: string, message: StoredMessage, conversationId?: string): Promise<string> {
    this.assertOpen();
    // the current conversation's id is cached (no read on the intake path), and its number with it
    const id = conversationId ?? this.#currentId(openid);
    // Checked now, not in the batch: a delete commits the pending appends before it runs,
    // so an append accepted here cannot land in a conversation deleted after it was asked for.
    const n = this.#numberFor(openid, id);
    if (n === undefined) throw new ConversationNotFoundError(id);
    const details = answerDetailsOf(message);
    await this.#appends.add({
      openid,
      n,
      id: message.id,
      role: message.role,
      content: message.content,
      status: message.status,
      createdAt: message.createdAt,
      usage: message.usage === undefined ? null : JSON.stringify(message.usage),
      meta: details === undefined ? null : JSON.stringify(details),
      title: conversationTitle(message) ?? null,
    });
    return id;
  }

  async openCurrent(openid: string, limit: number): Promise<{ conversationId: string; recent: StoredMessage[] }> {
    this.assertOpen();
    const conversationId = this.#currentId(openid);
    return { conversationId, recent: await this.listRecent(openid, limit, conversationId) };
  }

  async listRecent(openid: string, limit: number, conversationId?: string): Promise<StoredMessage[]> {
    this.assertOpen();
    const count = Math.floor(limit);
    if (!(count > 0)) return [];
    this.#flushFor(openid);
    const n = conversationId === undefined ? this.#current.get({ openid })! : this.#numberFor(openid, conversationId);
    if (n === undefined) return [];
    const cached = this.#recentCache.get(openid, n, count);
    if (cached) return cached;
    const asked = this.#recentCache.readLimit(count);
    const messages = this.#recent.all({ openid, n, limit: asked }).reverse().map((row) => toStoredMessage(row));
    this.#recentCache.fill(openid, n, messages, asked);
    return messages.length > count ? messages.slice(-count) : messages;
  }

  async clear(openid: string): Promise<void> {
    this.assertOpen();
    this.#appends.flush();
    this.#currentCache.delete(openid);
    this.#clearTx.immediate(openid);
  }

  async currentConversation(openid: string): Promise<string> {
    this.assertOpen();
    return this.#currentId(openid);
  }

  /** The current conversation's id, created when none; synchronous, so appends keep their call order. */
  #currentId(openid: string): string {
    const cached = this.#currentCache.get(openid);
    if (cached !== undefined) return cached.id;
    this.#flushFor(openid);
    const current: CurrentEntry = this.#currentTx.immediate(openid);
    if (this.#currentCache.size >= CURRENT_CACHE_MAX) this.#currentCache.delete(this.#currentCache.keys().next().value!);
    this.#currentCache.set(openid, current);
    return current.id;
  }

  async openConversation(openid: string, conversationId: string): Promise<boolean> {
    this.assertOpen();
    return this.#changeConversation(openid, conversationId, (n) => {
      const current = this.#current.get({ openid })!;
      if (current !== n) this.#leave(openid, current);
      this.#setCurrent.run({ openid, n });
    });
  }

  async listConversations(openid: string, page: { limit: number; before?: string }): Promise<ConversationPage> {
    this.assertOpen();
    this.#flushFor(openid);
    const limit = pageLimit(page.limit);
    const cursor = page.before === undefined ? { updatedAt: Number.MAX_SAFE_INTEGER, id: '' } : decodeCursor(page.before);
    if (cursor === undefined) return { items: [] };
    // the first page: every id sorts after '' at MAX_SAFE_INTEGER, so "updated_at < @at" admits all
    const at = cursor.updatedAt;
    const n = this.#current.get({ openid })!;
    const rows = this.#page.all({ openid, n, at, id: cursor.id, limit: limit + 1 });
    // the current conversation, with its live count and time, where it sorts (if on this page)
    const live = this.#liveSummary(openid, n);
    if (live && (live.updated_at < at || (live.updated_at === at && live.id < cursor.id))) {
      const before = rows.findIndex((row) => row.updated_at < live.updated_at || (row.updated_at === live.updated_at && row.id < live.id));
      rows.splice(before < 0 ? rows.length : before, 0, live);
    }
    const items = rows.slice(0, limit).map(toSummary);
    const last = items.at(-1);
    return rows.length > limit && last ? { items, nextCursor: encodeCursor(last) } : { items };
  }

  async deleteConversation(openid: string, conversationId: string): Promise<boolean> {
    this.assertOpen();
    return this.#changeConversation(openid, conversationId, (n) => {
      // If it was current, the number stays current without a row: the next use gives it a new id.
      this.#deleteMessages.run({ openid, n });
      this.#deleteMeta.run({ openid, n });
      this.#recentCache.forget(openid, n);
    });
  }

  async findMessage(openid: string, messageId: string): Promise<{ message: StoredMessage; conversationId: string } | undefined> {
    this.assertOpen();
    this.#flushFor(openid);
    const row = this.#find.get({ openid, id: messageId });
    return row === undefined ? undefined : { message: toStoredMessage(row), conversationId: row.conversation_id };
  }

  /**
   * The current conversation's summary as the list shows it: its stored row with the count and
   * latest time read from its messages (appends leave them to this, see `appendWriter`);
   * undefined while it has no row or no message.
   */
  #liveSummary(openid: string, n: number): MetaRow | undefined {
    const row = this.#metaOf.get({ openid, n });
    if (row === undefined || row.message_count === 0) return undefined;
    const latest = this.#liveUpdatedAt.get({ openid, n }) ?? 0;
    return { ...row, message_count: this.#liveCount.get({ openid, n })!, updated_at: Math.max(row.updated_at, latest) };
  }

  /** The user leaves conversation `n` (no longer current): its summary is brought up to date, or an empty one goes. */
  #leave(openid: string, n: number): void {
    this.#settle.run({ openid, n });
    this.#dropIfEmpty.run({ openid, n });
  }

  /** Commits the pending appends if one of them is this user's: what a read of their rows must see. */
  #flushFor(openid: string): void {
    if (this.#appends.holds(openid)) this.#appends.flush();
  }

  /** The number of the user's conversation `conversationId`; the current one's is known without a read. */
  #numberFor(openid: string, conversationId: string): number | undefined {
    const current = this.#currentCache.get(openid);
    return current !== undefined && current.id === conversationId ? current.n : this.#numberOf.get({ openid, id: conversationId });
  }

  /**
   * Runs `change` on one of the user's conversations (by number) in a write transaction, after
   * the pending appends; false when the user has no conversation `conversationId`. The user's
   * current conversation may move, so its cached entry goes.
   */
  #changeConversation(openid: string, conversationId: string, change: (n: number) => void): boolean {
    this.#appends.flush();
    this.#currentCache.delete(openid);
    return this.#db.transaction(() => {
      const n = this.#numberOf.get({ openid, id: conversationId });
      if (n === undefined) return false;
      change(n);
      return true;
    }).immediate();
  }

  /** Commits the appends still pending, then stops this store. */
  override async close(): Promise<void> {
    this.#appends.flush();
    this.#currentCache.clear();
    this.#recentCache.reset();
    await super.close();
  }
}

/**
 * Writes one queued append inside the batch's transaction: the message, then its
 * conversation's summary (created with a fresh id on the conversation's first message), then
 * tells `written` the message as a read would return it. The batch retries a row in a
 * transaction of its own after a failure, so a row is all or nothing.
 *
 * `known` is the store's current-conversation cache: with an entry, the user's current number
 * is not read again, and once that conversation is seen started an append is one statement (the
 * insert) instead of three — a quarter of each intake's SQLite time (docs/performance.md).
 */
function appendWriter(
  db: Database,
  known: Map<string, CurrentEntry>,
  written: (openid: string, n: number, message: StoredMessage) => void,
): (row: AppendRow) => void {
  const current = db.prepare(`SELECT ${CURRENT}`).pluck();
  const insert = db.prepare(
    `INSERT OR IGNORE INTO messages (openid, conversation, id, role, content, status, created_at, usage, meta)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const bump = db.prepare(
    `UPDATE conversation_meta SET
       created_at    = CASE WHEN message_count = 0 THEN @at ELSE created_at END,
       updated_at    = CASE WHEN message_count = 0 THEN @at ELSE MAX(updated_at, @at) END,
       title         = CASE WHEN title = '' AND @title IS NOT NULL THEN @title ELSE title END,
       message_count = message_count + 1
     WHERE openid = @openid AND n = @n`,
  );
  const create = db.prepare(
    `INSERT INTO conversation_meta (id, openid, n, title, created_at, updated_at, message_count)
     VALUES (@cid, @openid, @n, COALESCE(@title, ''), @at, @at, 1)`,
  );
  const started = db.prepare(`SELECT message_count > 0 AND title != '' FROM conversation_meta WHERE openid = ? AND n = ?`).pluck();
  return (row: AppendRow) => {
    const { openid, n } = row;
    const entry = known.get(openid);
    const currentN = entry === undefined ? (current.get({ openid }) as number) : entry.n;
    // positional: no per-row parameter object
    if (insert.run(openid, n, row.id, row.role, row.content, row.status, row.createdAt, row.usage, row.meta).changes === 0) return; // a duplicate: nothing changes
    // The user's current conversation, once it has a message and a title, keeps its stored count
    // and time until the user leaves it (`#leave`) and is listed with live ones (`#liveSummary`):
    // a message then writes no summary page, one page in ~2.4 once users stop sharing pages.
    if (n === currentN && (entry?.started || started.get(openid, n) === 1)) {
      if (entry !== undefined) entry.started = true;
      return void written(openid, n, storedMessageOf(row));
    }
    const summary = { openid, n, at: Math.floor(row.createdAt), title: row.title };
    if (bump.run(summary).changes === 0) create.run({ ...summary, cid: randomUUID() });
    // last, so a row that fails part-way never reaches the recent-messages cache
    written(openid, n, storedMessageOf(row));
  };
}

/** An appended row as a read would return it. */
function storedMessageOf(row: AppendRow): StoredMessage {
  const { id, role, content, status, createdAt: created_at, usage, meta } = row;
  return toStoredMessage({ id, role: role as StoredMessage['role'], content, status: status as StoredMessage['status'], created_at, usage, meta });
}

function toSummary(row: MetaRow): ConversationSummary {
  return { id: row.id, title: row.title, createdAt: row.created_at, updatedAt: row.updated_at, messageCount: row.message_count };
}
