import { answerDetailsOf, readAnswerDetails } from '../answer-details.js';
import { LuaScript } from './lua-script.js';
import type { HistoryStore, StoredMessage } from '../history-store.js';
import type { RedisClient } from './create-redis-client.js';

export interface RedisHistoryOptions {
  /** Newest messages kept per conversation; older ones are dropped. Default 200 (REDIS_HISTORY_MAX_MESSAGES). */
  maxMessages?: number;
  /**
   * Milliseconds a conversation survives after its last append or its clear; 0 (the default
   * here) keeps it forever. Redis holds everything in memory, so the gateway's config sets 30
   * days (REDIS_HISTORY_TTL_DAYS).
   */
  retainMs?: number;
}

/**
 * Append one message to the user's current conversation if its id is new to it, then cap the
 * list. One script, so the conversation number is read and written to in one atomic step and
 * one round trip (a clear on another instance cannot slip in between). The list and id-set keys
 * are built here from the number: they carry the user's hash tag, like KEYS[1], so they live
 * in its cluster slot. Ids of dropped messages leave the id set too, so it stays as small as
 * the list. KEYS: current. ARGV: id, json, maxMessages, retainMs, user key.
 * The conversation pointer (KEYS[1]) gets the same expiry, so it never outlives the conversations.
 */
const APPEND_SCRIPT = new LuaScript(`
local n = redis.call('GET', KEYS[1]) or '0'
local list = ARGV[5] .. ':' .. n .. ':msgs'
local ids = ARGV[5] .. ':' .. n .. ':ids'
if redis.call('SADD', ids, ARGV[1]) == 0 then return 0 end
redis.call('RPUSH', list, ARGV[2])
local over = redis.call('LLEN', list) - tonumber(ARGV[3])
if over > 0 then
  for _, v in ipairs(redis.call('LRANGE', list, 0, over - 1)) do
    redis.call('SREM', ids, cjson.decode(v).id)
  end
  redis.call('LTRIM', list, over, -1)
end
local retain = tonumber(ARGV[4])
if retain > 0 then
  redis.call('PEXPIRE', list, retain)
  redis.call('PEXPIRE', ids, retain)
  redis.call('PEXPIRE', KEYS[1], retain)
end
return 1
`);

/**
 * Start a new conversation. The old one is not deleted (a later "several conversations per
 * user" feature may list it) but gets the retention expiry from now, so it does not stay
 * forever; with retention 0 (keep forever) it stays. KEYS: pointer. ARGV: user key base, retainMs.
 * The old keys are derived in the script: they share the pointer's `{openid}` hash slot.
 */
const CLEAR_SCRIPT = new LuaScript(`
local old = redis.call('GET', KEYS[1]) or '0'
redis.call('INCR', KEYS[1])
local retain = tonumber(ARGV[2])
if retain > 0 then
  redis.call('PEXPIRE', ARGV[1] .. ':' .. old .. ':msgs', retain)
  redis.call('PEXPIRE', ARGV[1] .. ':' .. old .. ':ids', retain)
  redis.call('PEXPIRE', KEYS[1], retain)
end
return 1
`);

/**
 * HistoryStore on Redis. Keys, all under one hash tag per user so they share a cluster slot:
 * - `{prefix}hist:{openid}:cur` — current conversation number (absent = 0; INCR on clear)
 *   — with retention set, every key expires `retainMs` after its last append or clear
 * - `{prefix}hist:{openid}:{n}:msgs` — list of JSON messages, oldest first, capped
 * - `{prefix}hist:{openid}:{n}:ids` — set of the ids in that list (idempotent append)
 *
 * Idempotency is per message id within the current conversation. The store does not own the
 * client: `close()` only stops this store; whoever created the client quits it.
 */
export class RedisHistoryStore implements HistoryStore {
  readonly #client: RedisClient;
  readonly #prefix: string;
  readonly #maxMessages: number;
  readonly #retainMs: number;
  #closed = false;

  constructor(client: RedisClient, prefix = 'wag:', options: RedisHistoryOptions = {}) {
    this.#client = client;
    this.#prefix = prefix;
    this.#maxMessages = options.maxMessages ?? 200;
    this.#retainMs = options.retainMs ?? 0;
  }

  async append(openid: string, message: StoredMessage): Promise<void> {
    this.#assertOpen();
    const base = this.#userKey(openid);
    await APPEND_SCRIPT.run(this.#client, [`${base}:cur`], [message.id, JSON.stringify(pick(message)), this.#maxMessages, this.#retainMs, base]);
  }

  async listRecent(openid: string, limit: number): Promise<StoredMessage[]> {
    this.#assertOpen();
    const n = Math.floor(limit);
    // LRANGE -0 -1 would be the whole list, so a zero limit must stop here.
    if (!(n > 0)) return [];
    const conversation = await this.#current(openid);
    const raw = await this.#client.lrange(`${this.#userKey(openid)}:${conversation}:msgs`, -n, -1);
    return raw.map(toMessage);
  }

  async clear(openid: string): Promise<void> {
    this.#assertOpen();
    const base = this.#userKey(openid);
    await CLEAR_SCRIPT.run(this.#client, [`${base}:cur`], [base, this.#retainMs]);
  }

  async ping(): Promise<void> {
    this.#assertOpen();
    await this.#client.ping();
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  async #current(openid: string): Promise<string> {
    return (await this.#client.get(`${this.#userKey(openid)}:cur`)) ?? '0';
  }

  #userKey(openid: string): string {
    return `${this.#prefix}hist:{${openid}}`;
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('RedisHistoryStore is closed');
  }
}

/** Only the port's fields reach Redis, whatever else the caller's object carries. */
function pick(m: StoredMessage): StoredMessage {
  const { id, role, content, status, createdAt, usage } = m;
  return { id, role, content, status, createdAt, usage, ...answerDetailsOf(m) };
}

/** Messages written before the details were typed carry them in `meta`: read both. */
function toMessage(json: string): StoredMessage {
  const { meta, model, sources, flagged, ...message } = JSON.parse(json) as StoredMessage & { meta?: unknown };
  const details = readAnswerDetails(meta ?? { model, sources, flagged });
  return { ...message, ...details };
}
