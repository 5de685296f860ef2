import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { Redis } from 'ioredis';
import { openSqlite } from '../store/sqlite/open-sqlite.js';
import { runMediaCheckStoreContract } from './media-check-store.contract.js';
import { RedisMediaCheckStore } from './redis-media-check-store.js';
import { SqliteMediaCheckStore } from './sqlite-media-check-store.js';

const runId = `wag-test-${randomUUID()}:`;
const client = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: 2 });
after(async () => {
  const keys = await client.keys(`${runId}*`);
  if (keys.length > 0) await client.del(...keys);
  await client.quit();
});

runMediaCheckStoreContract('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wag-mcheck-'));
  const file = join(dir, 'gateway.sqlite');
  // opened twice: the second open finds its migrations applied and changes nothing
  await new SqliteMediaCheckStore(openSqlite(file), { ownsDb: true }).close();
  const store = new SqliteMediaCheckStore(openSqlite(file), { ownsDb: true });
  return { store, cleanup: async () => (await store.close(), rmSync(dir, { recursive: true, force: true })) };
});

runMediaCheckStoreContract('redis', async () => ({ store: new RedisMediaCheckStore(client, runId), cleanup: async () => {} }));
