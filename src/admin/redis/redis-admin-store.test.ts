import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, test } from 'node:test';
import { Redis } from 'ioredis';
import { createJiebaTokenizer } from '../../knowledge-base/index/tokenizer.js';
import { RedisHistoryStore } from '../../store/redis/redis-history-store.js';
import { RedisAdminStore } from './redis-admin-store.js';

// The real Redis the test environment provides, under a prefix of this run, deleted after.
const client = new Redis('redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 2 });
const prefix = `wag-test-admin-${randomUUID()}:`;
after(async () => {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    if (keys.length > 0) await client.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  await client.quit();
});

test('search reads a bounded number of conversations per page, says so, and goes on from its cursor', async () => {
  const history = new RedisHistoryStore(client, prefix);
  // the oldest conversation holds the word; seven newer ones do not
  await history.append('old', { id: 'q0', role: 'user', content: '积分怎么兑换', status: 'complete', createdAt: 1_000 });
  for (let i = 1; i <= 7; i++) {
    await history.append(`u${i}`, { id: `q${i}`, role: 'user', content: `第${i}个关于配送的问题`, status: 'complete', createdAt: 1_000 + i });
  }
  const admin = new RedisAdminStore(client, prefix, createJiebaTokenizer(), async () => {}, { searchScan: 3, usageScan: 4 });

  const pages = [];
  let cursor: string | undefined;
  do {
    const page = await admin.listConversations({ limit: 20, q: '积分', ...(cursor && { cursor }) });
    pages.push(page);
    cursor = page.nextCursor;
  } while (cursor && pages.length < 10);
  assert.deepEqual(pages.map((p) => [p.items.length, p.truncated]), [[0, true], [0, true], [1, false]]);
  assert.equal(pages[2]!.items[0]!.openid, 'old');
  assert.match(pages[2]!.items[0]!.snippet!, /积分/);

  const plain = await admin.listConversations({ limit: 20 });
  assert.equal(plain.items.length, 8, 'a list without q is not bounded');
  assert.equal(plain.truncated, undefined);

  const usage = await admin.usage({ from: 0, to: 10_000 }, 10);
  assert.equal(usage.truncated, true);
  assert.equal(usage.totals.chats, 4, 'the newest four conversations');
});
