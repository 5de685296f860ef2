import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createJiebaTokenizer, type Tokenizer } from '../../knowledge-base/index/tokenizer.js';
import { openSqlite } from '../../store/sqlite/open-sqlite.js';
import { SqliteHistoryStore } from '../../store/sqlite/sqlite-history-store.js';
import type { StoredMessage } from '../../store/history-store.js';
import { SqliteAdminStore } from './sqlite-admin-store.js';
import { commitGate } from '../../store/sqlite/commit-gate.js';
import { setTimeout as sleep } from 'node:timers/promises';

const root = mkdtempSync(join(tmpdir(), 'admin-store-'));
after(() => rmSync(root, { recursive: true, force: true }));
const jieba = createJiebaTokenizer();
let n = 0;
let id = 0;

const question = (content: string, createdAt = Date.now()): StoredMessage => ({ id: `m${id++}`, role: 'user', content, status: 'complete', createdAt });
const answer = (content: string, createdAt = Date.now()): StoredMessage => ({
  id: `m${id++}`,
  role: 'assistant',
  content,
  status: 'complete',
  createdAt,
  usage: { promptTokens: 10, completionTokens: 5, totalTokens: 15 },
});

test('backfills what was chatted before the admin store existed, and resumes after a restart', async () => {
  const file = join(root, `${n++}.sqlite`);
  const chatDb = openSqlite(file);
  const history = new SqliteHistoryStore(chatDb);
  await history.append('u1', question('怎么申请退货？'));
  await history.append('u1', answer('在订单页申请退货。'));

  let adminDb = openSqlite(file);
  let admin = new SqliteAdminStore(adminDb, jieba, { background: false });
  assert.deepEqual((await admin.listConversations({ limit: 10, q: '退货' })).items.map((i) => i.title), ['怎么申请退货？']);
  await admin.close();
  adminDb.close();

  await history.append('u2', question('发票怎么开'));
  adminDb = openSqlite(file);
  admin = new SqliteAdminStore(adminDb, jieba, { background: false });
  const all = await admin.listConversations({ limit: 10 });
  assert.deepEqual(all.items.map((i) => [i.openid, i.messageCount]), [['u2', 1], ['u1', 2]]);
  // counted once, though indexed across two openings
  const usage = await admin.usage({ from: 0, to: Date.now() + 1000 }, 10);
  assert.equal(usage.totals.chats, 2);
  assert.equal(usage.totals.tokensIn, 10);
  assert.equal(usage.totals.errors, 1, 'the unanswered question');
  await admin.close();
  adminDb.close();
  await history.close();
  chatDb.close();
});

test('a conversation that grows is re-indexed: new words found, moved to the top, counted', async () => {
  const file = join(root, `${n++}.sqlite`);
  const db = openSqlite(file);
  const history = new SqliteHistoryStore(db);
  const admin = new SqliteAdminStore(db, jieba, { background: false });
  await history.append('u1', question('第一个问题关于积分'));
  await history.append('u2', question('第二个人问配送'));
  assert.deepEqual((await admin.listConversations({ limit: 10 })).items.map((i) => i.openid), ['u2', 'u1']);
  await history.append('u1', answer('积分可以抵扣现金'));
  const list = await admin.listConversations({ limit: 10 });
  assert.deepEqual(list.items.map((i) => i.openid), ['u1', 'u2']);
  assert.equal(list.items[0]!.messageCount, 2);
  assert.equal((await admin.listConversations({ limit: 10, q: '抵扣' })).items.length, 1);
  assert.equal((await admin.listConversations({ limit: 10, q: '第一个问题' })).items.length, 1, 'older messages still indexed');
  await admin.close();
  await history.close();
  db.close();
});

test('deleting a conversation drops it from the list and the index; usage stays', async () => {
  const file = join(root, `${n++}.sqlite`);
  const db = openSqlite(file);
  const history = new SqliteHistoryStore(db);
  const admin = new SqliteAdminStore(db, jieba, { background: false });
  await history.append('u1', question('要删除的对话讲发票'));
  await history.append('u1', answer('好的'));
  const [item] = (await admin.listConversations({ limit: 10 })).items;
  assert.ok(await admin.getConversation(item!.conversationId));
  assert.equal(await history.deleteConversation('u1', item!.conversationId), true);
  assert.deepEqual((await admin.listConversations({ limit: 10 })).items, []);
  assert.deepEqual((await admin.listConversations({ limit: 10, q: '发票' })).items, []);
  assert.equal(await admin.getConversation(item!.conversationId), undefined);
  assert.equal((await admin.usage({ from: 0, to: Date.now() + 1000 }, 10)).totals.chats, 1);
  await admin.close();
  await history.close();
  db.close();
});

