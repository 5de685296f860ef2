import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/config-schema.js';
import type { GatewayMetrics } from '../observability/gateway-metrics.js';
import { throttledWarn } from '../observability/throttled-warn.js';
import { createRedisStores } from '../store/redis/create-redis-stores.js';
import { createSqliteStores } from '../store/sqlite/create-sqlite-stores.js';
import type { StoreBundle } from '../store/store-bundle.js';
import { withRedisErrorCount } from './with-redis-error-count.js';

/** Redis when REDIS_URL is set (shared by every instance), else SQLite under DATA_DIR. */
export function createStores(config: Readonly<Config>, logger: Logger, metrics?: GatewayMetrics): StoreBundle {
  if (!config.redisUrl) return createSqliteStores(join(config.dataDir, 'gateway.sqlite'));
  return createRedisStores({
    url: config.redisUrl,
    prefix: config.redisKeyPrefix,
    onError: withRedisErrorCount(throttledWarn(logger, 'redis unavailable'), metrics, 'store'),
  });
}
