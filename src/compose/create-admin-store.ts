import { join } from 'node:path';
import type { Logger } from 'pino';
import type { AdminStore } from '../admin/admin-store.js';
import type { Config } from '../config/config-schema.js';

/**
 * The operators' read model, only when ADMIN_TOKEN is set (otherwise /admin/api does not exist
 * and nothing should index). SQLite: its own connection to the gateway's file, with the
 * background indexer; the jieba dictionary loads on the first message indexed.
 */
export async function createAdminStore(config: Readonly<Config>, logger: Logger): Promise<AdminStore | undefined> {
  if (!config.adminToken) return undefined;
  if (config.redisUrl) return undefined;
  const [{ openSqlite }, { SqliteAdminStore }, { createJiebaTokenizer }] = await Promise.all([
    import('../store/sqlite/open-sqlite.js'),
    import('../admin/sqlite/sqlite-admin-store.js'),
    import('../knowledge-base/index/tokenizer.js'),
  ]);
  const db = openSqlite(join(config.dataDir, 'gateway.sqlite'));
  return new SqliteAdminStore(db, createJiebaTokenizer(), {
    ownsDb: true,
    onError: (error) => logger.warn({ error: String(error) }, 'admin index: a background pass failed (retrying)'),
  });
}