test('a date range filters by the latest activity; export honours it message by message', async () => {
  const file = join(root, `${n++}.sqlite`);
  const db = openSqlite(file);
  const history = new SqliteHistoryStore(db);
  const admin = new SqliteAdminStore(db, jieba, { background: false });
  const day = 86_400_000;
  const t0 = Date.UTC(2026, 0, 10);
  await history.append('old', question('旧的', t0));
  await history.clear('old');
  await history.append('old', question('新的', t0 + 5 * day));
  const inRange = await admin.listConversations({ limit: 10, from: t0 - day, to: t0 + day });
  assert.deepEqual(inRange.items.map((i) => i.title), ['旧的']);
  const exported: string[] = [];
  for await (const m of admin.exportMessages({ from: t0 + day })) exported.push(m.content);
  assert.deepEqual(exported, ['新的']);
  const usage = await admin.usage({ from: t0, to: t0 + 5 * day }, 5);
  assert.equal(usage.days.length, 6);
  assert.deepEqual(usage.days.map((d) => d.chats), [1, 0, 0, 0, 0, 1]);
  await admin.close();
  await history.close();
  db.close();
});

test('the export reads page after page: every message once, in order', async () => {
  const file = join(root, `${n++}.sqlite`);
  const db = openSqlite(file);
  const history = new SqliteHistoryStore(db);
  const admin = new SqliteAdminStore(db, jieba, { background: false });
  const appends: Promise<string>[] = [];
  for (let i = 0; i < 1234; i++) appends.push(history.append(`u${i % 7}`, question(`问题 ${i}`, 1_000 + i)));
  await Promise.all(appends);
  const seen: string[] = [];
  for await (const m of admin.exportMessages({})) seen.push(m.content);
  assert.equal(seen.length, 1234);
  assert.deepEqual(seen.slice(0, 2), ['问题 0', '问题 1']);
  assert.equal(seen.at(-1), '问题 1233');
  assert.equal(new Set(seen).size, 1234);
  await admin.close();
  await history.close();
  db.close();
});

test('paging by cursor: no duplicates and no gaps, also while conversations move to the top', async () => {
  const file = join(root, `${n++}.sqlite`);
  const db = openSqlite(file);
  const history = new SqliteHistoryStore(db);
  const admin = new SqliteAdminStore(db, jieba, { background: false });
  for (let i = 0; i < 57; i++) {
    await history.append(`p${i}`, question(`第${i}个对话讲配送`, 10_000 + i));
  }
  const before = (await admin.listConversations({ limit: 100 })).items.map((i) => i.openid);
  assert.equal(before.length, 57);
  for (const q of [undefined, '配送']) {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await admin.listConversations({ limit: 10, ...(q && { q }), ...(cursor && { cursor }) });
      seen.push(...page.items.map((i) => i.openid));
      cursor = page.nextCursor;
      if (++pages === 2 && q === undefined) {
        // activity meanwhile: an unseen conversation moves to the top, a new one starts
        await history.append('p3', answer('补充回答', 20_000));
        await history.append('late', question('新来的', 20_001));
      }
    } while (cursor);
    // the first pass lost only p3 (it moved above its cursor); the search runs afterwards, p3 first
    const expected = q === undefined ? before.filter((o) => o !== 'p3') : ['p3', ...before.filter((o) => o !== 'p3')];
    assert.deepEqual(seen, expected, `q=${q}`);
  }
  await admin.close();
  await history.close();
  db.close();
});

test("the background indexer writes nothing while the file's commits are held for a WAL restart, and catches up after", async () => {
  const file = join(root, `${n++}.sqlite`);
  const chatDb = openSqlite(file);
  const history = new SqliteHistoryStore(chatDb);
  await history.append('u1', question('怎么申请退货？'));
  const adminDb = openSqlite(file);
  const gate = commitGate(chatDb);
  assert.equal(commitGate(adminDb), gate, 'one gate per file, whichever connection asks');
  const admin = new SqliteAdminStore(adminDb, jieba, { intervalMs: 10 });
  const indexed = () => adminDb.prepare('SELECT COUNT(*) FROM admin_conversations').pluck().get() as number;
  const waitFor = async (count: number, what: string) => {
    for (const end = Date.now() + 10_000; indexed() < count; await sleep(10)) assert.ok(Date.now() < end, what);
  };
  await waitFor(1, 'the index thread is running');
  gate.hold(60_000);
  const appended = history.append('u2', question('发票怎么开？'));
  await history.listRecent('u2', 1); // a reader commits its own pending row through the hold
  await sleep(300); // some thirty ticks of the index thread
  assert.equal(indexed(), 1, 'no index write during the hold');
  gate.release();
  await appended;
  await waitFor(2, 'indexed after the hold');
  await admin.close();
  adminDb.close();
  await history.close();
  chatDb.close();
});

