import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { Redis } from 'ioredis';
import { openSqlite } from '../store/sqlite/open-sqlite.js';
import { RedisUploadCatalog } from './redis-upload-catalog.js';
import { SqliteUploadCatalog } from './sqlite-upload-catalog.js';
import { runUploadCatalogContract } from './upload-catalog.contract.js';

const runId = `wag-test-${randomUUID()}:`;
const client = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: 2 });
after(async () => {
  const keys = await client.keys(`${runId}*`);
  if (keys.length > 0) await client.del(...keys);
  await client.quit();
});

runUploadCatalogContract(
  'sqlite',
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wag-upcat-'));
    const catalog = new SqliteUploadCatalog(openSqlite(join(dir, 'gateway.sqlite')), { ownsDb: true });
    return { catalog, cleanup: async () => (await catalog.close(), rmSync(dir, { recursive: true, force: true })) };
  },
  { expiresBySelf: false },
);

runUploadCatalogContract('redis', async (now) => ({ catalog: new RedisUploadCatalog(client, runId, now), cleanup: async () => {} }), { expiresBySelf: true });

it('redis catalog: a record expires in Redis itself at its expiry', async () => {
  const now = Date.now();
  const catalog = new RedisUploadCatalog(client, runId, () => now);
  const upload = { id: 'a'.repeat(24), openid: 'o', kind: 'image' as const, mime: 'image/png', bytes: 1, createdAt: now, expiresAt: now + 90_000 };
  await catalog.put(upload);
  const ttl = await client.pttl(`${runId}upload:${upload.id}`);
  assert.ok(ttl > 80_000 && ttl <= 90_000, `ttl ${ttl}`);
});
