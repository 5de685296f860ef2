import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { StoredMessage } from '../history-store.js';
import { runFeedbackStoreContract } from '../feedback-store.contract.js';
import { runHistoryStoreContract } from '../history-store.contract.js';
import { runSessionStoreContract } from '../session-store.contract.js';
import type { StoreBundle } from '../store-bundle.js';
import { createRedisStores } from './create-redis-stores.js';
import { RedisHistoryStore } from './redis-history-store.js';

// The real Redis the test environment provides; no mocks.
const url = 'redis://127.0.0.1:6379';
const runId = `wag-test-${randomUUID()}:`;
/** The tests' own connection, for inspecting and deleting keys. */
const admin = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2 });
after(async () => {
  await deleteKeys(runId);
  await admin.quit();
});

async function deleteKeys(prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await admin.scan(cursor, 'MATCH', `${escapeGlob(prefix)}*`, 'COUNT', 500);
    if (keys.length > 0) await admin.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

function escapeGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, '\\$&');
}

/** A bundle under a prefix no other test uses; cleanup deletes its keys and closes it. */
async function fixture(): Promise<{ stores: StoreBundle; prefix: string; cleanup(): Promise<void> }> {
  const prefix = `${runId}${randomUUID()}:`;
  const stores = createRedisStores({ url, prefix });
  return {
    stores,
    prefix,
    cleanup: async () => {
      await stores.close();
      await deleteKeys(prefix);
    },
  };
}

runHistoryStoreContract('redis', async () => {
  const f = await fixture();
  return { store: f.stores.history, cleanup: f.cleanup };
});

runSessionStoreContract('redis', async () => {
  const f = await fixture();
  return { store: f.stores.sessions, cleanup: f.cleanup };
});

runFeedbackStoreContract('redis', async () => {
  const f = await fixture();
  return { store: f.stores.feedback, cleanup: f.cleanup };
});