test('the background index runs on a thread of its own: it grows while this event loop is blocked', async () => {
  const file = join(root, `${n++}.sqlite`);
  const db = openSqlite(file);
  const history = new SqliteHistoryStore(db);
  const admin = new SqliteAdminStore(db, jieba, { intervalMs: 10 });
  await history.append('u1', question('怎么申请退货？'));
  const indexed = () => db.prepare('SELECT COUNT(*) FROM admin_conversations').pluck().get() as number;
  // a synchronous wait: no timer or batch of this thread can run until it ends
  for (const end = Date.now() + 10_000; indexed() === 0 && Date.now() < end; ) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
  assert.equal(indexed(), 1, 'indexed by another thread');
  assert.equal(admin.indexer.catchUp(), true, 'nothing left for this thread');
  await admin.close();
  await history.close();
  db.close();
});

/** jieba, counting the texts it is asked to cut */
function countingTokenizer(): { tokenizer: Tokenizer; cuts: () => number } {
  let cuts = 0;
  return {
    tokenizer: { id: jieba.id, terms: (text) => (cuts++, jieba.terms(text)) },
    cuts: () => cuts,
  };
}

test('a conversation that grows costs only its new messages: a long one is not read and cut again', async () => {
  const file = join(root, `${n++}.sqlite`);
  const db = openSqlite(file);
  const history = new SqliteHistoryStore(db);
  const { tokenizer, cuts } = countingTokenizer();
  const admin = new SqliteAdminStore(db, tokenizer, { background: false });
  for (let i = 0; i < 150; i++) {
    await history.append('long', question(`第${i}个问题：运费怎么算`));
    await history.append('long', answer(`第${i}个回答：满九十九元包邮`));
  }
  admin.indexer.catchUp();
  const before = cuts();
  await history.append('long', question('会员卡能退吗'));
  await history.append('long', answer('会员卡开通七天内可以退'));
  admin.indexer.catchUp();
  assert.equal(cuts() - before, 2, 'the two new messages, not all 302');
  const [item] = (await admin.listConversations({ limit: 10, q: '会员卡' })).items;
  assert.equal(item?.messageCount, 302);
  assert.equal((await admin.listConversations({ limit: 10, q: '包邮 会员卡' })).items.length, 1, 'old and new terms, one conversation');
  await admin.close();
  await history.close();
  db.close();
});

test('a new message numbered below where the indexer read (the newest conversation was deleted) is still indexed, once', async () => {
  const file = join(root, `${n++}.sqlite`);
  const db = openSqlite(file);
  const history = new SqliteHistoryStore(db);
  const admin = new SqliteAdminStore(db, jieba, { background: false });
  await history.append('u1', question('第一个用户问发票'));
  await history.append('u2', question('第二个用户问退货'));
  await history.append('u2', answer('七天内可以退货'));
  admin.indexer.catchUp();
  const seq = () => db.prepare('SELECT MAX(seq) FROM messages').pluck().get() as number;
  const newest = seq();
  const [u2] = (await admin.listConversations({ limit: 10, openid: 'u2' })).items;
  assert.equal(await history.deleteConversation('u2', u2!.conversationId), true);
  await history.append('u2', question('换货要多久'));
  assert.ok(seq() <= newest, 'SQLite gave the new message a seq the indexer had already passed');
  const items = (await admin.listConversations({ limit: 10 })).items;
  assert.deepEqual(items.map((i) => [i.openid, i.title, i.messageCount]), [['u2', '换货要多久', 1], ['u1', '第一个用户问发票', 1]]);
  assert.equal((await admin.listConversations({ limit: 10, q: '换货' })).items.length, 1);
  const usage = await admin.usage({ from: 0, to: Date.now() + 1000 }, 10);
  assert.equal(usage.totals.chats, 3, 'each question counted once: the deleted one stays spent, the new one counts');
  await admin.close();
  await history.close();
  db.close();
});

