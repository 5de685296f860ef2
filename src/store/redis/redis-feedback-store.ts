import type { Feedback, FeedbackStore } from '../feedback-store.js';
import type { RedisClient } from './create-redis-client.js';
import { LuaScript } from './lua-script.js';

/** A rating as the per-user hash holds it (JSON); openid and answerId are the key and field. */
type StoredRating = Omit<Feedback, 'openid' | 'answerId'>;

/**
 * Record a rating, keeping the first one's createdAt. The new JSON comes from the caller
 * without createdAt; the script splices it in, so the comment is never re-encoded by cjson.
 * With retention, ratings older than it leave the hash. KEYS: the user's hash.
 * ARGV: answerId, JSON ('{"…":…}'), now, retainMs. Returns the stored JSON.
 */
const RATE_SCRIPT = new LuaScript(`
local old = redis.call('HGET', KEYS[1], ARGV[1])
local created = old and cjson.decode(old).createdAt or tonumber(ARGV[3])
local json = '{"createdAt":' .. string.format('%d', created) .. ',' .. string.sub(ARGV[2], 2)
redis.call('HSET', KEYS[1], ARGV[1], json)
local retain = tonumber(ARGV[4])
if retain > 0 then
  local cutoff = tonumber(ARGV[3]) - retain
  local all = redis.call('HGETALL', KEYS[1])
  for i = 1, #all, 2 do
    if cjson.decode(all[i + 1]).updatedAt < cutoff then redis.call('HDEL', KEYS[1], all[i]) end
  end
  redis.call('PEXPIRE', KEYS[1], retain)
end
return json
`);

/** Forget the ratings of one conversation. KEYS: the user's hash. ARGV: conversation id. Returns the answer ids removed. */
const DELETE_CONVERSATION_SCRIPT = new LuaScript(`
local removed = {}
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  if cjson.decode(all[i + 1]).conversationId == ARGV[1] then
    redis.call('HDEL', KEYS[1], all[i])
    removed[#removed + 1] = all[i]
  end
end
return removed
`);

export interface RedisFeedbackOptions {
  /** Milliseconds a rating is kept after its latest change; 0 keeps it forever (as history: REDIS_HISTORY_TTL_DAYS). */
  retainMs?: number;
}

/**
 * FeedbackStore on Redis:
 * - `{prefix}fb:{openid}` — hash answerId → JSON { conversationId, rating, comment?, createdAt, updatedAt },
 *   under the user's hash tag; with retention it expires `retainMs` after the user's latest rating
 * - `{prefix}fb:all` — sorted set of every rating by updatedAt, for the admin console; members are
 *   JSON `[openid, answerId]`. Not under a user's hash tag (another cluster slot), so it is written
 *   by a separate command after the per-user script; a reader skips a member whose rating is gone.
 * The store does not own the client: `close()` only stops this store.
 */
export class RedisFeedbackStore implements FeedbackStore {
  readonly #client: RedisClient;
  readonly #prefix: string;
  readonly #retainMs: number;
  #closed = false;

  constructor(client: RedisClient, prefix = 'wag:', options: RedisFeedbackOptions = {}) {
    this.#client = client;
    this.#prefix = prefix;
    this.#retainMs = options.retainMs ?? 0;
  }

  async rate(feedback: Omit<Feedback, 'createdAt' | 'updatedAt'>, now = Date.now()): Promise<Feedback> {
    this.#assertOpen();
    const rating: Omit<StoredRating, 'createdAt'> = { conversationId: feedback.conversationId, rating: feedback.rating, updatedAt: now };
    if (feedback.comment !== undefined) rating.comment = feedback.comment;
    const json = (await RATE_SCRIPT.run(this.#client, [this.#key(feedback.openid)], [
      feedback.answerId,
      JSON.stringify(rating),
      now,
      this.#retainMs,
    ])) as string;
    const all = `${this.#prefix}fb:all`;
    // The rating is stored by now: a failed write to the admin's index does not fail it.
    await Promise.all([
      this.#client.zadd(all, now, member(feedback.openid, feedback.answerId)),
      this.#retainMs > 0 ? this.#client.zremrangebyscore(all, '-inf', `(${now - this.#retainMs}`) : undefined,
    ]).catch(() => {});
    return toFeedback(feedback.openid, feedback.answerId, json);
  }

  async ratingsOf(openid: string, answerIds: readonly string[]): Promise<Map<string, Feedback>> {
    this.#assertOpen();
    const unique = [...new Set(answerIds)];
    if (unique.length === 0) return new Map();
    const raw = await this.#client.hmget(this.#key(openid), ...unique);
    return new Map(unique.flatMap((id, i) => (raw[i] ? [[id, toFeedback(openid, id, raw[i]!)] as const] : [])));
  }

  async deleteConversation(openid: string, conversationId: string): Promise<void> {
    this.#assertOpen();
    const removed = (await DELETE_CONVERSATION_SCRIPT.run(this.#client, [this.#key(openid)], [conversationId])) as string[];
    // as in rate: the ratings are gone by now; a leftover index member points to nothing
    if (removed.length > 0) await this.#client.zrem(`${this.#prefix}fb:all`, ...removed.map((id) => member(openid, id))).catch(() => {});
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  #key(openid: string): string {
    return `${this.#prefix}fb:{${openid}}`;
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('RedisFeedbackStore is closed');
  }
}

function member(openid: string, answerId: string): string {
  return JSON.stringify([openid, answerId]);
}

function toFeedback(openid: string, answerId: string, json: string): Feedback {
  const { conversationId, rating, comment, createdAt, updatedAt } = JSON.parse(json) as StoredRating;
  const feedback: Feedback = { openid, conversationId, answerId, rating, createdAt, updatedAt };
  if (typeof comment === 'string') feedback.comment = comment;
  return feedback;
}
