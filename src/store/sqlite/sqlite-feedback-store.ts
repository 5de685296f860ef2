import type { Database, Statement } from 'better-sqlite3';
import { SqliteStore } from './sqlite-store.js';
import type { Feedback, FeedbackStore, Rating } from '../feedback-store.js';

/** A `feedback` row (the admin's feedback reader selects the same columns). */
export interface FeedbackRow {
  openid: string;
  answer_id: string;
  conversation_id: string;
  rating: Rating;
  comment: string | null;
  created_at: number;
  updated_at: number;
}

/**
 * FeedbackStore on SQLite: the `feedback` table (schema in `backfill-conversations.ts`).
 * Ratings are rare next to messages, so each is its own statement, no group commit.
 * The store does not own `db`: `close()` only stops this store.
 */
export class SqliteFeedbackStore extends SqliteStore implements FeedbackStore {
  readonly #upsert: Statement<[FeedbackRow], FeedbackRow>;
  readonly #of: Statement<[string, string], FeedbackRow>;
  readonly #deleteConversation: Statement<[string, string]>;

  constructor(db: Database) {
    super(db, 'SqliteFeedbackStore');
    // The first rating's created_at survives a change; everything else is the latest.
    this.#upsert = db.prepare(
      `INSERT INTO feedback (openid, answer_id, conversation_id, rating, comment, created_at, updated_at)
       VALUES (@openid, @answer_id, @conversation_id, @rating, @comment, @created_at, @updated_at)
       ON CONFLICT (openid, answer_id) DO UPDATE SET
         conversation_id = excluded.conversation_id, rating = excluded.rating,
         comment = excluded.comment, updated_at = excluded.updated_at
       RETURNING *`,
    );
    // The ids arrive as one JSON array: any number of them, one statement.
    this.#of = db.prepare(
      `SELECT * FROM feedback WHERE openid = ? AND answer_id IN (SELECT value FROM json_each(?))`,
    );
    this.#deleteConversation = db.prepare('DELETE FROM feedback WHERE openid = ? AND conversation_id = ?');
  }

  async rate(feedback: Omit<Feedback, 'createdAt' | 'updatedAt'>, now = Date.now()): Promise<Feedback> {
    this.assertOpen();
    const row = this.#upsert.get({
      openid: feedback.openid,
      answer_id: feedback.answerId,
      conversation_id: feedback.conversationId,
      rating: feedback.rating,
      comment: feedback.comment ?? null,
      created_at: now,
      updated_at: now,
    })!;
    return toFeedback(row);
  }

  async ratingsOf(openid: string, answerIds: readonly string[]): Promise<Map<string, Feedback>> {
    this.assertOpen();
    if (answerIds.length === 0) return new Map();
    const rows = this.#of.all(openid, JSON.stringify(answerIds));
    return new Map(rows.map((row) => [row.answer_id, toFeedback(row)]));
  }

  async deleteConversation(openid: string, conversationId: string): Promise<void> {
    this.assertOpen();
    this.#deleteConversation.run(openid, conversationId);
  }
}

function toFeedback(row: FeedbackRow): Feedback {
  const feedback: Feedback = {
    openid: row.openid,
    conversationId: row.conversation_id,
    answerId: row.answer_id,
    rating: row.rating,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
  if (row.comment !== null) feedback.comment = row.comment;
  return feedback;
}
