import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/config-schema.js';
import type { GatewayMetrics } from '../observability/gateway-metrics.js';
import { createSqliteStores } from '../store/sqlite/create-sqlite-stores.js';
import type { StoreBundle } from '../store/store-bundle.js';
import type { CommitObserver } from '../store/sqlite/write-batch.js';
import { withRedisErrorCount } from './with-redis-error-count.js';

/**
 * Redis when REDIS_URL is set (shared by every instance and worker), else SQLite under
 * DATA_DIR (one process only). The Redis driver (ioredis) is imported only when it is used.
 * An outage is logged once when it starts and once when it ends, not per failed call.
 */
export async function createStores(config: Readonly<Config>, logger: Logger, metrics?: GatewayMetrics): Promise<StoreBundle> {
  if (!config.redisUrl) {
    const onCommit: CommitObserver | undefined = metrics && ((batch, rows, seconds) => metrics.sqliteCommit(batch, rows, seconds));
    return createSqliteStores(join(config.dataDir, 'gateway.sqlite'), logger, onCommit, metrics && ((seconds) => metrics.sqliteHold(seconds)));
  }
  const { createRedisStores } = await import('../store/redis/create-redis-stores.js');
  return createRedisStores({
    url: config.redisUrl,
    prefix: config.redisKeyPrefix,
    maxMessages: config.redisHistoryMaxMessages,
    retainMs: config.redisHistoryTtlDays * 24 * 3600 * 1000,
    onError: withRedisErrorCount(() => {}, metrics, 'store'),
    health: {
      onDown: (error) =>
        logger.warn({ error: error?.message }, 'Redis unavailable: sessions and history answer 503 until it is back (retrying)'),
      onUp: () => logger.info('Redis back: sessions and history work again'),
    },
  });
}
