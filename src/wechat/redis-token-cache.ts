import type { Cluster, Redis } from 'ioredis';
import { createRedisClient } from '../store/redis/create-redis-client.js';
import type { CachedToken, TokenCache } from './token-cache.js';

/** Deletes the key only while it still holds the token the caller found bad (one atomic step). */
const DELETE_IF_TOKEN = `
local value = redis.call('GET', KEYS[1])
if value and cjson.decode(value).token == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export interface RedisTokenCacheOptions {
  /** prepended to every key (REDIS_KEY_PREFIX) */
  prefix: string;
  /** the cache owns (and closes) the client only when it built it */
  ownsClient?: boolean;
}

/**
 * The access_token shared by every gateway instance through Redis: the first instance that
 * needs one fetches it, the others read it. Expiry is Redis's own (PX), so a stale token
 * disappears even if no instance is running. Keys: `{prefix}wechat:token:{name}`.
 */
export class RedisTokenCache implements TokenCache {
  constructor(
    private readonly client: Redis | Cluster,
    private readonly options: RedisTokenCacheOptions,
  ) {}

  async get(key: string): Promise<CachedToken | undefined> {
    const value = await this.client.get(this.key(key));
    if (!value) return undefined;
    const parsed = JSON.parse(value) as Partial<CachedToken>;
    if (typeof parsed.token !== 'string' || typeof parsed.expiresAt !== 'number') return undefined;
    return { token: parsed.token, expiresAt: parsed.expiresAt };
  }

  async set(key: string, value: CachedToken): Promise<void> {
    const ttlMs = Math.floor(value.expiresAt - Date.now());
    if (ttlMs <= 0) return;
    await this.client.set(this.key(key), JSON.stringify(value), 'PX', ttlMs);
  }

  async delete(key: string, token: string): Promise<void> {
    await this.client.eval(DELETE_IF_TOKEN, 1, this.key(key), token);
  }

  async close(): Promise<void> {
    if (!this.options.ownsClient) return;
    if (this.client.status === 'ready') {
      try {
        await this.client.quit();
        return;
      } catch {
        // the connection died meanwhile
      }
    }
    this.client.disconnect();
  }

  private key(key: string): string {
    return `${this.options.prefix}wechat:token:${key}`;
  }
}

/**
 * A cache on its own client (the store bundle keeps its client private). It connects on
 * first use, so a gateway that never checks content never opens the connection.
 */
export function createRedisTokenCache(options: { url: string; prefix: string; onError?: (error: Error) => void }): RedisTokenCache {
  const client = createRedisClient(options.url, {
    lazyConnect: true,
    // a token read must not stall a content check: fail fast, the provider then fetches itself
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    commandTimeout: 2_000,
    retryStrategy: (times) => Math.min(50 * 2 ** (times - 1), 1_000),
  });
  client.on('error', options.onError ?? (() => {}));
  return new RedisTokenCache(client, { prefix: options.prefix, ownsClient: true });
}
