import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { captureLogger } from '../../../test/support/capture-logger.js';
import { toSchemaVersion4 } from '../../../test/support/sqlite-version4.js';
import { walFramesPerMessage } from '../../../test/support/wal-frames.js';
import { openSqlite } from './open-sqlite.js';
import { SqliteHistoryStore } from './sqlite-history-store.js';

const dir = mkdtempSync(join(tmpdir(), 'wag-rekey-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const newFile = () => join(dir, `gateway-${++files}.db`);

const ROWS = `SELECT seq, openid, conversation, id, role, content, status, created_at, usage, meta FROM messages ORDER BY seq`;
const keyColumns = (db: Database.Database) =>
  (db.pragma(`index_info(sqlite_autoindex_messages_1)`) as { name: string }[]).map((column) => column.name);

/** A version-4 file with two users' messages, a gap in seq (a deleted row) and usage/meta columns. */
function version4File(): { file: string; rows: unknown[] } {
  const file = newFile();
  const db = openSqlite(file);
  db.exec(`INSERT INTO conversation_meta (id, openid, n, message_count) VALUES ('c-a', 'oA', 0, 3), ('c-b', 'oB', 0, 1)`);
  const insert = db.prepare(`INSERT INTO messages (openid, conversation, id, role, content, status, created_at, usage, meta) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  insert.run('oA', 0, 'a1:q', 'user', '你好', 'complete', 1, null, null);
  insert.run('oA', 0, 'a1', 'assistant', '您好！', 'complete', 2, '{"input":3,"output":2}', '{"model":"m"}');
  insert.run('oA', 0, 'gone', 'user', 'deleted', 'complete', 3, null, null);
  // the same id for another user: allowed by both keys
  insert.run('oB', 0, 'a1', 'assistant', 'other user', 'failed', 4, null, null);
  insert.run('oA', 0, 'a2', 'assistant', '再见', 'complete', 5, null, null);
  db.exec(`DELETE FROM messages WHERE id = 'gone'`);
  toSchemaVersion4(db);
  const rows = db.prepare(ROWS).all();
  assert.deepEqual(keyColumns(db), ['openid', 'conversation', 'id'], 'the fixture is a version-4 file');
  db.close();
  return { file, rows };
}

describe('migration 5: the messages key led by the id', () => {
  it('keeps every row as it was (seq, columns, order) and the same duplicate rule', async () => {
    const { file, rows } = version4File();
    const { logger, lines } = captureLogger();
    const db = openSqlite(file, logger);
    try {
      // the operator is told why the port is not open yet, and when it is done
      const logged = lines.map((line) => JSON.parse(line) as { msg: string; from?: number; to?: number; ms?: number });
      assert.match(logged[0]!.msg, /^upgrading the SQLite schema \(once: the messages table is copied/);
      assert.equal(logged[0]!.from, 4);
      assert.equal(logged[1]!.msg, 'SQLite schema upgraded');
      assert.equal(typeof logged[1]!.ms, 'number');
      assert.ok((db.pragma('user_version', { simple: true }) as number) >= 5);
      assert.deepEqual(keyColumns(db), ['id', 'openid', 'conversation']);
      assert.deepEqual(db.prepare(ROWS).all(), rows);
      const indexes = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'messages' ORDER BY name`).pluck().all();
      assert.deepEqual(indexes, ['messages_by_conversation', 'sqlite_autoindex_messages_1']);
      // migration 6: nothing reads conversations across users by time
      const metaIndexes = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'conversation_meta' AND sql IS NOT NULL`).pluck().all();
      assert.deepEqual(metaIndexes, ['conversation_meta_by_user']);

      const history = new SqliteHistoryStore(db);
      // a retried append of a stored id is still ignored; the same id in another conversation is not a duplicate
      await history.append('oA', { id: 'a2', role: 'assistant', content: 'again', status: 'complete', createdAt: 6 }, 'c-a');
      assert.deepEqual((await history.listRecent('oA', 10, 'c-a')).map((m) => m.content), ['你好', '您好！', '再见']);
      assert.equal((await history.findMessage('oB', 'a1'))?.message.content, 'other user');
      assert.equal((await history.findMessage('oA', 'a1'))?.conversationId, 'c-a');
      assert.equal(await history.findMessage('oA', 'nope'), undefined);
      // new rows continue after the highest seq
      await history.append('oA', { id: 'a3', role: 'assistant', content: 'next', status: 'complete', createdAt: 7 }, 'c-a');
      const last = db.prepare(`SELECT seq FROM messages WHERE id = 'a3'`).pluck().get() as number;
      assert.ok(last > (rows.at(-1) as { seq: number }).seq);
      await history.close();
    } finally {
      db.close();
    }
  });

  it('a failure part-way (a full disk) leaves the version-4 file as it was, and the next start migrates it', () => {
    const { file, rows } = version4File();
    const blocker = new Database(file);
    // the copy's table name taken: the migration's second statement fails, like a write on a full disk would
    blocker.exec(`CREATE VIEW messages_rekeyed AS SELECT 1`);
    blocker.close();
    assert.throws(() => openSqlite(file), /messages_rekeyed/);
    const untouched = new Database(file);
    assert.equal(untouched.pragma('user_version', { simple: true }), 4);
    assert.deepEqual(keyColumns(untouched), ['openid', 'conversation', 'id']);
    assert.deepEqual(untouched.prepare(ROWS).all(), rows);
    untouched.exec(`DROP VIEW messages_rekeyed`);
    untouched.close();
    const db = openSqlite(file);
    assert.deepEqual(db.prepare(ROWS).all(), rows);
    assert.deepEqual(keyColumns(db), ['id', 'openid', 'conversation']);
    db.close();
  });

  it('a commit of 40 users’ questions and answers writes ~2 WAL pages per message, not ~3', async () => {
    // What the new key is for: the unique index grows at one edge instead of one page per user.
    const file = newFile();
    const db = openSqlite(file);
    const users = Array.from({ length: 200 }, (_, i) => `oUser${String(i).padStart(4, '0')}-abcdefghijklmnop`);
    // one commit (one event-loop turn) holds 20 users' questions and 20 other users' answers
    const framesPerMessage = await walFramesPerMessage(db, file, { users, userOf: (turn, i) => (turn * 7 + i * 31) % users.length });
    db.close();
    // 3.2 with the key led by the user (measured: docs/performance.md, 第十轮)
    assert.ok(framesPerMessage < 2.5, `${framesPerMessage.toFixed(2)} WAL frames per message`);
  });
});
