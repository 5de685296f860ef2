import type { ChainableCommander } from 'ioredis';
import type { RedisClient } from './create-redis-client.js';
import { LuaScript } from './lua-script.js';
import type { SessionRecord, SessionStore } from '../session-store.js';

/**
 * Slide a live session only: an expired key is already gone, so EXISTS guards against
 * recreating it as a bare hash. KEYS: session. ARGV: expiresAt as stored, expiresAt as a
 * whole number for PEXPIREAT (a time in the past deletes the key, which is what we want).
 */
const TOUCH_SCRIPT = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'expiresAt', ARGV[1])
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
return 1
`);

/**
 * SessionStore on Redis: one hash per session at `{prefix}sess:{sessionId}`, with PEXPIREAT
 * at `expiresAt` so Redis itself forgets it (no purge job). `get` also compares `expiresAt`
 * with this process's clock, so a skewed Redis clock can't hand out an expired session.
 *
 * The store does not own the client: `close()` only stops this store.
 */
export class RedisSessionStore implements SessionStore {
  readonly #client: RedisClient;
  readonly #prefix: string;
  #closed = false;

  constructor(client: RedisClient, prefix = 'wag:') {
    this.#client = client;
    this.#prefix = prefix;
  }

  async put(record: SessionRecord): Promise<void> {
    this.#assertOpen();
    const key = this.#key(record.sessionId);
    const fields: Record<string, string> = {
      openid: record.openid,
      sessionKey: record.sessionKey,
      createdAt: String(record.createdAt),
      expiresAt: String(record.expiresAt),
    };
    if (record.unionid !== undefined) fields.unionid = record.unionid;
    // DEL first so a replaced record doesn't keep an old unionid; MULTI so no reader sees
    // the hash without its expiry.
    await execOrThrow(
      this.#client
        .multi()
        .del(key)
        .hset(key, fields)
        .pexpireat(key, Math.ceil(record.expiresAt)),
    );
  }

  async get(sessionId: string): Promise<SessionRecord | null> {
    this.#assertOpen();
    const h = await this.#client.hgetall(this.#key(sessionId));
    if (h.openid === undefined || h.sessionKey === undefined) return null;
    const expiresAt = Number(h.expiresAt);
    if (!(expiresAt > Date.now())) return null;
    const record: SessionRecord = {
      sessionId,
      openid: h.openid,
      sessionKey: h.sessionKey,
      createdAt: Number(h.createdAt),
      expiresAt,
    };
    if (h.unionid !== undefined) record.unionid = h.unionid;
    return record;
  }

  async touch(sessionId: string, expiresAt: number): Promise<void> {
    this.#assertOpen();
    await TOUCH_SCRIPT.run(this.#client, [this.#key(sessionId)], [String(expiresAt), Math.ceil(expiresAt)]);
  }

  async delete(sessionId: string): Promise<void> {
    this.#assertOpen();
    await this.#client.del(this.#key(sessionId));
  }

  async ping(): Promise<void> {
    this.#assertOpen();
    await this.#client.ping();
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  #key(sessionId: string): string {
    return `${this.#prefix}sess:${sessionId}`;
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('RedisSessionStore is closed');
  }
}

/** EXEC reports a failed command inside the transaction as an entry, not a rejection. */
async function execOrThrow(tx: ChainableCommander): Promise<void> {
  const results = await tx.exec();
  if (results === null) throw new Error('Redis transaction aborted');
  for (const [error] of results) if (error) throw error;
}
