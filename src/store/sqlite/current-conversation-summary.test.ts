import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { scatteredUsers, walFramesPerMessage } from '../../../test/support/wal-frames.js';
import { openSqlite } from './open-sqlite.js';
import { SqliteHistoryStore } from './sqlite-history-store.js';

const dir = mkdtempSync(join(tmpdir(), 'wag-summary-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const newFile = () => join(dir, `gateway-${++files}.db`);
const message = (id: string, createdAt: number, role: 'user' | 'assistant' = 'user') => ({ id, role, content: `内容 ${id}`, status: 'complete' as const, createdAt });
const stored = (db: ReturnType<typeof openSqlite>, id: string) =>
  db.prepare('SELECT message_count, updated_at FROM conversation_meta WHERE id = ?').get(id) as { message_count: number; updated_at: number };

describe("the current conversation's summary: settled when the user leaves it, live in the list", () => {
  it('lists the live count and time while the stored row lags, and leaving the conversation makes the row exact', async () => {
    const db = openSqlite(newFile());
    const history = new SqliteHistoryStore(db);
    const first = await history.currentConversation('oA');
    await history.append('oA', message('q1', 1_000));
    await history.append('oA', message('a1', 2_000, 'assistant'));
    await history.append('oA', message('q2', 3_000));
    assert.deepEqual(stored(db, first), { message_count: 1, updated_at: 1_000 }, 'only the first message wrote the row');
    assert.deepEqual((await history.listConversations('oA', { limit: 10 })).items, [
      { id: first, title: '内容 q1', createdAt: 1_000, updatedAt: 3_000, messageCount: 3 },
    ]);

    await history.clear('oA');
    assert.deepEqual(stored(db, first), { message_count: 3, updated_at: 3_000 }, 'settled on leaving');
    const second = await history.currentConversation('oA');
    await history.append('oA', message('q3', 4_000));
    await history.append('oA', message('a3', 5_000, 'assistant'));
    // back to the first: the second is settled, the first is live again
    assert.equal(await history.openConversation('oA', first), true);
    assert.deepEqual(stored(db, second), { message_count: 2, updated_at: 5_000 });
    await history.append('oA', message('q4', 6_000));
    const listed = (await history.listConversations('oA', { limit: 10 })).items;
    assert.deepEqual(
      listed.map((c) => [c.id, c.messageCount, c.updatedAt]),
      [
        [first, 4, 6_000],
        [second, 2, 5_000],
      ],
    );
    await history.close();
    db.close();
  });

  it('an answer that lands after the user moved on updates its conversation at once; a reopened file lists what it holds', async () => {
    const file = newFile();
    let db = openSqlite(file);
    let history = new SqliteHistoryStore(db);
    const first = await history.currentConversation('oB');
    await history.append('oB', message('q1', 1_000));
    await history.clear('oB');
    // the answer to q1 ends after the clear: it goes to the first conversation, no longer current
    await history.append('oB', message('a1', 2_000, 'assistant'), first);
    assert.deepEqual(stored(db, first), { message_count: 2, updated_at: 2_000 });
    const second = await history.currentConversation('oB');
    for (let i = 0; i < 5; i++) await history.append('oB', message(`m${i}`, 10_000 + i));
    // a crash: nobody left the second conversation, its row still says one message
    await history.close();
    db.close();
    db = openSqlite(file);
    history = new SqliteHistoryStore(db);
    assert.equal(stored(db, second).message_count, 1);
    assert.deepEqual(
      (await history.listConversations('oB', { limit: 1 })).items.map((c) => [c.id, c.messageCount, c.updatedAt]),
      [[second, 5, 10_004]],
    );
    const page = await history.listConversations('oB', { limit: 1 });
    const next = await history.listConversations('oB', { limit: 1, before: page.nextCursor! });
    assert.deepEqual(
      next.items.map((c) => [c.id, c.messageCount]),
      [[first, 2]],
    );
    assert.equal(next.nextCursor, undefined);
    await history.close();
    db.close();
  });

  it('pages through a list whose current conversation is an old one continued: it comes first, once, and the rest newest first', async () => {
    const db = openSqlite(newFile());
    const history = new SqliteHistoryStore(db);
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      ids.push(await history.currentConversation('oC'));
      await history.append('oC', message(`q${i}`, 1_000 + i * 60_000));
      await history.append('oC', message(`a${i}`, 1_001 + i * 60_000, 'assistant'));
      await history.clear('oC');
    }
    assert.equal(await history.openConversation('oC', ids[4]!), true);
    await history.append('oC', message('late', 9_000_000));
    await history.append('oC', message('later', 9_000_001, 'assistant'));
    const seen: Array<[string, number]> = [];
    let before: string | undefined;
    do {
      const page = await history.listConversations('oC', { limit: 7, ...(before !== undefined && { before }) });
      seen.push(...page.items.map((c): [string, number] => [c.id, c.messageCount]));
      before = page.nextCursor;
    } while (before !== undefined);
    assert.deepEqual(seen, [[ids[4]!, 4], ...ids.filter((_, i) => i !== 4).reverse().map((id): [string, number] => [id, 2])]);
    await history.close();
    db.close();
  });

  it('a commit of 40 of 4,000 users’ messages writes ~1.3 WAL pages per message, not ~2.8', async () => {
    // What the lazy summary is for: a message to the current conversation writes the message and
    // its user's leaf in messages_by_conversation, not also the summary row and its index entry.
    const file = newFile();
    const db = openSqlite(file);
    const framesPerMessage = await walFramesPerMessage(db, file, scatteredUsers(4_000));
    db.close();
    // 2.8 when every message rewrote its summary row and moved its entry in
    // conversation_meta_by_user (measured: docs/performance.md, 第十一轮)
    assert.ok(framesPerMessage < 1.7, `${framesPerMessage.toFixed(2)} WAL frames per message`);
  });
});