describe('Redis stores', () => {
  const message = (id: string): StoredMessage => ({ id, role: 'user', content: id, status: 'complete', createdAt: 1 });

  it('keeps only the newest maxMessages and forgets the ids it dropped', async () => {
    const prefix = `${runId}${randomUUID()}:`;
    const store = new RedisHistoryStore(admin, prefix, { maxMessages: 3 });
    for (const id of ['a', 'b', 'c', 'd', 'e']) await store.append('o_1', message(id));
    assert.deepEqual((await store.listRecent('o_1', 10)).map((m) => m.id), ['c', 'd', 'e']);
    assert.deepEqual((await admin.smembers(`${prefix}hist:{o_1}:0:ids`)).sort(), ['c', 'd', 'e']);
    await store.close();
    await deleteKeys(prefix);
  });

  it('forgets the id of a dropped message however its JSON reads (escaped id, fields in another order)', async () => {
    const prefix = `${runId}${randomUUID()}:`;
    const store = new RedisHistoryStore(admin, prefix, { maxMessages: 2 });
    const quoted = 'say "hi" \\ there';
    await store.append('o_1', message(quoted));
    // as another writer might have stored it: the id is not the first field
    const { id, ...rest } = message('late-id');
    await admin.rpush(`${prefix}hist:{o_1}:0:msgs`, JSON.stringify({ ...rest, id }));
    await admin.sadd(`${prefix}hist:{o_1}:0:ids`, 'late-id');
    for (const next of ['x', 'y']) await store.append('o_1', message(next));
    assert.deepEqual((await store.listRecent('o_1', 10)).map((m) => m.id), ['x', 'y']);
    assert.deepEqual((await admin.smembers(`${prefix}hist:{o_1}:0:ids`)).sort(), ['x', 'y']);
    // dropped ids are new again
    await store.append('o_1', message(quoted));
    assert.deepEqual((await store.listRecent('o_1', 10)).map((m) => m.id), ['y', quoted]);
    await store.close();
    await deleteKeys(prefix);
  });

  it('reads the newest messages of a named conversation, and none of an unknown one', async () => {
    const prefix = `${runId}${randomUUID()}:`;
    const store = new RedisHistoryStore(admin, prefix);
    for (const id of ['a', 'b', 'c']) await store.append('o_1', message(id));
    const earlier = await store.currentConversation('o_1');
    await store.clear('o_1');
    await store.append('o_1', message('d'));
    assert.deepEqual((await store.listRecent('o_1', 2, earlier)).map((m) => m.id), ['b', 'c']);
    assert.deepEqual((await store.listRecent('o_1', 2)).map((m) => m.id), ['d']);
    assert.deepEqual(await store.listRecent('o_1', 2, randomUUID()), []);
    await store.close();
    await deleteKeys(prefix);
  });

  it('reads answers written before model and sources were typed (a free-form meta field)', async () => {
    const prefix = `${runId}${randomUUID()}:`;
    const source = { title: '手册', source: '手册.md', snippet: '……', score: 0.5 };
    const legacy = { ...message('a'), role: 'assistant', meta: { model: 'offline', sources: [source, 'junk'], nested: { ok: true } } };
    await admin.rpush(`${prefix}hist:{o_1}:0:msgs`, JSON.stringify(legacy));
    const [read] = await new RedisHistoryStore(admin, prefix).listRecent('o_1', 1);
    assert.deepEqual(read, { ...message('a'), role: 'assistant', model: 'offline', sources: [source] });
    await deleteKeys(prefix);
  });

  it('puts a sliding expiry on a conversation when retainMs is set', async () => {
    const prefix = `${runId}${randomUUID()}:`;
    const store = new RedisHistoryStore(admin, prefix, { retainMs: 60_000 });
    await store.append('o_1', message('a'));
    const ttl = await admin.pttl(`${prefix}hist:{o_1}:0:msgs`);
    assert.ok(ttl > 50_000 && ttl <= 60_000, `pttl ${ttl}`);
    await deleteKeys(prefix);
  });

  it('refreshes expiries every 1 % of the retention, counted from the last refresh: a busy conversation never runs short', async () => {
    const prefix = `${runId}${randomUUID()}:`;
    let now = 1_800_000_000_000;
    const store = new RedisHistoryStore(admin, prefix, { retainMs: 60_000, now: () => now });
    const keys = ['0:msgs', '0:ids', 'conv', 'num', 'convs'].map((key) => `${prefix}hist:{o_1}:${key}`);
    const ttls = () => Promise.all(keys.map((key) => admin.pttl(key)));
    await store.append('o_1', message('a'));
    for (const ttl of await ttls()) assert.ok(ttl > 59_000, `first message: pttl ${ttl}`);
    // as if 30 s had passed in Redis: a refresh shows as a TTL back near 60 s
    for (const key of keys) await admin.pexpire(key, 30_000);
    now += 400; // under 1 % (600 ms) since the refresh: this append sends no PEXPIRE
    await store.append('o_1', message('b'));
    for (const ttl of await ttls()) assert.ok(ttl <= 30_000, `not refreshed yet: pttl ${ttl}`);
    now += 400; // 800 ms since the refresh, though only 400 since the last message
    await store.append('o_1', message('c'));
    for (const ttl of await ttls()) assert.ok(ttl > 59_000, `refreshed: pttl ${ttl}`);
    assert.deepEqual((await store.listRecent('o_1', 10)).map((m) => m.id), ['a', 'b', 'c']);
    await deleteKeys(prefix);
  });

  it('clear leaves the old conversation to expire (not forever, not deleted) and keeps the pointer alive', async () => {
    const prefix = `${runId}${randomUUID()}:`;
    const store = new RedisHistoryStore(admin, prefix, { retainMs: 60_000 });
    await store.append('o_1', message('old'));
    await admin.persist(`${prefix}hist:{o_1}:0:msgs`); // as a conversation written before retention existed
    await store.clear('o_1');
    const oldTtl = await admin.pttl(`${prefix}hist:{o_1}:0:msgs`);
    assert.ok(oldTtl > 50_000 && oldTtl <= 60_000, `old conversation pttl ${oldTtl}`);
    assert.ok((await admin.pttl(`${prefix}hist:{o_1}:0:ids`)) > 50_000);
    assert.deepEqual(await admin.lrange(`${prefix}hist:{o_1}:0:msgs`, 0, -1).then((l) => l.length), 1, 'kept, not deleted');
    assert.ok((await admin.pttl(`${prefix}hist:{o_1}:cur`)) > 50_000, 'the pointer expires too, never before its conversations');
    await store.append('o_1', message('new'));
    assert.ok((await admin.pttl(`${prefix}hist:{o_1}:1:msgs`)) > 50_000);
    assert.deepEqual((await store.listRecent('o_1', 10)).map((m) => m.id), ['new']);
    await deleteKeys(prefix);
  });

  it('with retention 0 nothing expires, cleared conversations included', async () => {
    const prefix = `${runId}${randomUUID()}:`;
    const store = new RedisHistoryStore(admin, prefix, { retainMs: 0 });
    await store.append('o_1', message('a'));
    await store.clear('o_1');
    await store.append('o_1', message('b'));
    for (const key of ['0:msgs', '0:ids', '1:msgs', 'cur']) assert.equal(await admin.pttl(`${prefix}hist:{o_1}:${key}`), -1, key);
    await deleteKeys(prefix);
  });

  it('keeps 200 messages per conversation by default', async () => {
    const prefix = `${runId}${randomUUID()}:`;
    const store = new RedisHistoryStore(admin, prefix);
    for (let i = 0; i < 205; i++) await store.append('o_1', message(`m${i}`));
    const kept = await store.listRecent('o_1', 1_000);
    assert.equal(kept.length, 200);
    assert.equal(kept[0]?.id, 'm5');
    await deleteKeys(prefix);
  });

  it('puts a Redis expiry on sessions, moved by touch', async () => {
    const f = await fixture();
    const expiresAt = Date.now() + 60_000;
    await f.stores.sessions.put({ sessionId: 's', openid: 'o', sessionKey: 'k', createdAt: 1, expiresAt });
    assert.ok((await admin.pttl(`${f.prefix}sess:s`)) > 50_000);
    await f.stores.sessions.touch('s', Date.now() + 600_000);
    assert.ok((await admin.pttl(`${f.prefix}sess:s`)) > 500_000);
    await f.cleanup();
  });

  it('a store given a client never closes it', async () => {
    const store = new RedisHistoryStore(admin, runId);
    await store.close();
    await assert.rejects(store.ping(), /closed/);
    assert.equal(await admin.ping(), 'PONG');
  });

  it('rejects calls (and reports, never throws) when Redis is unreachable', async () => {
    const errors: Error[] = [];
    const stores = createRedisStores({ url: 'redis://127.0.0.1:1', onError: (e) => errors.push(e) });
    await assert.rejects(stores.history.ping());
    await assert.rejects(stores.sessions.get('s'));
    assert.ok(errors.length > 0, 'onError saw the connection failure');
    await stores.close();
    await stores.close();
  });

  it('closes a bundle that never connected', async () => {
    const stores = createRedisStores({ url });
    await stores.close();
    await stores.close();
  });
});
