import { randomUUID } from 'node:crypto';
import { describe } from 'node:test';
import { Redis } from 'ioredis';
import { MemoryTokenCache } from './memory-token-cache.js';
import { createRedisTokenCache } from './redis-token-cache.js';
import { runTokenCacheContract } from './token-cache.contract.js';

describe('MemoryTokenCache', () => {
  runTokenCacheContract(async () => ({ cache: new MemoryTokenCache(), cleanup: async () => undefined }));
});

describe('RedisTokenCache (real Redis)', () => {
  runTokenCacheContract(async () => {
    const prefix = `wag-test-${randomUUID()}:`;
    const cache = createRedisTokenCache({ url: 'redis://127.0.0.1:6379', prefix });
    return {
      cache,
      async cleanup() {
        const admin = new Redis('redis://127.0.0.1:6379');
        const keys = await admin.keys(`${prefix}*`);
        if (keys.length > 0) await admin.del(...keys);
        await admin.quit();
        await cache.close();
      },
    };
  });
});
