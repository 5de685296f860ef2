import { readAnswerDetails } from '../../store/answer-details.js';
import type { StoredMessage } from '../../store/history-store.js';

/**
 * The chat store's Redis keys the admin console reads (redis-history-store.ts,
 * redis-conversation-index.ts, redis-feedback-store.ts): the one file to change with them.
 */
export class RedisAdminKeys {
  constructor(private readonly prefix: string) {}
  /** sorted set: conversation id → updatedAt, every user's */
  get all(): string {
    return `${this.prefix}conv:all`;
  }
  /** hash: conversation id → openid */
  get owner(): string {
    return `${this.prefix}conv:owner`;
  }
  /** sorted set of every rating by updatedAt; members JSON [openid, answerId] */
  get ratings(): string {
    return `${this.prefix}fb:all`;
  }
  /** sorted set: one user's conversation id → updatedAt */
  userConversations(openid: string): string {
    return `${this.user(openid)}:convs`;
  }
  /** hash: conversation id → JSON summary { n, title, createdAt, updatedAt, count } */
  summaries(openid: string): string {
    return `${this.user(openid)}:conv`;
  }
  /** list of JSON messages of a user's conversation number n, oldest first */
  messages(openid: string, n: number): string {
    return `${this.user(openid)}:${n}:msgs`;
  }
  /** hash: answerId → JSON { conversationId, rating, comment?, createdAt, updatedAt } */
  userRatings(openid: string): string {
    return `${this.prefix}fb:{${openid}}`;
  }
  private user(openid: string): string {
    return `${this.prefix}hist:{${openid}}`;
  }
}

/** A conversation summary as `:conv` holds it. */
export interface RedisSummary {
  n: number;
  title: string;
  createdAt: number;
  updatedAt: number;
  count: number;
}

/** A rating as the per-user hash holds it. */
export interface RedisRating {
  conversationId: string;
  rating: 'up' | 'down';
  comment?: string;
  createdAt: number;
  updatedAt: number;
}

/** A message as the list holds it; messages written before the details were typed carry them in `meta`. */
export function parseRedisMessage(json: string): StoredMessage | undefined {
  try {
    const { meta, model, sources, flagged, attachments, ...message } = JSON.parse(json) as StoredMessage & { meta?: unknown };
    if (typeof message.id !== 'string' || typeof message.content !== 'string') return undefined;
    return { ...message, ...readAnswerDetails(meta ?? { model, sources, flagged, attachments }) };
  } catch {
    return undefined;
  }
}
