import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/config-schema.js';
import type { GatewayMetrics } from '../observability/gateway-metrics.js';
import { throttledWarn } from '../observability/throttled-warn.js';
import { createSqliteStores } from '../store/sqlite/create-sqlite-stores.js';
import type { StoreBundle } from '../store/store-bundle.js';
import { withRedisErrorCount } from './with-redis-error-count.js';

/**
 * Redis when REDIS_URL is set (shared by every instance), else SQLite under DATA_DIR. The
 * Redis driver (ioredis) is imported only when it is used.
 */
export async function createStores(config: Readonly<Config>, logger: Logger, metrics?: GatewayMetrics): Promise<StoreBundle> {
  if (!config.redisUrl) return createSqliteStores(join(config.dataDir, 'gateway.sqlite'));
  const { createRedisStores } = await import('../store/redis/create-redis-stores.js');
  return createRedisStores({
    url: config.redisUrl,
    prefix: config.redisKeyPrefix,
    onError: withRedisErrorCount(throttledWarn(logger, 'redis unavailable'), metrics, 'store'),
  });
}
