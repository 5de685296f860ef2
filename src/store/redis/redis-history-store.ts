import { randomUUID } from 'node:crypto';
import { answerDetailsOf, readAnswerDetails } from '../answer-details.js';
import { decodeCursor, encodeCursor, isBefore, pageLimit, type CursorPosition } from '../conversation-cursor.js';
import { conversationTitle } from '../conversation-title.js';
import {
  ConversationNotFoundError,
  type ConversationPage,
  type ConversationSummary,
  type HistoryStore,
  type StoredMessage,
} from '../history-store.js';
import { Cluster } from 'ioredis';
import type { RedisClient } from './create-redis-client.js';
import { RedisConversationIndex } from './redis-conversation-index.js';
import { APPEND_SCRIPT, CLEAR_SCRIPT, CURRENT_SCRIPT, DELETE_SCRIPT, OPEN_SCRIPT, RECENT_SCRIPT } from './redis-history-scripts.js';
import { adoptLegacyConversations } from './redis-legacy-conversations.js';

export interface RedisHistoryOptions {
  /** Newest messages kept per conversation; older ones are dropped. Default 200 (REDIS_HISTORY_MAX_MESSAGES). */
  maxMessages?: number;
  /**
   * Milliseconds a conversation survives after its last append or its clear; 0 (the default
   * here) keeps it forever. Redis holds everything in memory, so the gateway's config sets 30
   * days (REDIS_HISTORY_TTL_DAYS). Expiries are refreshed every 1 % of it, not on every
   * append (redis-history-scripts.ts): a conversation lives at least 99 % of it past its last message.
   */
  retainMs?: number;
  /** the clock retention is counted on (tests); default Date.now */
  now?: () => number;
}

/** A conversation summary as `:conv` holds it (JSON). */
interface Summary {
  n: number;
  title: string;
  createdAt: number;
  updatedAt: number;
  count: number;
}

/**
 * HistoryStore on Redis. Per-user keys, all under one hash tag so they share a cluster slot
 * (base = `{prefix}hist:{openid}`):
 * - `base:cur`       — the current conversation's number (absent = 0)
 * - `base:top`       — the highest number ever started (absent on users from before it: `:cur`)
 * - `base:{n}:msgs`  — list of JSON messages of conversation n, oldest first, capped
 * - `base:{n}:ids`   — set of the ids in that list (idempotent append)
 * - `base:num`       — hash n → conversation id (the opaque id, a UUID), and v=2 once the user's
 *                      history from before conversation ids was adopted (redis-legacy-conversations.ts)
 * - `base:conv`      — hash conversation id → JSON summary { n, title, createdAt, updatedAt, count }
 * - `base:convs`     — sorted set conversation id → updatedAt: the list, non-empty conversations only
 * With retention set, each key expires `retainMs` after the last write to it, and an append
 * drops the user's conversations whose updatedAt is older than that.
 * Global keys for the admin console are in redis-conversation-index.ts.
 *
 * Another user's conversation id is simply absent from this user's `:conv`, so it reads as unknown.
 * The store does not own the client: `close()` only stops this store; whoever created the client quits it.
 */
export class RedisHistoryStore implements HistoryStore {
  readonly #client: RedisClient;
  readonly #prefix: string;
  readonly #maxMessages: number;
  readonly #retainMs: number;
  readonly #now: () => number;
  readonly #index: RedisConversationIndex;
  /**
   * Off a cluster every key is reachable from a script, so the append script updates the
   * global index in the same round trip; in a cluster its keys are in other slots and the
   * store writes them after the script.
   */
  readonly #indexInScript: boolean;
  #closed = false;

  constructor(client: RedisClient, prefix = 'wag:', options: RedisHistoryOptions = {}) {
    this.#client = client;
    this.#prefix = prefix;
    this.#maxMessages = options.maxMessages ?? 200;
    this.#retainMs = options.retainMs ?? 0;
    this.#now = options.now ?? Date.now;
    this.#index = new RedisConversationIndex(client, prefix, this.#retainMs);
    this.#indexInScript = !(client instanceof Cluster);
  }

