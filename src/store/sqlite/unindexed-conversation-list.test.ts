import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { newAnswerId } from '../../chat/answer-id.js';
import { questionIdOf } from '../../chat/question-id.js';
import { walFramesPerMessage } from '../../../test/support/wal-frames.js';
import { openSqlite } from './open-sqlite.js';
import { SqliteHistoryStore } from './sqlite-history-store.js';

const dir = mkdtempSync(join(tmpdir(), 'wag-list-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const newFile = () => join(dir, `gateway-${++files}.db`);
const BY_USER = 'CREATE INDEX conversation_meta_by_user ON conversation_meta (openid, updated_at, id)';
const metaIndexes = (db: ReturnType<typeof openSqlite>) =>
  db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'conversation_meta' AND sql IS NOT NULL`).pluck().all();

/** One question and answer per conversation, each conversation a minute after the previous one. */
async function conversations(history: SqliteHistoryStore, openid: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    ids.push(await history.currentConversation(openid));
    const id = newAnswerId();
    const at = 1_700_000_000_000 + i * 60_000;
    await history.append(openid, { id: questionIdOf(id), role: 'user', content: `问题 ${i}`, status: 'complete', createdAt: at });
    await history.append(openid, { id, role: 'assistant', content: `回答 ${i}`, status: 'complete', createdAt: at + 1 });
    await history.clear(openid);
  }
  return ids;
}

async function wholeList(history: SqliteHistoryStore, openid: string): Promise<string[]> {
  const seen: string[] = [];
  let before: string | undefined;
  do {
    const page = await history.listConversations(openid, { limit: 7, ...(before !== undefined && { before }) });
    seen.push(...page.items.map((item) => item.id));
    before = page.nextCursor;
  } while (before !== undefined);
  return seen;
}

describe('migration 7: no index in updated_at order on conversation_meta', () => {
  it('a version-6 file loses the index and lists every conversation in the same order, page by page', async () => {
    const file = newFile();
    let db = openSqlite(file);
    db.exec(`${BY_USER}; PRAGMA user_version = 6`);
    let history = new SqliteHistoryStore(db);
    const ids = await conversations(history, 'oA', 30);
    await conversations(history, 'oB', 3);
    // continuing an old conversation moves it to the top
    await history.openConversation('oA', ids[4]!);
    await history.append('oA', { id: 'late', role: 'user', content: '接着问', status: 'complete', createdAt: 1_800_000_000_000 });
    const before = await wholeList(history, 'oA');
    await history.close();
    db.close();

    db = openSqlite(file);
    assert.equal(db.pragma('user_version', { simple: true }), 7);
    assert.deepEqual(metaIndexes(db), []);
    history = new SqliteHistoryStore(db);
    const listed = await wholeList(history, 'oA');
    assert.deepEqual(listed, before);
    assert.deepEqual(listed, [ids[4], ...ids.filter((_, i) => i !== 4).reverse()]);
    // the plan reads the user's rows by the (openid, n) key, never the whole table
    const plan = db
      .prepare(`EXPLAIN QUERY PLAN SELECT id FROM conversation_meta WHERE openid = 'oA' AND message_count > 0 AND (updated_at, id) < (1, '') ORDER BY updated_at DESC, id DESC LIMIT 8`)
      .all()
      .map((row) => (row as { detail: string }).detail)
      .join(' / ');
    assert.match(plan, /USING INDEX sqlite_autoindex_conversation_meta_\d \(openid=\?\)/, plan);
    await history.close();
    db.close();
  });

  it('a commit of 40 of 4,000 users’ messages writes ~2 WAL pages per message, not ~2.8', async () => {
    // What dropping the index is for: each message moved its conversation's entry in it, and
    // once users no longer share pages that is one more page per message.
    const file = newFile();
    const db = openSqlite(file);
    const users = Array.from({ length: 4_000 }, () => `o${randomBytes(14).toString('base64url')}`);
    // a commit's users are unrelated to when their conversations were created
    const order = users.map((_, i) => i).sort(() => Math.random() - 0.5);
    // two messages per user first
    const framesPerMessage = await walFramesPerMessage(db, file, { users, userOf: (turn, i) => order[(turn * 40 + i) % users.length]!, warmCommits: 200 });
    db.close();
    // 2.84 with the index (measured: docs/performance.md, 第十一轮)
    assert.ok(framesPerMessage < 2.4, `${framesPerMessage.toFixed(2)} WAL frames per message`);
  });
});
