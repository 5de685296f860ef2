import type { RedisClient } from '../../store/redis/create-redis-client.js';
import type { Tokenizer } from '../../knowledge-base/index/tokenizer.js';
import { decodeCursor, encodeCursor, isBefore, type CursorPosition } from '../../store/conversation-cursor.js';
import type { StoredMessage } from '../../store/history-store.js';
import {
  BadCursorError,
  type AdminConversation,
  type AdminConversationDetail,
  type AdminConversationPage,
  type AdminMessage,
  type AdminRating,
  type AdminStore,
  type ConversationQuery,
  type ExportedMessage,
  type FeedbackPage,
  type FeedbackQuery,
  ratedAnswer,
  type RatedAnswer,
  type TimeRange,
  type UsageReport,
} from '../admin-store.js';
import { snippetOf } from '../search-terms.js';
import { UsageTally } from '../usage-tally.js';
import { parseRedisMessage, RedisAdminKeys, type RedisRating, type RedisSummary } from './redis-admin-keys.js';

export interface RedisAdminLimits {
  /** conversations a `q` search reads at most per request (newest first); default 2,000 */
  searchScan?: number;
  /** conversations a usage report reads at most; default 20,000 */
  usageScan?: number;
}

/** Conversations read per round trip. */
const BATCH = 200;

interface Located extends CursorPosition {
  openid: string;
  summary: RedisSummary;
}

/**
 * AdminStore on the chat store's Redis keys (redis-admin-keys.ts). Redis has no full-text index
 * and no usage table, so what needs one reads conversations newest first up to a bound and says
 * `truncated: true` when it stopped there: `q` reads `searchScan` conversations per page, usage
 * `usageScan`. Listing, by openid, by date range, detail, feedback and export are exact.
 * Conversations and ratings are only as complete as the chat store keeps them: capped at
 * REDIS_HISTORY_MAX_MESSAGES per conversation and expired after REDIS_HISTORY_TTL_DAYS.
 */
export class RedisAdminStore implements AdminStore {
  readonly driver = 'redis';
  readonly #keys: RedisAdminKeys;
  readonly #searchScan: number;
  readonly #usageScan: number;

  constructor(
    private readonly client: RedisClient,
    prefix: string,
    private readonly tokenizer: Tokenizer,
    private readonly onClose: () => Promise<void> = async () => {},
    limits: RedisAdminLimits = {},
  ) {
    this.#keys = new RedisAdminKeys(prefix);
    this.#searchScan = limits.searchScan ?? 2_000;
    this.#usageScan = limits.usageScan ?? 20_000;
  }

