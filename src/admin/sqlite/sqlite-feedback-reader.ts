import type { Database } from 'better-sqlite3';
import type { AdminRating, FeedbackPage, FeedbackQuery } from '../admin-store.js';
import { FEEDBACK_TABLE } from './message-source.js';

/**
 * Users' ratings as the operator reads them, from the chat store's feedback table. Until the
 * chat store has one, there are no ratings.
 */
export class SqliteFeedbackReader {
  constructor(private readonly db: Database) {}

  /** Ratings of a conversation's answers, by answer id. */
  ratingsOf(_conversationId: string): Map<string, AdminRating> {
    if (FEEDBACK_TABLE === undefined) return new Map();
    return new Map();
  }

  /** Ratings of these answers, keyed `${conversationId}\0${answerId}`. */
  ratingsOfAnswers(_answerIds: readonly string[]): Map<string, AdminRating> {
    if (FEEDBACK_TABLE === undefined) return new Map();
    return new Map();
  }

  list(_query: FeedbackQuery): FeedbackPage {
    void this.db;
    return { items: [] };
  }
}
