/**
 * Users' ratings of answers: one rating per answer per user, changeable (the latest wins).
 * The port every driver (SQLite, Redis) implements and `feedback-store.contract.ts` verifies.
 * Whether the answer exists and is the user's is the caller's check (HistoryStore.findMessage):
 * the store records what it is given.
 */

export type Rating = 'up' | 'down';

export interface Feedback {
  openid: string;
  conversationId: string;
  answerId: string;
  rating: Rating;
  /** at most 500 characters; absent when none was given (a later rating without one clears it) */
  comment?: string;
  /** epoch milliseconds of the first rating and of the latest change */
  createdAt: number;
  updatedAt: number;
}

export interface FeedbackStore {
  /** Records or replaces the user's rating of an answer. */
  rate(feedback: Omit<Feedback, 'createdAt' | 'updatedAt'>, now?: number): Promise<Feedback>;
  /** The user's ratings of these answers (ids without one are absent from the map). */
  ratingsOf(openid: string, answerIds: readonly string[]): Promise<Map<string, Feedback>>;
  /** Forgets every rating of a deleted conversation. */
  deleteConversation(openid: string, conversationId: string): Promise<void>;
  close(): Promise<void>;
}