test('indexed batch by batch, the read model equals one built from scratch (growth, clears, deletes, many users)', async () => {
  const file = join(root, `${n++}.sqlite`);
  const db = openSqlite(file);
  const history = new SqliteHistoryStore(db);
  const admin = new SqliteAdminStore(db, jieba, { background: false, batchSize: 7 });
  const words = ['发票', '退货', '积分', '配送', '会员', '优惠券', '售后', '尺码'];
  let seed = 7;
  const random = (k: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % k;
  for (let step = 0; step < 400; step++) {
    const openid = `u${random(6)}`;
    const roll = random(100);
    if (roll < 3) await history.clear(openid);
    else if (roll < 5) {
      const [first] = (await admin.listConversations({ limit: 1, openid })).items;
      if (first) await history.deleteConversation(openid, first.conversationId);
    } else {
      const word = words[random(words.length)]!;
      await history.append(openid, roll % 2 ? question(`${word}的问题${step}`, 1_000 + step) : answer(`关于${word}的回答${step}`, 1_000 + step));
    }
    if (random(4) === 0) admin.indexer.indexBatch();
  }
  admin.indexer.catchUp();
  const snapshot = async (store: SqliteAdminStore) => ({
    list: (await store.listConversations({ limit: 100 })).items,
    hits: await Promise.all(words.map(async (q) => (await store.listConversations({ limit: 100, q })).items.map((i) => i.conversationId))),
    usage: (await store.usage({ from: 0, to: 10_000 }, 10)).totals,
  });
  const incremental = await snapshot(admin);
  assert.ok(incremental.list.length > 6, 'several conversations, some cleared away from');
  // from scratch: the admin tables go, the next store backfills all of it
  await admin.close();
  db.exec(`DROP TRIGGER admin_stale_on_delete; DROP TABLE admin_fts; DROP TABLE admin_conversations; DROP TABLE admin_usage;
           DROP TABLE admin_stale; DROP TABLE admin_meta; DROP TABLE admin_terms; DROP TABLE admin_version`);
  const rebuilt = new SqliteAdminStore(db, jieba, { background: false });
  rebuilt.indexer.catchUp();
  const scratch = await snapshot(rebuilt);
  assert.deepEqual(incremental.list, scratch.list);
  assert.deepEqual(incremental.hits, scratch.hits);
  // usage counts every message ever indexed (deleted ones stay spent): the rebuilt one saw fewer
  assert.ok(incremental.usage.chats >= scratch.usage.chats);
  await rebuilt.close();
  await history.close();
  db.close();
});

test('a file indexed by admin schema 1 migrates: a grown conversation is read whole once, then grows by its new messages', async () => {
  const file = join(root, `${n++}.sqlite`);
  const db = openSqlite(file);
  const history = new SqliteHistoryStore(db);
  let admin = new SqliteAdminStore(db, jieba, { background: false });
  await history.append('u1', question('旧的问题讲发票'));
  await history.append('u1', answer('旧的回答'));
  admin.indexer.catchUp();
  await admin.close();
  // back to schema 1: no term table, the old trigger
  db.exec(`DROP TABLE admin_terms; DROP TRIGGER admin_stale_on_delete;
           CREATE TRIGGER admin_stale_on_delete AFTER DELETE ON conversation_meta BEGIN INSERT OR IGNORE INTO admin_stale (id) VALUES (OLD.id); END;
           UPDATE admin_version SET value = 1`);
  const { tokenizer, cuts } = countingTokenizer();
  admin = new SqliteAdminStore(db, tokenizer, { background: false });
  assert.equal(db.prepare('SELECT value FROM admin_version').pluck().get(), 2);
  await history.append('u1', question('新的问题讲积分'));
  admin.indexer.catchUp();
  assert.equal(cuts(), 3, 'read whole once');
  await history.append('u1', answer('新的回答讲会员'));
  admin.indexer.catchUp();
  assert.equal(cuts(), 4, 'then only the new message');
  const [item] = (await admin.listConversations({ limit: 10, q: '发票 积分 会员' })).items;
  assert.deepEqual([item?.title, item?.messageCount], ['旧的问题讲发票', 4]);
  await admin.close();
  await history.close();
  db.close();
});

test("a batch cuts its messages outside the write lock: the chat's commits never wait for jieba", async () => {
  const file = join(root, `${n++}.sqlite`);
  const db = openSqlite(file);
  const history = new SqliteHistoryStore(db);
  const chat = openSqlite(file);
  chat.pragma('busy_timeout = 0'); // a write that would have to wait fails at once
  const commit = chat.prepare('INSERT INTO wal_restarts (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at');
  const refused: string[] = [];
  const tokenizer: Tokenizer = {
    id: jieba.id,
    terms: (text) => {
      try {
        commit.run(Date.now()); // another connection commits while the indexer cuts
      } catch (error) {
        refused.push((error as { code?: string }).code ?? String(error));
      }
      return jieba.terms(text);
    },
  };
  const admin = new SqliteAdminStore(db, tokenizer, { background: false });
  await history.append('u1', question('怎么申请退货？'));
  await history.append('u1', answer('在订单页申请退货。'));
  admin.indexer.catchUp();
  await history.append('u1', question('发票呢？'));
  admin.indexer.catchUp();
  assert.deepEqual(refused, [], 'no commit was refused while the indexer cut text');
  assert.equal((await admin.listConversations({ limit: 10, q: '退货 发票' })).items[0]?.messageCount, 3);
  await admin.close();
  chat.close();
  await history.close();
  db.close();
});

test('two indexers on one file (a query catching up beside the background thread): one indexes while the other cuts, every message counted once', async () => {
  const file = join(root, `${n++}.sqlite`);
  const db = openSqlite(file);
  const history = new SqliteHistoryStore(db);
  const otherDb = openSqlite(file);
  const other = new SqliteAdminStore(otherDb, jieba, { background: false, batchSize: 5 });
  let cutting = false;
  let overtaken = 0;
  const tokenizer: Tokenizer = {
    id: jieba.id,
    terms: (text) => {
      // while this indexer cuts its batch, the other indexes the same messages and moves on
      if (!cutting) {
        cutting = true;
        if (other.indexer.indexBatch() > 0) overtaken++;
        cutting = false;
      }
      return jieba.terms(text);
    },
  };
  const one = new SqliteAdminStore(db, tokenizer, { background: false, batchSize: 3 });
  for (let i = 0; i < 60; i++) {
    await history.append(`u${i % 4}`, i % 2 ? answer(`回答${i}`) : question(`问题${i}讲配送`));
    if (i % 3 === 0) one.indexer.indexBatch();
  }
  one.indexer.catchUp();
  other.indexer.catchUp();
  assert.ok(overtaken > 0, 'the other indexer did overtake');
  const items = (await one.listConversations({ limit: 10 })).items;
  assert.deepEqual(items.map((i) => i.messageCount), [15, 15, 15, 15]);
  assert.equal((await other.usage({ from: 0, to: Date.now() + 1000 }, 10)).totals.chats, 30);
  assert.equal((await one.listConversations({ limit: 10, q: '配送' })).items.length, 2, 'u0 and u2 asked; u1 and u3 only answered');
  await one.close();
  await other.close();
  otherDb.close();
  await history.close();
  db.close();
});

test("an operator's query catches up and cuts its words on the index thread: the gateway's event loop never cuts text", async () => {
  const file = join(root, `${n++}.sqlite`);
  const db = openSqlite(file);
  const history = new SqliteHistoryStore(db);
  const { tokenizer, cuts } = countingTokenizer();
  await history.append('u1', question('怎么申请退货？'));
  // the background tail runs once at start, then not for a minute: only a query's catch-up indexes what follows
  const admin = new SqliteAdminStore(db, tokenizer, { intervalMs: 60_000 });
  const listed = async () => (await admin.listConversations({ limit: 10 })).items.map((i) => [i.openid, i.messageCount]);
  for (const end = Date.now() + 10_000; (await listed()).length === 0; await sleep(10)) assert.ok(Date.now() < end, 'the thread indexed the first message');
  await history.append('u2', question('发票怎么开？'));
  await history.append('u1', answer('在订单页申请退货。'));
  assert.deepEqual(await listed(), [['u1', 2], ['u2', 1]], 'caught up before the list was read');
  assert.equal((await admin.usage({ from: 0, to: Date.now() + 1000 }, 10)).totals.chats, 2);
  const [found] = (await admin.listConversations({ limit: 10, q: '订单 退货' })).items;
  assert.deepEqual([found?.openid, found?.snippet], ['u1', '怎么申请退货？'], "the query's words cut on the thread, the snippet found here");
  assert.equal(cuts(), 0, 'no text cut on this thread, neither messages nor the query');
  await admin.close();
  await history.close();
  db.close();
});
