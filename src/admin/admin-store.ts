import type { Rating } from '../store/feedback-store.js';
import type { MessageStatus, StoredMessage, StoredSource } from '../store/history-store.js';

/**
 * The operators' read model: what users asked, what the bot answered, what it cost and what
 * users thought of it, across all users. The port the admin API (`/admin/api/*`) reads through;
 * drivers: SQLite (full-text search over a jieba-tokenized FTS5 index) and Redis (listing, no
 * full-text index: see docs/admin.md).
 *
 * Times are epoch milliseconds; a range `{ from, to }` is inclusive at both ends. Conversations
 * are addressed by their opaque id alone (unique across users).
 */

export interface TimeRange {
  /** epoch ms, inclusive; absent = since the beginning */
  from?: number;
  /** epoch ms, inclusive; absent = until now */
  to?: number;
}

export interface ConversationQuery extends TimeRange {
  /** words to find in questions or answers (all of them, in any order) */
  q?: string;
  openid?: string;
  /** 1…100 */
  limit: number;
  /** `nextCursor` of the previous page */
  cursor?: string;
}

/** One conversation in the operators' list. */
export interface AdminConversation {
  conversationId: string;
  openid: string;
  /** the first question that was not blocked, at most 30 characters */
  title: string;
  createdAt: number;
  /** the latest message's time: the list is ordered by it, newest first */
  updatedAt: number;
  messageCount: number;
  /** with `q`: a short excerpt of a message that matches */
  snippet?: string;
}

export interface AdminConversationPage {
  items: AdminConversation[];
  /** absent on the last page */
  nextCursor?: string;
  /** true when the search looked at only part of the data (Redis: the newest conversations) */
  truncated?: boolean;
  /** true while the read model is still catching up (a backfill after an upgrade): the newest messages may be missing */
  indexing?: boolean;
}

/** A user's rating of an answer, as the operator sees it. */
export interface AdminRating {
  rating: Rating;
  comment?: string;
  /** epoch ms of the latest change */
  ratedAt: number;
}

/** A message with everything stored about it, and the user's rating when it is a rated answer. */
export interface AdminMessage extends StoredMessage {
  rating?: AdminRating;
}

export interface AdminConversationDetail {
  conversationId: string;
  openid: string;
  title: string;
  createdAt: number;
  updatedAt: number;
  /** oldest first */
  messages: AdminMessage[];
}

/** What a day, or a user, cost and how it went. */
export interface UsageCounts {
  /** questions asked (blocked ones included) */
  chats: number;
  /** model tokens in (prompt) and out (completion) */
  tokensIn: number;
  tokensOut: number;
  /** questions that got no complete answer: failed answers and questions left unanswered */
  errors: number;
  /** questions content security stopped */
  blocked: number;
}

export interface UsageReport {
  /** Asia/Shanghai calendar days (YYYY-MM-DD) in the range, oldest first; days without activity are listed with zeros */
  days: Array<UsageCounts & { day: string }>;
  /** the users with the most chats in the range, most first */
  users: Array<UsageCounts & { openid: string }>;
  totals: UsageCounts;
  /** true when the store counted only part of the range (Redis: the newest conversations) */
  truncated?: boolean;
  /** as in AdminConversationPage */
  indexing?: boolean;
}

export interface FeedbackQuery extends TimeRange {
  rating?: Rating;
  /** 1…100 */
  limit: number;
  cursor?: string;
}

/** A rated answer with its question and the passages it cited. */
export interface RatedAnswer {
  openid: string;
  conversationId: string;
  answerId: string;
  rating: Rating;
  comment?: string;
  ratedAt: number;
  /** the question the answer replied to ('' when it is gone) */
  question: string;
  answer: string;
  answerStatus: MessageStatus;
  answeredAt: number;
  model?: string;
  /** the knowledge-base passages the answer was grounded on (what to fix when it was wrong) */
  sources: StoredSource[];
}

/** A rating as both drivers read it, before its answer is joined. */
export interface RatingOf {
  openid: string;
  conversationId: string;
  answerId: string;
  rating: Rating;
  comment?: string | undefined;
  ratedAt: number;
}

/** The feedback page's item: the rating, the answer it rates and the question before that answer ('' when gone). */
export function ratedAnswer(rating: RatingOf, answer: StoredMessage, question: string): RatedAnswer {
  const { comment, ...rated } = rating;
  const item: RatedAnswer = {
    ...rated,
    question,
    answer: answer.content,
    answerStatus: answer.status,
    answeredAt: answer.createdAt,
    sources: answer.sources ?? [],
  };
  if (comment !== undefined) item.comment = comment;
  if (answer.model !== undefined) item.model = answer.model;
  return item;
}

export interface FeedbackPage {
  items: RatedAnswer[];
  nextCursor?: string;
}

/** One line of an export: a message and where it belongs. */
export interface ExportedMessage extends AdminMessage {
  openid: string;
  conversationId: string;
}

/** Thrown for a query the driver cannot answer (e.g. full-text search on Redis). */
export class AdminQueryNotSupportedError extends Error {
  constructor(readonly what: string) {
    super(`not supported by this store: ${what}`);
    this.name = 'AdminQueryNotSupportedError';
  }
}

/** Thrown for a cursor that this store did not issue. */
export class BadCursorError extends Error {
  constructor() {
    super('bad cursor');
    this.name = 'BadCursorError';
  }
}

export interface AdminStore {
  readonly driver: 'sqlite' | 'redis';
  /** Conversations, newest activity first, filtered and paged. */
  listConversations(query: ConversationQuery): Promise<AdminConversationPage>;
  /** Every message of a conversation; undefined when it does not exist (or was deleted). */
  getConversation(conversationId: string): Promise<AdminConversationDetail | undefined>;
  /** Per Asia/Shanghai day and per user (the `topUsers` busiest) in the range. */
  usage(range: Required<TimeRange>, topUsers: number): Promise<UsageReport>;
  /** Rated answers, latest rating first. */
  listFeedback(query: FeedbackQuery): Promise<FeedbackPage>;
  /**
   * Every message created in the range, in the order they were stored, read in
   * small pages: the caller pulls at its own pace and the store never holds the whole export.
   */
  exportMessages(range: TimeRange): AsyncIterable<ExportedMessage>;
  close(): Promise<void>;
}
