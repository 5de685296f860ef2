import type { Redis } from 'ioredis';
import { answerDetailsOf, readAnswerDetails } from '../answer-details.js';
import { LuaScript } from './lua-script.js';
import type { HistoryStore, StoredMessage } from '../history-store.js';

export interface RedisHistoryOptions {
  /** Newest messages kept per conversation; older ones are dropped. Default 1000. */
  maxMessages?: number;
  /**
   * Milliseconds a conversation survives after its last append; 0 (the default) keeps it
   * forever. Redis holds everything in memory, so deployments with many users set this.
   */
  retainMs?: number;
}

/**
 * Append one message if its id is new to the conversation, then cap the list. A script and not
 * MULTI because the push depends on the SADD's answer; it runs atomically all the same.
 * Ids of dropped messages leave the id set too, so it stays as small as the list.
 * KEYS: list, ids. ARGV: id, json, maxMessages, retainMs.
 */
const APPEND_SCRIPT = new LuaScript(`
if redis.call('SADD', KEYS[2], ARGV[1]) == 0 then return 0 end
redis.call('RPUSH', KEYS[1], ARGV[2])
local over = redis.call('LLEN', KEYS[1]) - tonumber(ARGV[3])
if over > 0 then
  for _, v in ipairs(redis.call('LRANGE', KEYS[1], 0, over - 1)) do
    redis.call('SREM', KEYS[2], cjson.decode(v).id)
  end
  redis.call('LTRIM', KEYS[1], over, -1)
end
local retain = tonumber(ARGV[4])
if retain > 0 then
  redis.call('PEXPIRE', KEYS[1], retain)
  redis.call('PEXPIRE', KEYS[2], retain)
end
return 1
`);

/**
 * HistoryStore on Redis. Keys, all under one hash tag per user so they share a cluster slot:
 * - `{prefix}hist:{openid}:cur` — current conversation number (absent = 0; INCR on clear)
 * - `{prefix}hist:{openid}:{n}:msgs` — list of JSON messages, oldest first, capped
 * - `{prefix}hist:{openid}:{n}:ids` — set of the ids in that list (idempotent append)
 *
 * Idempotency is per message id within the current conversation. The store does not own the
 * client: `close()` only stops this store; whoever created the client quits it.
 */
export class RedisHistoryStore implements HistoryStore {
  readonly #client: Redis;
  readonly #prefix: string;
  readonly #maxMessages: number;
  readonly #retainMs: number;
  #closed = false;

  constructor(client: Redis, prefix = 'wag:', options: RedisHistoryOptions = {}) {
    this.#client = client;
    this.#prefix = prefix;
    this.#maxMessages = options.maxMessages ?? 1000;
    this.#retainMs = options.retainMs ?? 0;
  }

  async append(openid: string, message: StoredMessage): Promise<void> {
    this.#assertOpen();
    const conversation = await this.#current(openid);
    const base = this.#userKey(openid);
    await APPEND_SCRIPT.run(
      this.#client,
      [`${base}:${conversation}:msgs`, `${base}:${conversation}:ids`],
      [message.id, JSON.stringify(pick(message)), this.#maxMessages, this.#retainMs],
    );
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
    await this.#client.incr(`${this.#userKey(openid)}:cur`);
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
