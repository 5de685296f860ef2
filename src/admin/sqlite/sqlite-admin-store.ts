import type { Database } from 'better-sqlite3';
import type { Tokenizer } from '../../knowledge-base/index/tokenizer.js';
import {
  BadCursorError,
  type AdminConversation,
  type AdminConversationDetail,
  type AdminConversationPage,
  type AdminStore,
  type ConversationQuery,
  type ExportedMessage,
  type FeedbackPage,
  type FeedbackQuery,
  type TimeRange,
  type UsageReport,
} from '../admin-store.js';
import { matchExpression, snippetOf } from '../search-terms.js';
import { AdminIndexer, titleOf, type AdminIndexerOptions } from './admin-indexer.js';
import { startIndexThread, type IndexThread } from './admin-index-thread.js';
import { commitGate } from '../../store/sqlite/commit-gate.js';
import { migrateAdminSchema } from './admin-schema.js';
import { SqliteFeedbackReader } from './sqlite-feedback-reader.js';
import { MESSAGE_COLUMNS, toStoredMessage, type MessageRow } from '../../store/sqlite/message-row.js';
import { conversationIdOf, WHERE_CONVERSATION } from './message-source.js';
import { sqliteUsage } from './sqlite-usage.js';

interface ConversationRow {
  doc: number;
  id: string;
  openid: string;
  title: string;
  created_at: number;
  updated_at: number;
  message_count: number;
}

/** Messages read per export page: small enough that a slow download holds little. */
const EXPORT_PAGE = 500;
/**
 * Before a query, index at most this many batches: enough for what was chatted since the last
 * tick; a large backfill is left to the background tail (the page then says `indexing`).
 */
const CATCH_UP_BATCHES = 2;

/**
 * AdminStore on the gateway's SQLite file, read through its own connection (WAL: it never waits
 * for the chat's writes, nor they for its reads, except the indexer's short batches).
 * Lists and search come from the read model the AdminIndexer keeps; a conversation's messages,
 * ratings and the export are read from the chat store's own tables.
 */
export class SqliteAdminStore implements AdminStore {
  readonly driver = 'sqlite';
  readonly indexer: AdminIndexer;
  readonly #db: Database;
  readonly #tokenizer: Tokenizer;
  readonly #feedback: SqliteFeedbackReader;
  #closed = false;

  readonly #ownsDb: boolean;
  #thread: IndexThread | undefined;

