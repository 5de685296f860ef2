import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { createSqliteStores } from './create-sqlite-stores.js';

const dir = mkdtempSync(join(tmpdir(), 'wag-backfill-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Schema version 1 exactly as shipped: what files in the field hold before migration 2. */
const VERSION_1 = `
  CREATE TABLE messages (
    seq INTEGER PRIMARY KEY, openid TEXT NOT NULL, conversation INTEGER NOT NULL, id TEXT NOT NULL,
    role TEXT NOT NULL, content TEXT NOT NULL, status TEXT NOT NULL, created_at INTEGER NOT NULL,
    usage TEXT, meta TEXT, UNIQUE (openid, conversation, id)
  );
  CREATE INDEX messages_by_conversation ON messages (openid, conversation, seq);
  CREATE TABLE conversations (openid TEXT PRIMARY KEY, current INTEGER NOT NULL) WITHOUT ROWID;
  CREATE TABLE sessions (
    session_id TEXT PRIMARY KEY, openid TEXT NOT NULL, unionid TEXT, session_key TEXT NOT NULL,
    created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL
  );
  CREATE INDEX sessions_by_expiry ON sessions (expires_at);
  PRAGMA user_version = 1;
`;

type Row = [openid: string, conversation: number, id: string, role: string, content: string, status: string, createdAt: number];

/** A version-1 file: alice cleared once (conversation 0 old, 1 current), bob never, carol cleared after her only one. */
function legacyFile(): string {
  const file = join(dir, `legacy-${Math.random().toString(36).slice(2)}.db`);
  const db = new Database(file);
  db.exec(VERSION_1);
  const rows: Row[] = [
    ['alice', 0, 'a0', 'user', '赌博网站推荐', 'blocked', 100],
    ['alice', 0, 'a1', 'assistant', '已拦截', 'complete', 101],
    ['alice', 0, 'a2', 'user', '  \n ', 'complete', 102],
    ['alice', 0, 'a3', 'user', `退货政策是什么？${'详'.repeat(40)}`, 'complete', 103],
    ['alice', 0, 'a4', 'assistant', '七天无理由', 'complete', 110],
    ['alice', 1, 'a5', 'user', '发票怎么开', 'complete', 200],
    ['bob', 0, 'b1', 'user', '你好', 'complete', 50],
    ['bob', 0, 'b2', 'assistant', '你好！', 'cancelled', 40], // a clock step back: updatedAt is the latest, createdAt the first
    ['carol', 0, 'c1', 'user', '旧问题', 'complete', 10],
  ];
  const insert = db.prepare('INSERT INTO messages (openid, conversation, id, role, content, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
  for (const row of rows) insert.run(...row);
  db.prepare('INSERT INTO conversations (openid, current) VALUES (?, ?)').run('alice', 1);
  db.prepare('INSERT INTO conversations (openid, current) VALUES (?, ?)').run('carol', 1);
  db.close();
  return file;
}

describe('migration 2 on a version-1 file', () => {
  it('gives old conversations ids, titles, counts and times, and keeps them listed', async () => {
    const stores = createSqliteStores(legacyFile());
    try {
      const { history } = stores;
      const alice = (await history.listConversations('alice', { limit: 10 })).items;
      assert.deepEqual(
        alice.map(({ id: _, ...rest }) => rest),
        [
          { title: '发票怎么开', createdAt: 200, updatedAt: 200, messageCount: 1 },
          { title: `退货政策是什么？${'详'.repeat(21)}…`, createdAt: 100, updatedAt: 110, messageCount: 5 },
        ],
      );
      assert.deepEqual((await history.listConversations('bob', { limit: 10 })).items.map(({ id: _, ...rest }) => rest), [
        { title: '你好', createdAt: 50, updatedAt: 50, messageCount: 2 },
      ]);
      const ids = [...alice, ...(await history.listConversations('bob', { limit: 10 })).items].map((c) => c.id);
      assert.equal(new Set(ids).size, 3, 'distinct ids');

      // the current conversation is the one that was current, and continues
      assert.equal(await history.currentConversation('alice'), alice[0]!.id);
      assert.deepEqual((await history.listRecent('alice', 10)).map((m) => m.id), ['a5']);
      assert.deepEqual((await history.listRecent('alice', 10, alice[1]!.id)).map((m) => m.id), ['a0', 'a1', 'a2', 'a3', 'a4']);
      await history.append('alice', { id: 'a6', role: 'assistant', content: '在设置里', status: 'complete', createdAt: 300 });
      assert.deepEqual((await history.listConversations('alice', { limit: 1 })).items[0], {
        id: alice[0]!.id, title: '发票怎么开', createdAt: 200, updatedAt: 300, messageCount: 2,
      });
      assert.equal((await history.findMessage('alice', 'a4'))?.conversationId, alice[1]!.id);

      // a clear goes past every old number; carol's current (cleared, empty) conversation gets an id on use
      await history.clear('alice');
      await history.append('alice', { id: 'a7', role: 'user', content: '新的', status: 'complete', createdAt: 400 });
      assert.equal((await history.listConversations('alice', { limit: 10 })).items.length, 3);
      const carolOld = (await history.listConversations('carol', { limit: 10 })).items;
      assert.deepEqual(carolOld.map((c) => c.title), ['旧问题']);
      assert.notEqual(await history.currentConversation('carol'), carolOld[0]!.id);
      assert.deepEqual(await history.listRecent('carol', 10), []);
      assert.equal(await history.openConversation('carol', carolOld[0]!.id), true);
      assert.deepEqual((await history.listRecent('carol', 10)).map((m) => m.id), ['c1']);
    } finally {
      await stores.close();
    }
  });

  it('a migrated file opens again without running it twice', async () => {
    const file = legacyFile();
    const first = createSqliteStores(file);
    const before = (await first.history.listConversations('alice', { limit: 10 })).items;
    await first.close();
    const second = createSqliteStores(file);
    assert.deepEqual((await second.history.listConversations('alice', { limit: 10 })).items, before, 'same ids');
    await second.close();
    const db = new Database(file, { readonly: true });
    assert.equal(db.pragma('user_version', { simple: true }), 3, 'every migration ran once (uploads is 3)');
    assert.equal(db.prepare('SELECT COUNT(*) FROM conversation_meta').pluck().get(), 4);
    db.close();
  });
});
