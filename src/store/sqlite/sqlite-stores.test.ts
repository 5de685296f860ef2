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
    assert.ok(version >= 3, 'every migration ran (conversations, then the uploads table)');
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
});