  async append(openid: string, message: StoredMessage, conversationId?: string): Promise<string> {
    this.#assertOpen();
    const base = this.#userKey(openid);
    const args = [
      message.id,
      JSON.stringify(pick(message)),
      this.#maxMessages,
      this.#retainMs,
      base,
      conversationId ?? '',
      randomUUID(),
      Math.floor(message.createdAt),
      conversationTitle(message) ?? '',
      this.#now(),
      conversationId === undefined ? '0' : '1',
      this.#indexInScript ? this.#prefix : '',
      openid,
    ];
    let reply = (await APPEND_SCRIPT.run(this.#client, [`${base}:cur`], args)) as [number, string?, number?];
    if (reply[0] === -2) {
      await this.#adopt(openid);
      reply = (await APPEND_SCRIPT.run(this.#client, [`${base}:cur`], args)) as [number, string?, number?];
    }
    if (reply[0] === -1) throw new ConversationNotFoundError(conversationId ?? '');
    const appendedTo = reply[1]!;
    // The global index, outside the script: its keys are not in this user's cluster slot.
    if (reply[0] !== 1) return appendedTo;
    if (this.#indexInScript) this.#index.housekeep();
    else await this.#index.touch(appendedTo, openid, Number(reply[2]));
    return appendedTo;
  }

  async listRecent(openid: string, limit: number, conversationId?: string): Promise<StoredMessage[]> {
    this.#assertOpen();
    const count = Math.floor(limit);
    // LRANGE -0 -1 would be the whole list, so a zero limit must stop here.
    if (!(count > 0)) return [];
    const base = this.#userKey(openid);
    const raw = (await RECENT_SCRIPT.run(this.#client, [`${base}:cur`], [base, count, conversationId ?? ''])) as string[];
    return raw.map(toMessage);
  }

  async clear(openid: string): Promise<void> {
    this.#assertOpen();
    const base = this.#userKey(openid);
    await CLEAR_SCRIPT.run(this.#client, [`${base}:cur`], [base, this.#retainMs]);
  }

  async currentConversation(openid: string): Promise<string> {
    return (await this.openCurrent(openid, 0)).conversationId;
  }

  async openCurrent(openid: string, limit: number): Promise<{ conversationId: string; recent: StoredMessage[] }> {
    this.#assertOpen();
    const base = this.#userKey(openid);
    const count = Math.max(0, Math.floor(limit) || 0);
    const run = async () => (await CURRENT_SCRIPT.run(this.#client, [`${base}:cur`], [base, randomUUID(), this.#retainMs, count])) as [string, string[]?];
    let [id, recent] = await run();
    if (id === '') {
      await this.#adopt(openid);
      [id, recent] = await run();
    }
    return { conversationId: id, recent: (recent ?? []).map(toMessage) };
  }

  async openConversation(openid: string, conversationId: string): Promise<boolean> {
    this.#assertOpen();
    const base = this.#userKey(openid);
    return (await OPEN_SCRIPT.run(this.#client, [`${base}:cur`], [base, conversationId, this.#retainMs])) === 1;
  }

  async listConversations(openid: string, page: { limit: number; before?: string }): Promise<ConversationPage> {
    this.#assertOpen();
    const limit = pageLimit(page.limit);
    const cursor = page.before === undefined ? undefined : decodeCursor(page.before);
    if (page.before !== undefined && cursor === undefined) return { items: [] };
    const base = this.#userKey(openid);
    let ids = await this.#idsBefore(`${base}:convs`, cursor, limit + 1);
    if (ids.length === 0 && cursor === undefined && (await this.#adoptIfLegacy(openid))) {
      ids = await this.#idsBefore(`${base}:convs`, cursor, limit + 1);
    }
    if (ids.length === 0) return { items: [] };
    const raw = await this.#client.hmget(`${base}:conv`, ...ids);
    // a conversation deleted between the two reads is skipped
    const all = ids.flatMap((id, i) => (raw[i] ? [toSummary(id, JSON.parse(raw[i]!) as Summary)] : []));
    const items = all.slice(0, limit);
    const last = items.at(-1);
    return ids.length > limit && last ? { items, nextCursor: encodeCursor(last) } : { items };
  }

  async deleteConversation(openid: string, conversationId: string): Promise<boolean> {
    this.#assertOpen();
    const base = this.#userKey(openid);
    const deleted = (await DELETE_SCRIPT.run(this.#client, [`${base}:cur`], [base, conversationId])) === 1;
    if (deleted) await this.#index.remove(conversationId);
    return deleted;
  }

  async findMessage(openid: string, messageId: string): Promise<{ message: StoredMessage; conversationId: string } | undefined> {
    this.#assertOpen();
    const base = this.#userKey(openid);
    let conversations = Object.entries(await this.#client.hgetall(`${base}:conv`));
    if (conversations.length === 0 && (await this.#adoptIfLegacy(openid))) {
      conversations = Object.entries(await this.#client.hgetall(`${base}:conv`));
    }
    // One SISMEMBER per conversation, pipelined: a user has tens of conversations, not thousands.
    const hits = await Promise.all(
      conversations.map(([, json]) => this.#client.sismember(`${base}:${(JSON.parse(json) as Summary).n}:ids`, messageId)),
    );
    const found = conversations.find((_, i) => hits[i] === 1);
    if (!found) return undefined;
    const [conversationId, json] = found;
    const needle = JSON.stringify(messageId);
    for (const raw of await this.#client.lrange(`${base}:${(JSON.parse(json) as Summary).n}:msgs`, 0, -1)) {
      if (!raw.includes(needle)) continue;
      const message = toMessage(raw);
      if (message.id === messageId) return { message, conversationId };
    }
    return undefined;
  }

  async ping(): Promise<void> {
    this.#assertOpen();
    await this.#client.ping();
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  /**
   * Up to `count` ids of the user's list strictly before `cursor`, newest first. Redis orders
   * equal scores by member, descending here, as the cursor does; the loop walks past ties with
   * the cursor's score (conversations updated in the same millisecond).
   */
  async #idsBefore(key: string, cursor: CursorPosition | undefined, count: number): Promise<string[]> {
    const min = this.#retainMs > 0 ? this.#now() - this.#retainMs : '-inf';
    const max = cursor === undefined ? '+inf' : cursor.updatedAt;
    const ids: string[] = [];
    for (let offset = 0; ids.length < count; offset += count) {
      const raw = await this.#client.zrevrangebyscore(key, max, min, 'WITHSCORES', 'LIMIT', offset, count);
      for (let i = 0; i < raw.length && ids.length < count; i += 2) {
        const item = { id: raw[i]!, updatedAt: Number(raw[i + 1]) };
        if (cursor === undefined || isBefore(item, cursor)) ids.push(item.id);
      }
      if (raw.length < count * 2) break;
    }
    return ids;
  }

  /** Gives the conversations of a user from before conversation ids their ids (redis-legacy-conversations.ts). */
  async #adopt(openid: string): Promise<void> {
    await adoptLegacyConversations(this.#client, this.#userKey(openid), this.#retainMs, this.#index, openid);
  }

  /** For reads that found nothing: adopts a user not adopted yet; true when it did. */
  async #adoptIfLegacy(openid: string): Promise<boolean> {
    if ((await this.#client.exists(`${this.#userKey(openid)}:num`)) === 1) return false;
    await this.#adopt(openid);
    return true;
  }

  #userKey(openid: string): string {
    return `${this.#prefix}hist:{${openid}}`;
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('RedisHistoryStore is closed');
  }
}

function toSummary(id: string, s: Summary): ConversationSummary {
  return { id, title: s.title, createdAt: s.createdAt, updatedAt: s.updatedAt, messageCount: s.count };
}

/** Only the port's fields reach Redis, whatever else the caller's object carries. */
function pick(m: StoredMessage): StoredMessage {
  const { id, role, content, status, createdAt, usage } = m;
  return { id, role, content, status, createdAt, usage, ...answerDetailsOf(m) };
}

/** Messages written before the details were typed carry them in `meta`: read both. */
function toMessage(json: string): StoredMessage {
  const { meta, model, sources, flagged, attachments, ...message } = JSON.parse(json) as StoredMessage & { meta?: unknown };
  const details = readAnswerDetails(meta ?? { model, sources, flagged, attachments });
  return { ...message, ...details };
}
