import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/config-schema.js';
import { DiskUploadStore } from '../media/disk-upload-store.js';
import type { UploadCatalog } from '../media/upload-catalog.js';
import type { GatewayMetrics } from '../observability/gateway-metrics.js';
import { withRedisErrorCount } from './with-redis-error-count.js';

/**
 * Upload files under UPLOAD_DIR (default DATA_DIR/uploads); their records in Redis when
 * REDIS_URL is set (expiring by themselves), else in gateway.sqlite's `uploads` table.
 *
 * The catalog has a connection of its own (a second SQLite handle on the same WAL file, or a
 * second Redis client) rather than one borrowed from the StoreBundle: uploads stay a module
 * the chat stores know nothing about. The store's close() releases it.
 */
export async function createUploadStore(
  config: Readonly<Config>,
  logger: Logger,
  metrics?: GatewayMetrics,
  now?: () => number,
): Promise<DiskUploadStore> {
  const catalog = await openCatalog(config, metrics, now);
  try {
    return await DiskUploadStore.open({
      dir: config.uploads.dir ?? join(config.dataDir, 'uploads'),
      catalog,
      ttlMs: config.uploads.ttlHours * 3_600_000,
      logger: logger.child({ module: 'uploads' }),
      now,
    });
  } catch (error) {
    await catalog.close();
    throw error;
  }
}

async function openCatalog(config: Readonly<Config>, metrics: GatewayMetrics | undefined, now: (() => number) | undefined): Promise<UploadCatalog> {
  if (!config.redisUrl) {
    const [{ openSqlite }, { SqliteUploadCatalog }] = await Promise.all([
      import('../store/sqlite/open-sqlite.js'),
      import('../media/sqlite-upload-catalog.js'),
    ]);
    return new SqliteUploadCatalog(openSqlite(join(config.dataDir, 'gateway.sqlite')), { ownsDb: true });
  }
  const [{ createRedisClient, reconnectBackoff }, { RedisUploadCatalog }] = await Promise.all([
    import('../store/redis/create-redis-client.js'),
    import('../media/redis-upload-catalog.js'),
  ]);
  const client = createRedisClient(config.redisUrl, {
    lazyConnect: true,
    maxRetriesPerRequest: 2,
    retryStrategy: reconnectBackoff,
    connectTimeout: 5_000,
    commandTimeout: 5_000,
  });
  // connection errors surface as failed calls (503 store_unavailable), never as a crash
  client.on('error', withRedisErrorCount(() => {}, metrics, 'uploads'));
  return new RedisUploadCatalog(client, config.redisKeyPrefix, now, true);
}
