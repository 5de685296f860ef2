import type { CachedToken, TokenCache } from '../wechat/token-cache.js';

/**
 * A TokenCache built on its first use: the Redis driver (and ioredis under it) is imported
 * when the first content check needs a token, not at start-up. A cache never used is never
 * built, so close() has nothing to close.
 */
export function lazyTokenCache(build: () => Promise<TokenCache>): TokenCache {
  let cache: Promise<TokenCache> | undefined;
  const built = () => (cache ??= build());
  return {
    get: async (key) => (await built()).get(key),
    set: async (key: string, value: CachedToken) => (await built()).set(key, value),
    delete: async (key, token) => (await built()).delete(key, token),
    close: async () => {
      if (cache) await (await cache).close();
    },
  };
}
