import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { StoredMessage } from '../history-store.js';
import { RedisFeedbackStore } from './redis-feedback-store.js';
import { RedisHistoryStore } from './redis-history-store.js';

// The real Redis the test environment provides; every test under its own prefix, deleted after.
const url = 'redis://127.0.0.1:6379';
const runId = `wag-test-${randomUUID()}:`;
const admin = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2 });
after(async () => {
  let cursor = '0';
  do {
    const [next, keys] = await admin.scan(cursor, 'MATCH', `${runId}*`, 'COUNT', 500);
    if (keys.length > 0) await admin.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  await admin.quit();
});

const prefix = () => `${runId}${randomUUID()}:`;
const message = (id: string, extra: Partial<StoredMessage> = {}): StoredMessage => ({
  id, role: 'user', content: `问 ${id}`, status: 'complete', createdAt: Date.now(), ...extra,
});

describe('Redis conversations', () => {
  it('adopts conversations written before ids existed: listed with titles and counts, the current one continues', async () => {
    const p = prefix();
    const base = `${p}hist:{o_1}`;
    const legacy = (m: StoredMessage) => JSON.stringify(m);
    await admin.rpush(`${base}:0:msgs`, legacy(message('b', { status: 'blocked', createdAt: 100 })), legacy(message('q', { content: '旧的问题', createdAt: 101 })), legacy(message('a', { role: 'assistant', createdAt: 150 })));
    await admin.sadd(`${base}:0:ids`, 'b', 'q', 'a');
    await admin.rpush(`${base}:2:msgs`, legacy(message('q2', { content: '当前的', createdAt: 300 })));
    await admin.sadd(`${base}:2:ids`, 'q2');
    await admin.set(`${base}:cur`, '2'); // conversation 1 was cleared empty

    const store = new RedisHistoryStore(admin, p);
    const listed = (await store.listConversations('o_1', { limit: 10 })).items;
    assert.deepEqual(listed.map(({ id: _, ...rest }) => rest), [
      { title: '当前的', createdAt: 300, updatedAt: 300, messageCount: 1 },
      { title: '旧的问题', createdAt: 100, updatedAt: 150, messageCount: 3 },
    ]);
    assert.equal(await store.currentConversation('o_1'), listed[0]!.id);
    await store.append('o_1', message('a2', { role: 'assistant', createdAt: 400 }));
    assert.deepEqual((await store.listRecent('o_1', 10)).map((m) => m.id), ['q2', 'a2']);
    assert.deepEqual((await store.listRecent('o_1', 10, listed[1]!.id)).map((m) => m.id), ['b', 'q', 'a']);
    assert.equal((await store.findMessage('o_1', 'a'))?.conversationId, listed[1]!.id);
    assert.deepEqual(await admin.zrange(`${p}conv:all`, '0', '-1'), [listed[1]!.id, listed[0]!.id], 'in the global index too');
    // a second instance does not adopt again: same ids
    const again = new RedisHistoryStore(admin, p);
    assert.deepEqual((await again.listConversations('o_1', { limit: 10 })).items.map((c) => c.id), listed.map((c) => c.id));
  });

  it('adopts on the first append too, before writing', async () => {
    const p = prefix();
    await admin.rpush(`${p}hist:{o_1}:0:msgs`, JSON.stringify(message('old', { createdAt: 5 })));
    await admin.sadd(`${p}hist:{o_1}:0:ids`, 'old');
    const store = new RedisHistoryStore(admin, p);
    await store.append('o_1', message('new', { createdAt: 6 }));
    const [only] = (await store.listConversations('o_1', { limit: 10 })).items;
    assert.deepEqual({ ...only, id: '' }, { id: '', title: '问 old', createdAt: 5, updatedAt: 6, messageCount: 2 });
  });

  it('puts the retention expiry on the new keys and drops conversations past it', async () => {
    const p = prefix();
    const store = new RedisHistoryStore(admin, p, { retainMs: 60_000 });
    await store.append('o_1', message('stale', { createdAt: Date.now() - 120_000 }));
    const stale = await store.currentConversation('o_1');
    await store.clear('o_1');
    await store.append('o_1', message('fresh'));
    for (const key of ['conv', 'num', 'convs', 'top', 'cur']) {
      const ttl = await admin.pttl(`${p}hist:{o_1}:${key}`);
      assert.ok(ttl > 50_000 && ttl <= 60_000, `${key} pttl ${ttl}`);
    }
    assert.deepEqual((await store.listConversations('o_1', { limit: 10 })).items.map((c) => c.title), ['问 fresh']);
    assert.equal(await admin.hexists(`${p}hist:{o_1}:conv`, stale), 0, 'its summary is gone');
    assert.equal(await admin.exists(`${p}hist:{o_1}:0:msgs`), 0, 'and its messages');
  });

  it('deleteConversation removes its keys and its global index entry', async () => {
    const p = prefix();
    const store = new RedisHistoryStore(admin, p);
    await store.append('o_1', message('x'));
    const id = await store.currentConversation('o_1');
    assert.equal(await admin.hget(`${p}conv:owner`, id), 'o_1');
    assert.notEqual(await admin.zscore(`${p}conv:all`, id), null);
    assert.equal(await store.deleteConversation('o_1', id), true);
    assert.equal(await admin.exists(`${p}hist:{o_1}:0:msgs`, `${p}hist:{o_1}:0:ids`), 0);
    assert.equal(await admin.hexists(`${p}hist:{o_1}:conv`, id), 0);
    assert.equal(await admin.zscore(`${p}hist:{o_1}:convs`, id), null);
    assert.equal(await admin.zscore(`${p}conv:all`, id), null);
    assert.equal(await admin.hget(`${p}conv:owner`, id), null);
  });

  it('the global index lists every user\'s conversations by updatedAt', async () => {
    const p = prefix();
    const store = new RedisHistoryStore(admin, p);
    await store.append('alice', message('a', { createdAt: 1_000 }));
    await store.append('bob', message('b', { createdAt: 2_000 }));
    await store.append('alice', message('a2', { createdAt: 3_000 }));
    const [alice, bob] = [await store.currentConversation('alice'), await store.currentConversation('bob')];
    assert.deepEqual(await admin.zrevrange(`${p}conv:all`, 0, -1, 'WITHSCORES'), [alice, '3000', bob, '2000']);
    assert.deepEqual(await admin.hgetall(`${p}conv:owner`), { [alice]: 'alice', [bob]: 'bob' });
  });

  it('feedback: per-user hash plus a global sorted set, both cleaned by deleteConversation', async () => {
    const p = prefix();
    const store = new RedisFeedbackStore(admin, p, { retainMs: 60_000 });
    const now = Date.now();
    await store.rate({ openid: 'o_1', conversationId: 'c', answerId: 'a1', rating: 'up' }, now);
    await store.rate({ openid: 'o_1', conversationId: 'c', answerId: 'a2', rating: 'down', comment: '不对' }, now + 1);
    assert.deepEqual(await admin.zrange(`${p}fb:all`, '0', '-1'), ['["o_1","a1"]', '["o_1","a2"]']);
    const ttl = await admin.pttl(`${p}fb:{o_1}`);
    assert.ok(ttl > 50_000 && ttl <= 60_000, `pttl ${ttl}`);
    await store.deleteConversation('o_1', 'c');
    assert.equal(await admin.exists(`${p}fb:{o_1}`), 0);
    assert.deepEqual(await admin.zrange(`${p}fb:all`, '0', '-1'), []);
  });
});
