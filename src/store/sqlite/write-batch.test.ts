import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { openSqlite } from './open-sqlite.js';
import { SqliteHistoryStore } from './sqlite-history-store.js';
import { SqliteSessionStore } from './sqlite-session-store.js';
import { WriteBatch } from './write-batch.js';
import { commitGate } from './commit-gate.js';
import { setTimeout as sleep } from 'node:timers/promises';

const dir = mkdtempSync(join(tmpdir(), 'wag-batch-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

const message = (id: string) => ({ id, role: 'user' as const, content: id, status: 'complete' as const, createdAt: 1 });

describe('group commit (WriteBatch)', () => {
  it("a hold of the connection's commits (the checkpoint thread's restart) keeps the turn's commit until released; a reader's flush still commits; a hold ends by itself", async () => {
    const db = openSqlite(':memory:');
    const store = new SqliteHistoryStore(db);
    const gate = commitGate(db);
    const committed = () => db.prepare('SELECT COUNT(*) FROM messages').pluck().get();
    gate.hold(60_000);
    let resolved = 0;
    const held = ['a', 'b'].map((id) => store.append('o_1', message(id)).then(() => resolved++));
    await sleep(20);
    assert.equal(committed(), 0, 'kept while held');
    assert.equal(resolved, 0, 'no acknowledgement for a row not committed');
    gate.release();
    await Promise.all(held);
    assert.equal(committed(), 2);

    gate.hold(60_000);
    const other = store.append('o_2', message('c'));
    const own = store.append('o_3', message('d'));
    assert.deepEqual((await store.listRecent('o_3', 10)).map((m) => m.id), ['d'], 'a reader sees its pending row: the flush commits through the hold');
    await Promise.all([other, own]);
    assert.equal(committed(), 4, 'that commit took the whole batch');
    gate.release();

    gate.hold(30);
    const late = store.append('o_1', message('e'));
    await late; // released by the hold's own deadline: a checkpoint thread that never answers cannot stop the writes
    assert.deepEqual((await store.listRecent('o_1', 10)).map((m) => m.id), ['a', 'b', 'e']);
    db.close();
  });

  it('an append resolves only once its row is committed: another connection sees it then, not before', async () => {
    const file = join(dir, `${++n}.db`);
    const db = openSqlite(file);
    const store = new SqliteHistoryStore(db);
    // a second connection, as another process (the CLI, a second gateway) would have
    const other = new Database(file, { readonly: true });
    const count = () => other.prepare('SELECT COUNT(*) FROM messages').pluck().get();
    let resolved = 0;
    const pending = ['a', 'b', 'c'].map((id) => store.append('o_1', message(id)).then(() => resolved++));
    assert.equal(count(), 0, 'nothing committed in the turn the appends were asked for');
    assert.equal(resolved, 0);
    await Promise.all(pending);
    assert.equal(count(), 3, 'all three committed before any resolved');
    other.close();
    db.close();
  });

  it('reads and clears see every append asked for before them', async () => {
    const db = openSqlite(':memory:');
    const store = new SqliteHistoryStore(db);
    const first = store.append('o_1', message('before-clear'));
    await store.clear('o_1');
    await first;
    assert.deepEqual(await store.listRecent('o_1', 10), [], 'the earlier append went to the old conversation');
    const second = store.append('o_1', message('after-clear'));
    assert.deepEqual((await store.listRecent('o_1', 10)).map((m) => m.id), ['after-clear']);
    await second;
    db.close();
  });

  it("a read of one user's rows commits the batch only when that user has a row in it", async () => {
    const db = openSqlite(':memory:');
    const store = new SqliteHistoryStore(db);
    const count = () => db.prepare('SELECT COUNT(*) FROM messages').pluck().get();
    await store.append('o_b', message('b-earlier'));
    const pending = store.append('o_a', message('a-1'));
    // every per-user read of another user leaves the batch to its turn
    assert.deepEqual((await store.listRecent('o_b', 10)).map((m) => m.id), ['b-earlier']);
    assert.equal((await store.findMessage('o_b', 'a-1')), undefined);
    assert.deepEqual((await store.listConversations('o_b', { limit: 10 })).items.map((c) => c.messageCount), [1]);
    assert.equal(count(), 1, "o_a's row still waits for the batch's commit");
    // the user's own read commits it first
    assert.deepEqual((await store.listRecent('o_a', 10)).map((m) => m.id), ['a-1']);
    assert.equal(count(), 2);
    await pending;
    // and so does their conversation list, their message lookup
    const more = store.append('o_a', message('a-2'));
    assert.equal((await store.findMessage('o_a', 'a-2'))?.message.id, 'a-2');
    const last = store.append('o_a', message('a-3'));
    assert.deepEqual((await store.listConversations('o_a', { limit: 10 })).items.map((c) => c.messageCount), [3]);
    await Promise.all([more, last]);
    db.close();
  });

  it('one failing row fails alone; the rows that shared its transaction are committed', async () => {
    const db = openSqlite(':memory:');
    db.exec('CREATE TABLE t (v TEXT NOT NULL)');
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    const batch = new WriteBatch<string | null>(db, (v) => insert.run(v));
    const results = await Promise.allSettled(['x', null, 'y'].map((v) => batch.add(v)));
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.deepEqual(db.prepare('SELECT v FROM t ORDER BY rowid').pluck().all(), ['x', 'y']);
    db.close();
  });

  it('reports each commit once, with its rows and how long it held the event loop (a fallback to a transaction per row too)', async () => {
    const db = openSqlite(':memory:');
    db.exec('CREATE TABLE t (v TEXT NOT NULL)');
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    const commits: Array<[number, number]> = [];
    const batch = new WriteBatch<string | null>(db, (v) => insert.run(v), { committed: (rows, seconds) => commits.push([rows, seconds]) });
    await Promise.all(['a', 'b', 'c'].map((v) => batch.add(v)));
    await Promise.allSettled(['x', null].map((v) => batch.add(v)));
    assert.deepEqual(commits.map(([rows]) => rows), [3, 2]);
    for (const [, seconds] of commits) assert.ok(seconds >= 0 && seconds < 60, `${seconds} s`);
    db.close();
  });

  it('close() commits what is pending', async () => {
    const file = join(dir, `${++n}.db`);
    const db = openSqlite(file);
    const store = new SqliteHistoryStore(db);
    const pending = store.append('o_1', message('last'));
    await store.close();
    db.close();
    await pending;
    const again = openSqlite(file);
    assert.deepEqual((await new SqliteHistoryStore(again).listRecent('o_1', 1)).map((m) => m.id), ['last']);
    again.close();
  });
  it('a session put is committed with the others of its turn and seen by a get asked for before that', async () => {
    const db = openSqlite(':memory:');
    const sessions = new SqliteSessionStore(db);
    const record = (id: string) => ({ sessionId: id, openid: `o_${id}`, sessionKey: 'k', createdAt: 1, expiresAt: Date.now() + 60_000 });
    const puts = [sessions.put(record('s1')), sessions.put(record('s2'))];
    assert.equal((await sessions.get('s2'))?.openid, 'o_s2', 'the get committed the pending puts first');
    await Promise.all(puts);
    assert.equal((await sessions.get('s1'))?.openid, 'o_s1');
    db.close();
  });
});
