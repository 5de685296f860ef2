import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { GatewayOptions } from './start-gateway.js';

export interface StoreKind {
  label: 'SQLite' | 'Redis';
  /** `startGateway`'s `store` option: a fresh SQLite file, or a fresh key prefix on the real Redis at 127.0.0.1:6379 */
  store: NonNullable<GatewayOptions['store']>;
  /** removes what the test left in Redis (SQLite: the gateway's temp dir goes with it) */
  cleanup(): Promise<void>;
}

/** The two real backends a test suite runs against, each with its own place to write. */
export function storeKinds(): StoreKind[] {
  const prefix = `wag-test-${randomBytes(4).toString('hex')}:`;
  return [
    { label: 'SQLite', store: 'sqlite', cleanup: async () => undefined },
    {
      label: 'Redis',
      store: { redisPrefix: prefix },
      async cleanup() {
        const redis = new Redis('redis://127.0.0.1:6379');
        try {
          const keys = await redis.keys(`${prefix}*`);
          if (keys.length) await redis.del(...keys);
        } finally {
          await redis.quit();
        }
      },
    },
  ];
}