  /**
   * Migrates the admin tables and starts the background indexer unless `background: false`: on
   * a thread of its own (admin-index-thread.ts) for a file, on this one for a memory database or
   * when that thread cannot run. With `ownsDb`, close() closes the connection too (the
   * composition opens one for admin).
   */
  constructor(db: Database, tokenizer: Tokenizer, options: AdminIndexerOptions & { background?: boolean; ownsDb?: boolean } = {}) {
    this.#db = db;
    this.#ownsDb = options.ownsDb ?? false;
    this.#tokenizer = tokenizer;
    migrateAdminSchema(db);
    this.indexer = new AdminIndexer(db, tokenizer, options);
    this.#feedback = new SqliteFeedbackReader(db);
    if (!(options.background ?? true)) return;
    if (db.memory) {
      this.indexer.start();
      return;
    }
    this.#thread = startIndexThread(db.name, commitGate(db), {
      ...(options.intervalMs !== undefined && { intervalMs: options.intervalMs }),
      ...(options.onError && { onError: options.onError }),
      onLost: (error) => {
        options.onError?.(new Error(`the index thread is gone, indexing on the event loop instead: ${String(error)}`));
        this.#thread = undefined;
        if (!this.#closed) this.indexer.start();
      },
    });
  }

  async listConversations(query: ConversationQuery): Promise<AdminConversationPage> {
    this.#assertOpen();
    // both asked of the index thread at once: it answers them in order, the catch-up first
    const [caughtUp, terms] = await Promise.all([this.#catchUp(), query.q === undefined ? [] : this.#terms(query.q)]);
    const where: string[] = [];
    const params: Record<string, unknown> = { limit: query.limit + 1 };
    if (query.cursor !== undefined) {
      where.push('c.doc < @cursor');
      params.cursor = parseCursor(query.cursor);
    }
    if (query.openid !== undefined) {
      where.push('c.openid = @openid');
      params.openid = query.openid;
    }
    if (query.from !== undefined) {
      where.push('c.updated_at >= @from');
      params.from = query.from;
    }
    if (query.to !== undefined) {
      where.push('c.updated_at <= @to');
      params.to = query.to;
    }
    let sql: string;
    if (query.q !== undefined) {
      const match = matchExpression(terms);
      if (match === undefined) return caughtUp ? { items: [] } : { items: [], indexing: true };
      params.match = match;
      if (query.openid !== undefined) {
        // One user has few conversations: walk them and test each against the index (a rowid
        // lookup), rather than every match of a common word, newest first, until one is theirs.
        sql = `SELECT c.* FROM admin_conversations c WHERE ${where.join(' AND ')}
               AND EXISTS (SELECT 1 FROM admin_fts WHERE admin_fts MATCH @match AND admin_fts.rowid = c.doc)
               ORDER BY c.doc DESC LIMIT @limit`;
      } else {
        // The FTS rowid is the list's order: FTS5 walks its doclists newest first and stops at the limit.
        sql = `SELECT c.* FROM admin_fts JOIN admin_conversations c ON c.doc = admin_fts.rowid
               WHERE admin_fts MATCH @match ${where.map((w) => `AND ${w.replace('c.doc', 'admin_fts.rowid')}`).join(' ')}
               ORDER BY admin_fts.rowid DESC LIMIT @limit`;
      }
    } else {
      sql = `SELECT c.* FROM admin_conversations c ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
             ORDER BY c.doc DESC LIMIT @limit`;
    }
    const rows = this.#db.prepare<[Record<string, unknown>], ConversationRow>(sql).all(params);
    const more = rows.length > query.limit;
    const page = more ? rows.slice(0, query.limit) : rows;
    const items = page.map(toConversation);
    if (query.q !== undefined) for (const item of items) this.#addSnippet(item, query.q, terms);
    const result: AdminConversationPage = more ? { items, nextCursor: String(page[page.length - 1]!.doc) } : { items };
    if (!caughtUp) result.indexing = true;
    return result;
  }

  async getConversation(conversationId: string): Promise<AdminConversationDetail | undefined> {
    this.#assertOpen();
    const rows = this.#db
      .prepare<[{ conversationId: string }], MessageRow & { openid: string }>(
        `SELECT ${MESSAGE_COLUMNS}, m.openid FROM messages m WHERE ${WHERE_CONVERSATION} ORDER BY m.seq`,
      )
      .all({ conversationId });
    if (rows.length === 0) return undefined;
    const openid = rows[0]!.openid;
    const ratings = this.#feedback.ratingsOf(conversationId);
    const messages = rows.map((row) => {
      const message = toStoredMessage(row, { malformed: 'drop' });
      const rating = ratings.get(message.id);
      return rating ? { ...message, rating } : message;
    });
    return {
      conversationId,
      openid,
      title: titleOf(messages),
      createdAt: messages[0]!.createdAt,
      updatedAt: messages[messages.length - 1]!.createdAt,
      messages,
    };
  }

  async usage(range: Required<TimeRange>, topUsers: number): Promise<UsageReport> {
    this.#assertOpen();
    const caughtUp = await this.#catchUp();
    const report = sqliteUsage(this.#db, range, topUsers);
    return caughtUp ? report : { ...report, indexing: true };
  }

  async listFeedback(query: FeedbackQuery): Promise<FeedbackPage> {
    this.#assertOpen();
    return this.#feedback.list(query);
  }

  async *exportMessages(range: TimeRange): AsyncIterable<ExportedMessage> {
    this.#assertOpen();
    // Keyset pages by seq, not one open iterator: the connection stays free for other admin
    // requests between pages, and a slow client holds one page at most.
    const page = this.#db.prepare<[Record<string, unknown>], MessageRow & { seq: number; openid: string; cid: string }>(
      `SELECT m.seq, m.openid, ${conversationIdOf('m')} AS cid, ${MESSAGE_COLUMNS} FROM messages m
       WHERE m.seq > @after AND m.created_at >= @from AND m.created_at <= @to ORDER BY m.seq LIMIT @limit`,
    );
    let after = 0;
    for (;;) {
      if (this.#closed) return;
      const rows = page.all({ after, from: range.from ?? 0, to: range.to ?? Number.MAX_SAFE_INTEGER, limit: EXPORT_PAGE });
      if (rows.length === 0) return;
      const ratings = this.#feedback.ratingsOfAnswers(rows.filter((r) => r.role === 'assistant').map((r) => [r.openid, r.id] as const));
      for (const row of rows) {
        const message: ExportedMessage = { openid: row.openid, conversationId: row.cid, ...toStoredMessage(row, { malformed: 'drop' }) };
        const rating = ratings.get(`${row.cid}\u0000${row.id}`);
        yield rating ? { ...message, rating } : message;
      }
      after = rows[rows.length - 1]!.seq;
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.indexer.stop();
    await this.#thread?.stop();
    if (this.#ownsDb) this.#db.close();
  }

  /** The first message (oldest first) that holds the query or one of its terms. */
  #addSnippet(item: AdminConversation, q: string, terms: readonly string[]): void {
    const needles = [q.normalize('NFKC').toLowerCase().trim(), ...terms].filter(Boolean);
    const contents = this.#db
      .prepare<[{ conversationId: string }], { content: string }>(`SELECT m.content FROM messages m WHERE ${WHERE_CONVERSATION} ORDER BY m.seq`)
      .all({ conversationId: item.conversationId });
    for (const { content } of contents) {
      const snippet = snippetOf(content, needles);
      if (snippet) {
        item.snippet = snippet;
        return;
      }
    }
  }

  /** What was just chatted, indexed before a query reads: on the index thread when there is one, so that this event loop never cuts text. */
  async #catchUp(): Promise<boolean> {
    return (await this.#thread?.catchUp(CATCH_UP_BATCHES)) ?? this.indexer.catchUp(CATCH_UP_BATCHES);
  }

  /** A query's terms: cut on the index thread when there is one (its jieba is loaded), else here. */
  async #terms(q: string): Promise<readonly string[]> {
    return (await this.#thread?.terms(q)) ?? this.#tokenizer.terms(q);
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('SqliteAdminStore is closed');
  }
}

function toConversation(row: ConversationRow): AdminConversation {
  return {
    conversationId: row.id,
    openid: row.openid,
    title: row.title,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    messageCount: row.message_count,
  };
}

function parseCursor(cursor: string): number {
  if (!/^\d{1,15}$/.test(cursor)) throw new BadCursorError();
  return Number(cursor);
}
