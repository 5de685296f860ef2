import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runFeedbackStoreContract } from '../feedback-store.contract.js';
import { runHistoryStoreContract } from '../history-store.contract.js';
import { runSessionStoreContract } from '../session-store.contract.js';
import { createSqliteStores } from './create-sqlite-stores.js';
import { openSqlite } from './open-sqlite.js';
import { SqliteHistoryStore } from './sqlite-history-store.js';

const dir = mkdtempSync(join(tmpdir(), 'wag-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
/** A fresh file per test, in a directory that doesn't exist yet (openSqlite creates it). */
function tempFile(): string {
  return join(dir, `run-${++n}`, 'gateway.db');
}

runHistoryStoreContract('sqlite', async () => {
  const stores = createSqliteStores(tempFile());
  return { store: stores.history, cleanup: () => stores.close() };
});

runSessionStoreContract('sqlite', async () => {
  const stores = createSqliteStores(tempFile());
  return { store: stores.sessions, cleanup: () => stores.close() };
});

runFeedbackStoreContract('sqlite', async () => {
  const stores = createSqliteStores(tempFile());
  return { store: stores.feedback, cleanup: () => stores.close() };
});

describe('SQLite stores', () => {
  it('keeps history, the current conversation and sessions across a restart', async () => {
    const file = tempFile();
    const first = createSqliteStores(file);
    await first.history.append('o_1', { id: 'old', role: 'user', content: '旧', status: 'complete', createdAt: 1 });
    await first.history.clear('o_1');
    await first.history.append('o_1', { id: 'new', role: 'user', content: '新 🙂', status: 'complete', createdAt: 2 });
    const session = { sessionId: 's_1', openid: 'o_1', sessionKey: 'k', createdAt: 1, expiresAt: Date.now() + 60_000 };
    await first.sessions.put(session);
    await first.close();

    const second = createSqliteStores(file);
    try {
      assert.deepEqual(await second.history.listRecent('o_1', 10), [
        { id: 'new', role: 'user', content: '新 🙂', status: 'complete', createdAt: 2 },
      ]);
      assert.deepEqual(await second.sessions.get('s_1'), session);
    } finally {
      await second.close();
    }
  });

  it('re-running migrations on an up-to-date file is a no-op', () => {
    const file = tempFile();
    const first = openSqlite(file);
    const version = first.pragma('user_version', { simple: true }) as number;
    first.close();
    assert.ok(version >= 3, 'every migration ran (conversations 2, uploads 3)');
    const db = openSqlite(file);
    assert.equal(db.pragma('user_version', { simple: true }), version);
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    db.close();
  });

  it('refuses a file from a newer schema', () => {
    const file = tempFile();
    const db = openSqlite(file);
    db.pragma('user_version = 99');
    db.close();
    assert.throws(() => openSqlite(file), /newer than this build/);
  });

  it('closing one store leaves the other working; the bundle closes the file once', async () => {
    const stores = createSqliteStores(':memory:');
    await stores.history.close();
    await assert.rejects(stores.history.ping(), /closed/);
    await stores.sessions.ping();
    await stores.close();
    await stores.close();
    await assert.rejects(stores.sessions.ping(), /closed/);
  });

  it('a store given a database never closes it', async () => {
    const db = openSqlite(':memory:');
    const store = new SqliteHistoryStore(db);
    await store.close();
    assert.equal(db.open, true);
    db.close();
  });

  it('reads answers written before model and sources were typed (a free-form meta column)', async () => {
    const db = openSqlite(':memory:');
    const source = { title: '手册', source: '手册.md', snippet: '……', score: 0.5 };
    db.prepare(
      `INSERT INTO messages (openid, conversation, id, role, content, status, created_at, usage, meta)
       VALUES ('o_1', 0, 'a', 'assistant', '答', 'complete', 1, NULL, ?)`,
    ).run(JSON.stringify({ model: 'offline', sources: [source, 'junk'], nested: { ok: true } }));
    const [read] = await new SqliteHistoryStore(db).listRecent('o_1', 1);
    assert.deepEqual(read, { id: 'a', role: 'assistant', content: '答', status: 'complete', createdAt: 1, model: 'offline', sources: [source] });
    db.close();
  });

  it('keeps cleared conversations on disk for audit', async () => {
    const db = openSqlite(':memory:');
    const store = new SqliteHistoryStore(db);
    await store.append('o_1', { id: 'a', role: 'user', content: 'x', status: 'complete', createdAt: 1 });
    await store.clear('o_1');
    assert.equal(db.prepare('SELECT COUNT(*) FROM messages').pluck().get(), 1);
    db.close();
  });

  it('a batch that fails (a full disk) leaves no trace in what the store remembers: once writes work again the conversation gets its summary', async () => {
    const db = openSqlite(':memory:');
    const store = new SqliteHistoryStore(db);
    // the disk fills after the batch's first two rows went in, and stays full for the retries
    let full = false;
    db.function('disk_full', (id: unknown) => Number(full || (id === 'q3' && (full = true))));
    db.exec(`CREATE TRIGGER fill AFTER INSERT ON messages WHEN disk_full(NEW.id) BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`);
    const ask = (id: string, content: string) => store.append('o_1', { id, role: 'user', content, status: 'complete', createdAt: 1 });
    const conversation = await store.currentConversation('o_1');
    // one turn: the first row creates the summary with its title, the second sees it started
    const turn = await Promise.allSettled([ask('q1', '第一个问题'), ask('q2', '第二个'), ask('q3', '第三个')]);
    assert.deepEqual(turn.map((r) => r.status), ['rejected', 'rejected', 'rejected']);
    full = false;
    await ask('q4', '磁盘好了以后');
    const { items } = await store.listConversations('o_1', { limit: 10 });
    assert.deepEqual(items.map(({ id, title, messageCount }) => ({ id, title, messageCount })), [{ id: conversation, title: '磁盘好了以后', messageCount: 1 }]);
    db.close();
  });

  it('a new conversation is summarised from its own first message, whatever the one before had', async () => {
    const db = openSqlite(':memory:');
    const store = new SqliteHistoryStore(db);
    const ask = (id: string, content: string) => store.append('o_1', { id, role: 'user', content, status: 'complete', createdAt: 1 });
    const first = await store.currentConversation('o_1');
    await ask('a1', '旧话题');
    await ask('a2', '旧话题的第二问');
    await store.clear('o_1');
    const second = await store.currentConversation('o_1');
    await ask('b1', '新话题');
    await ask('b2', '新话题的第二问');
    const { items } = await store.listConversations('o_1', { limit: 10 });
    assert.deepEqual(
      items.map(({ id, title, messageCount }) => ({ id, title, messageCount })).sort((x, y) => x.title.localeCompare(y.title)),
      [
        { id: second, title: '新话题', messageCount: 2 },
        { id: first, title: '旧话题', messageCount: 2 },
      ].sort((x, y) => x.title.localeCompare(y.title)),
    );
    db.close();
  });
});
