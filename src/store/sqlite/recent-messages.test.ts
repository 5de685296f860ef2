import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StoredMessage } from '../history-store.js';
import { openSqlite } from './open-sqlite.js';
import { RecentMessages } from './recent-messages.js';
import { SqliteHistoryStore } from './sqlite-history-store.js';

const message = (id: string, content = id): StoredMessage => ({ id, role: 'user', content, status: 'complete', createdAt: 1 });
const ids = (messages: StoredMessage[]) => messages.map((m) => m.id);

function freshStore() {
  const db = openSqlite(':memory:');
  return { db, store: new SqliteHistoryStore(db) };
}

describe('recent messages of a conversation, kept in step with commits (SQLite history)', () => {
  it('a read after appends is served from memory and still has every committed message, in order', async () => {
    const { db, store } = freshStore();
    for (const id of ['a', 'b']) await store.append('o_1', message(id));
    assert.deepEqual(ids(await store.listRecent('o_1', 10)), ['a', 'b']);
    await Promise.all(['c', 'd'].map((id) => store.append('o_1', message(id))));
    // a row written behind the store's back (no gateway does this) shows the read came from memory
    db.prepare(`INSERT INTO messages (openid, conversation, id, role, content, status, created_at) VALUES ('o_1', 0, 'x', 'user', 'x', 'complete', 1)`).run();
    assert.deepEqual(ids(await store.listRecent('o_1', 10)), ['a', 'b', 'c', 'd']);
    assert.deepEqual(ids(await store.listRecent('o_1', 2)), ['c', 'd']);
    db.close();
  });

  it('a message is what a read of the table returns (round trip), and frozen', async () => {
    const { db, store } = freshStore();
    await store.listRecent('o_1', 10);
    const answer: StoredMessage = {
      id: 'r1', role: 'assistant', content: '答', status: 'complete', createdAt: 5,
      usage: { promptTokens: 3, completionTokens: 4, totalTokens: 7 }, model: 'm', sources: [{ title: 't', source: 's', score: 0.5 }],
    } as StoredMessage;
    await store.append('o_1', { ...answer, flagged: undefined } as StoredMessage);
    const [cached] = await store.listRecent('o_1', 10);
    const fresh = new SqliteHistoryStore(db);
    const [read] = await fresh.listRecent('o_1', 10);
    assert.deepEqual(cached, read);
    assert.ok(Object.isFrozen(cached));
    db.close();
  });

  it('a duplicate id is ignored in memory as in the table', async () => {
    const { db, store } = freshStore();
    await store.append('o_1', message('a'));
    await store.listRecent('o_1', 10);
    await store.append('o_1', message('a', 'again'));
    assert.deepEqual((await store.listRecent('o_1', 10)).map((m) => m.content), ['a']);
    db.close();
  });

  it('a batch that fails rolls back and forgets what it noted: the good rows of it appear once', async () => {
    const { db, store } = freshStore();
    db.exec(`CREATE TRIGGER refuse BEFORE INSERT ON messages WHEN NEW.content = 'boom' BEGIN SELECT RAISE(ABORT, 'refused'); END`);
    await store.append('o_1', message('a'));
    await store.listRecent('o_1', 10);
    const results = await Promise.allSettled([store.append('o_1', message('b')), store.append('o_1', message('c', 'boom')), store.append('o_1', message('d'))]);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.deepEqual(ids(await store.listRecent('o_1', 10)), ['a', 'b', 'd']);
    db.close();
  });

  it('other conversations, a new conversation after clear, a deleted conversation', async () => {
    const { db, store } = freshStore();
    await store.append('o_1', message('a'));
    const first = await store.currentConversation('o_1');
    await store.listRecent('o_1', 10, first);
    await store.clear('o_1');
    await store.append('o_1', message('b'));
    assert.deepEqual(ids(await store.listRecent('o_1', 10)), ['b']);
    assert.deepEqual(ids(await store.listRecent('o_1', 10, first)), ['a']);
    assert.deepEqual(ids(await store.listRecent('o_2', 10)), []);
    assert.equal(await store.deleteConversation('o_1', first), true);
    assert.deepEqual(await store.listRecent('o_1', 10, first), []);
    db.close();
  });
});

describe('RecentMessages (bounds)', () => {
  it('keeps at most `keep` messages: a longer read is not answered from memory', () => {
    const cache = new RecentMessages(3);
    cache.fill('o', 0, [message('a'), message('b')], cache.readLimit(2));
    assert.deepEqual(ids(cache.get('o', 0, 10)!), ['a', 'b'], 'the whole conversation is known');
    for (const id of ['c', 'd']) cache.appended('o', 0, message(id));
    assert.deepEqual(ids(cache.get('o', 0, 3)!), ['b', 'c', 'd']);
    assert.equal(cache.get('o', 0, 4), undefined, 'a is no longer here, and it existed');
  });

  it('forgets the least recently read conversation past its bound; appends to unknown ones add nothing', () => {
    const cache = new RecentMessages(2, 2);
    cache.fill('a', 0, [], 2);
    cache.fill('b', 0, [], 2);
    cache.get('a', 0, 1);
    cache.fill('c', 0, [], 2);
    assert.equal(cache.get('b', 0, 1), undefined);
    assert.deepEqual(cache.get('a', 0, 1), []);
    cache.appended('z', 0, message('m'));
    assert.equal(cache.get('z', 0, 1), undefined);
  });
});
