import type { Database, Statement } from 'better-sqlite3';
import { BadCursorError, ratedAnswer, type AdminRating, type FeedbackPage, type FeedbackQuery, type RatedAnswer } from '../admin-store.js';
import type { FeedbackRow as StoredFeedbackRow } from '../../store/sqlite/sqlite-feedback-store.js';
import { MESSAGE_COLUMNS, toStoredMessage, type MessageRow } from '../../store/sqlite/message-row.js';
import { WHERE_CONVERSATION } from './message-source.js';

type FeedbackRow = Omit<StoredFeedbackRow, 'created_at'>;

/**
 * Users' ratings as the operator reads them, from the chat store's `feedback` table
 * (backfill-conversations.ts), with the rated answer and its question from `messages`.
 */
export class SqliteFeedbackReader {
  readonly #ofConversation: Statement<[string], FeedbackRow>;
  readonly #ofAnswers: Statement<[string], FeedbackRow>;
  readonly #answer: Statement<[{ conversationId: string; answerId: string }], MessageRow & { seq: number }>;
  readonly #question: Statement<[{ conversationId: string; seq: number }], { content: string }>;

  constructor(private readonly db: Database) {
    this.#ofConversation = db.prepare(`SELECT * FROM feedback WHERE conversation_id = ?`);
    // (openid, answer_id) pairs as one JSON array: the primary key finds each
    this.#ofAnswers = db.prepare(
      `SELECT * FROM feedback WHERE (openid, answer_id) IN
         (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?))`,
    );
    this.#answer = db.prepare(
      `SELECT m.seq, ${MESSAGE_COLUMNS} FROM messages m WHERE ${WHERE_CONVERSATION} AND m.id = @answerId AND m.role = 'assistant'`,
    );
    // The question an answer replied to: the latest question before it in its conversation.
    this.#question = db.prepare(
      `SELECT m.content FROM messages m WHERE ${WHERE_CONVERSATION} AND m.seq < @seq AND m.role = 'user' ORDER BY m.seq DESC LIMIT 1`,
    );
  }

  /** Ratings of a conversation's answers, by answer id. */
  ratingsOf(conversationId: string): Map<string, AdminRating> {
    return new Map(this.#ofConversation.all(conversationId).map((row) => [row.answer_id, toRating(row)]));
  }

  /** Ratings of these answers (`[openid, answerId]` pairs), keyed `${conversationId}\0${answerId}`. */
  ratingsOfAnswers(answers: ReadonlyArray<readonly [string, string]>): Map<string, AdminRating> {
    if (answers.length === 0) return new Map();
    const rows = this.#ofAnswers.all(JSON.stringify(answers));
    return new Map(rows.map((row) => [`${row.conversation_id}\u0000${row.answer_id}`, toRating(row)]));
  }

  /** Rated answers, latest rating first; a rating whose answer is gone is skipped. */
  list(query: FeedbackQuery): FeedbackPage {
    const where: string[] = [];
    const params: Record<string, unknown> = { limit: query.limit + 1 };
    if (query.cursor !== undefined) {
      const [at, openid, answerId] = parseCursor(query.cursor);
      where.push('(updated_at, openid, answer_id) < (@at, @openid, @answerId)');
      Object.assign(params, { at, openid, answerId });
    }
    if (query.rating !== undefined) {
      where.push('rating = @rating');
      params.rating = query.rating;
    }
    if (query.from !== undefined) {
      where.push('updated_at >= @from');
      params.from = query.from;
    }
    if (query.to !== undefined) {
      where.push('updated_at <= @to');
      params.to = query.to;
    }
    const rows = this.db
      .prepare<[Record<string, unknown>], FeedbackRow>(
        `SELECT * FROM feedback ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY updated_at DESC, openid DESC, answer_id DESC LIMIT @limit`,
      )
      .all(params);
    const more = rows.length > query.limit;
    const page = more ? rows.slice(0, query.limit) : rows;
    const items = page.flatMap((row) => this.#rated(row));
    const last = page[page.length - 1];
    return more && last ? { items, nextCursor: cursorOf(last) } : { items };
  }

  #rated(row: FeedbackRow): RatedAnswer[] {
    const conversationId = row.conversation_id;
    const answerRow = this.#answer.get({ conversationId, answerId: row.answer_id });
    if (!answerRow) return [];
    const answer = toStoredMessage(answerRow, { malformed: 'drop' });
    const question = this.#question.get({ conversationId, seq: answerRow.seq })?.content ?? '';
    const rating = { openid: row.openid, conversationId, answerId: row.answer_id, rating: row.rating, comment: row.comment ?? undefined, ratedAt: row.updated_at };
    return [ratedAnswer(rating, answer, question)];
  }
}

function toRating(row: FeedbackRow): AdminRating {
  return row.comment === null ? { rating: row.rating, ratedAt: row.updated_at } : { rating: row.rating, comment: row.comment, ratedAt: row.updated_at };
}

/** Opaque to clients: the last row's sort key, base64url JSON. */
function cursorOf(row: FeedbackRow): string {
  return Buffer.from(JSON.stringify([row.updated_at, row.openid, row.answer_id])).toString('base64url');
}

function parseCursor(cursor: string): [number, string, string] {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(value) && value.length === 3 && Number.isSafeInteger(value[0]) && typeof value[1] === 'string' && typeof value[2] === 'string') {
      return value as [number, string, string];
    }
  } catch {
    // fall through
  }
  throw new BadCursorError();
}
