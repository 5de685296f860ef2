import { join } from 'node:path';
import type { Logger } from 'pino';
import type { AdminStore } from '../admin/admin-store.js';
import type { Config } from '../config/config-schema.js';
import { closeRedisClient } from '../store/redis/close-redis-client.js';

/**
 * The operators' read model, only when ADMIN_TOKEN is set (otherwise /admin/api does not exist
 * and nothing should index). Each opens its own connection, which it closes:
 * - SQLite: the gateway's file, with the background indexer (full-text search, usage table);
 * - Redis: the chat store's keys, read as they are (search and usage by bounded scans).
 * The jieba dictionary loads on the first text cut.
 */
export async function createAdminStore(config: Readonly<Config>, logger: Logger): Promise<AdminStore | undefined> {
  if (!config.adminToken) return undefined;
  const { createJiebaTokenizer } = await import('../knowledge-base/index/tokenizer.js');
  if (config.redisUrl) {
    const [{ createRedisClient, reconnectBackoff }, { RedisAdminStore }] = await Promise.all([
      import('../store/redis/create-redis-client.js'),
      import('../admin/redis/redis-admin-store.js'),
    ]);
    const client = createRedisClient(config.redisUrl, {
      lazyConnect: true,
      enableAutoPipelining: true,
      maxRetriesPerRequest: 2,
      retryStrategy: reconnectBackoff,
      connectTimeout: 5_000,
      commandTimeout: 10_000,
    });
    // the chat store reports outages; this connection only must not crash the process
    client.on('error', () => {});
    return new RedisAdminStore(client, config.redisKeyPrefix, createJiebaTokenizer(), () => closeRedisClient(client));
  }
  const [{ openSqlite }, { SqliteAdminStore }] = await Promise.all([
    import('../store/sqlite/open-sqlite.js'),
    import('../admin/sqlite/sqlite-admin-store.js'),
  ]);
  const db = openSqlite(join(config.dataDir, 'gateway.sqlite'));
  return new SqliteAdminStore(db, createJiebaTokenizer(), {
    ownsDb: true,
    onError: (error) => logger.warn({ error: String(error) }, 'admin index: a background pass failed (retrying)'),
  });
}