  async listConversations(query: ConversationQuery): Promise<AdminConversationPage> {
    const cursor = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    if (query.cursor !== undefined && !cursor) throw new BadCursorError();
    const terms = query.q === undefined ? undefined : [...new Set(this.tokenizer.terms(query.q))];
    if (terms?.length === 0) return { items: [] };
    const items: AdminConversation[] = [];
    let scanned = 0;
    let last: Located | undefined;
    for await (const found of this.#conversations(query, cursor)) {
      if (items.length === query.limit) return { items, nextCursor: encodeCursor(last!) };
      if (terms && scanned === this.#searchScan) return { items, nextCursor: encodeCursor(last!), truncated: true };
      scanned++;
      last = found;
      const item = toConversation(found);
      if (terms) {
        const snippet = await this.#match(found, query.q!, terms);
        if (snippet === undefined) continue;
        item.snippet = snippet;
      }
      items.push(item);
    }
    return terms ? { items, truncated: false } : { items };
  }

  async getConversation(conversationId: string): Promise<AdminConversationDetail | undefined> {
    const found = await this.#locate(conversationId);
    if (!found) return undefined;
    const messages = await this.#messages(found);
    if (messages.length === 0) return undefined;
    const ratings = await this.#ratingsOf(found.openid, conversationId);
    return {
      conversationId,
      openid: found.openid,
      title: found.summary.title,
      createdAt: found.summary.createdAt,
      updatedAt: found.summary.updatedAt,
      messages: messages.map((m): AdminMessage => {
        const rating = ratings.get(m.id);
        return rating ? { ...m, rating } : m;
      }),
    };
  }

  async usage(range: Required<TimeRange>, topUsers: number): Promise<UsageReport> {
    const tally = new UsageTally();
    let scanned = 0;
    // A message created in the range is in a conversation updated at or after its start.
    for await (const found of this.#conversations({ from: range.from }, undefined)) {
      if (scanned++ === this.#usageScan) return { ...tally.report(range, topUsers), truncated: true };
      for (const m of await this.#messages(found)) if (m.createdAt >= range.from && m.createdAt <= range.to) tally.add(found.openid, m);
    }
    return tally.report(range, topUsers);
  }

  async listFeedback(query: FeedbackQuery): Promise<FeedbackPage> {
    const cursor = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    if (query.cursor !== undefined && !cursor) throw new BadCursorError();
    const items: RatedAnswer[] = [];
    let last: CursorPosition | undefined;
    const max = cursor ? Math.min(cursor.updatedAt, query.to ?? Infinity) : (query.to ?? Infinity);
    for await (const [member, ratedAt] of this.#zrevrange(this.#keys.ratings, max, query.from ?? -Infinity)) {
      const position = { updatedAt: ratedAt, id: member };
      if (cursor && !isBefore(position, cursor)) continue;
      if (items.length === query.limit) return { items, nextCursor: encodeCursor(last!) };
      last = position;
      const rated = await this.#rated(member);
      if (rated && (query.rating === undefined || rated.rating === query.rating)) items.push(rated);
    }
    return { items };
  }

  async *exportMessages(range: TimeRange): AsyncIterable<ExportedMessage> {
    for await (const found of this.#conversations({ from: range.from }, undefined)) {
      const messages = (await this.#messages(found)).filter((m) => m.createdAt >= (range.from ?? 0) && m.createdAt <= (range.to ?? Infinity));
      if (messages.length === 0) continue;
      const ratings = await this.#ratingsOf(found.openid, found.id);
      for (const m of messages) {
        const rating = ratings.get(m.id);
        yield { openid: found.openid, conversationId: found.id, ...m, ...(rating && { rating }) };
      }
    }
  }

  async close(): Promise<void> {
    await this.onClose();
  }

  /** Conversations newest first within the filter, strictly after `cursor`; entries whose conversation is gone are skipped. */
  async *#conversations(filter: { openid?: string; from?: number; to?: number }, cursor: CursorPosition | undefined): AsyncGenerator<Located> {
    const key = filter.openid === undefined ? this.#keys.all : this.#keys.userConversations(filter.openid);
    const max = Math.min(cursor?.updatedAt ?? Infinity, filter.to ?? Infinity);
    let batch: Array<[string, number]> = [];
    const flush = async function* (this: RedisAdminStore): AsyncGenerator<Located> {
      const owners = filter.openid === undefined ? await this.client.hmget(this.#keys.owner, ...batch.map(([id]) => id)) : batch.map(() => filter.openid!);
      const summaries = await Promise.all(batch.map(([id], i) => (owners[i] ? this.client.hget(this.#keys.summaries(owners[i]!), id) : null)));
      for (let i = 0; i < batch.length; i++) {
        const json = summaries[i];
        if (!json) continue;
        const summary = JSON.parse(json) as RedisSummary;
        if (summary.count > 0) yield { id: batch[i]![0], updatedAt: batch[i]![1], openid: owners[i]!, summary };
      }
    };
    for await (const entry of this.#zrevrange(key, max, filter.from ?? -Infinity)) {
      if (cursor && !isBefore({ updatedAt: entry[1], id: entry[0] }, cursor)) continue;
      batch.push(entry);
      if (batch.length === BATCH) {
        yield* flush.call(this);
        batch = [];
      }
    }
    if (batch.length > 0) yield* flush.call(this);
  }

  /** A sorted set from `max` down to `min` (scores), in pages. */
  async *#zrevrange(key: string, max: number, min: number): AsyncGenerator<[string, number]> {
    const hi = max === Infinity ? '+inf' : String(max);
    const lo = min === -Infinity ? '-inf' : String(min);
    for (let offset = 0; ; offset += BATCH) {
      const flat = await this.client.zrevrangebyscore(key, hi, lo, 'WITHSCORES', 'LIMIT', offset, BATCH);
      for (let i = 0; i < flat.length; i += 2) yield [flat[i]!, Number(flat[i + 1])];
      if (flat.length < BATCH * 2) return;
    }
  }

  async #locate(conversationId: string): Promise<Located | undefined> {
    const openid = await this.client.hget(this.#keys.owner, conversationId);
    if (!openid) return undefined;
    const json = await this.client.hget(this.#keys.summaries(openid), conversationId);
    if (!json) return undefined;
    const summary = JSON.parse(json) as RedisSummary;
    return { id: conversationId, updatedAt: summary.updatedAt, openid, summary };
  }

  async #messages(found: Located): Promise<StoredMessage[]> {
    const raw = await this.client.lrange(this.#keys.messages(found.openid, found.summary.n), 0, -1);
    return raw.flatMap((json) => parseRedisMessage(json) ?? []);
  }

  async #match(found: Located, q: string, terms: string[]): Promise<string | undefined> {
    const messages = await this.#messages(found);
    const text = messages.map((m) => m.content).join('\n').normalize('NFKC').toLowerCase();
    if (!terms.every((term) => text.includes(term))) return undefined;
    const needles = [q.normalize('NFKC').toLowerCase().trim(), ...terms];
    for (const m of messages) {
      const snippet = snippetOf(m.content, needles);
      if (snippet) return snippet;
    }
    return '';
  }

  async #ratingsOf(openid: string, conversationId: string): Promise<Map<string, AdminRating>> {
    const all = await this.client.hgetall(this.#keys.userRatings(openid));
    const ratings = new Map<string, AdminRating>();
    for (const [answerId, json] of Object.entries(all)) {
      const r = JSON.parse(json) as RedisRating;
      if (r.conversationId !== conversationId) continue;
      ratings.set(answerId, r.comment === undefined ? { rating: r.rating, ratedAt: r.updatedAt } : { rating: r.rating, comment: r.comment, ratedAt: r.updatedAt });
    }
    return ratings;
  }

  /** A rated answer from an `fb:all` member, or undefined when the rating or the answer is gone. */
  async #rated(member: string): Promise<RatedAnswer | undefined> {
    let openid: string;
    let answerId: string;
    try {
      [openid, answerId] = JSON.parse(member) as [string, string];
    } catch {
      return undefined;
    }
    const json = await this.client.hget(this.#keys.userRatings(openid), answerId);
    if (!json) return undefined;
    const r = JSON.parse(json) as RedisRating;
    const found = await this.#locate(r.conversationId);
    if (!found) return undefined;
    const messages = await this.#messages(found);
    const at = messages.findIndex((m) => m.id === answerId && m.role === 'assistant');
    if (at < 0) return undefined;
    const answer = messages[at]!;
    const question = messages.slice(0, at).reverse().find((m) => m.role === 'user');
    const rating = { openid, conversationId: r.conversationId, answerId, rating: r.rating, comment: r.comment, ratedAt: r.updatedAt };
    return ratedAnswer(rating, answer, question?.content ?? '');
  }
}

function toConversation(found: Located): AdminConversation {
  return {
    conversationId: found.id,
    openid: found.openid,
    title: found.summary.title,
    createdAt: found.summary.createdAt,
    updatedAt: found.summary.updatedAt,
    messageCount: found.summary.count,
  };
}
