/**
 * Admin console at scale (issue 11): a SQLite file with 100k conversations of ~5 messages
 * (questions from the CMRC 2018 dev set, answers from its passages), indexed by the admin
 * read model, then the operators' queries timed through SqliteAdminStore (p50/p95 over
 * repeated runs): the list, one user's list, full-text search for a common and a rare word,
 * a conversation's detail, 30 days of usage, the feedback list. Figures go to docs/admin.md.
 *
 *   npm run bench:admin -- [--conversations 100000] [--runs 40] [--db kept.sqlite]
 *
 * With --db the file is kept, and reused (no fill, no backfill) when it exists.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SqliteAdminStore } from '../src/admin/sqlite/sqlite-admin-store.js';
import { createJiebaTokenizer } from '../src/knowledge-base/index/tokenizer.js';
import { openSqlite, type Database } from '../src/store/sqlite/open-sqlite.js';
import { pct } from './percentile.js';

const { values: args } = parseArgs({
  options: {
    conversations: { type: 'string', default: '100000' },
    runs: { type: 'string', default: '40' },
    db: { type: 'string' },
  },
});
const conversations = Number(args.conversations);
const runs = Number(args.runs);
const DAY = 86_400_000;
/** a phrase planted in three conversations only: the rare search */
const RARE = '量子纠缠保险箱';

const evalDir = new URL('../../shared/eval/cmrc2018/', import.meta.url);
const readJsonl = <T>(name: string): T[] =>
  readFileSync(new URL(name, evalDir), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as T);

function fill(db: Database, n: number): void {
  const questions = readJsonl<{ query: string }>('dev-queries.jsonl').map((q) => q.query);
  const sentences = readJsonl<{ text: string }>('passages.jsonl').flatMap((p) => p.text.split(/(?<=[。！？])/).filter((s) => s.length > 10));
  const insertMessage = db.prepare(
    `INSERT INTO messages (openid, conversation, id, role, content, status, created_at, usage, meta) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertMeta = db.prepare(
    `INSERT INTO conversation_meta (id, openid, n, title, created_at, updated_at, message_count) VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertRating = db.prepare(
    `INSERT INTO feedback (openid, answer_id, conversation_id, rating, comment, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  const users = Math.max(1, Math.floor(n / 5));
  const perUser = new Map<number, number>();
  const start = Date.now() - 90 * DAY;
  let rnd = 42;
  const random = () => ((rnd = (rnd * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const pick = <T>(list: T[]) => list[Math.floor(random() * list.length)]!;
  const meta = JSON.stringify({ model: 'qwen-plus', sources: [{ title: '资料', source: 'cmrc.md', snippet: '…', score: 0.8 }] });
  db.transaction(() => {
    for (let c = 0; c < n; c++) {
      const user = Math.floor(random() * users);
      const number = perUser.get(user) ?? 0;
      perUser.set(user, number + 1);
      const openid = `o${user.toString(36).padStart(6, '0')}bench`;
      const id = `c${c.toString(16).padStart(8, '0')}-bench`;
      // conversations in time order, as a gateway appends them
      let at = start + Math.floor((c / n) * 90 * DAY);
      const first = c % 33_333 === 7 ? `${RARE}是什么？` : pick(questions);
      const count = 5;
      for (let m = 0; m < count; m++) {
        const user_ = m % 2 === 0;
        const content = user_ ? (m === 0 ? first : pick(questions)) : `根据资料，${pick(sentences)}${pick(sentences)}`;
        const usage = user_ ? null : JSON.stringify({ promptTokens: 600 + (c % 400), completionTokens: content.length, totalTokens: 600 + content.length });
        insertMessage.run(openid, number, `${id}-${m}`, user_ ? 'user' : 'assistant', content, 'complete', at, usage, user_ ? null : meta);
        at += 20_000;
      }
      insertMeta.run(id, openid, number, first.slice(0, 30), at - count * 20_000, at - 20_000, count);
      if (c % 100 === 0) insertRating.run(openid, `${id}-1`, id, c % 300 === 0 ? 'down' : 'up', c % 300 === 0 ? '回答不对' : null, at, at);
    }
  })();
}

function time(label: string, samples: number[], extra = ''): void {
  console.log(`${label.padEnd(34)} p50 ${pct(samples, 50).toFixed(2).padStart(8)} ms   p95 ${pct(samples, 95).toFixed(2).padStart(8)} ms ${extra}`);
}

async function measure(fn: () => Promise<unknown>): Promise<number[]> {
  await fn(); // warm
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    samples.push(performance.now() - t);
  }
  return samples;
}

const dir = args.db ? undefined : mkdtempSync(join(tmpdir(), 'admin-bench-'));
const file = args.db ?? join(dir!, 'gateway.sqlite');
const reuse = existsSync(file);
const db = openSqlite(file);
try {
  if (!reuse) {
    let t = performance.now();
    fill(db, conversations);
    console.log(`filled ${conversations} conversations (${conversations * 5} messages) in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    t = performance.now();
    const indexing = new SqliteAdminStore(db, createJiebaTokenizer(), { background: false });
    indexing.indexer.catchUp();
    console.log(`backfilled the admin index in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    await indexing.close();
  }
  const store = new SqliteAdminStore(db, createJiebaTokenizer(), { background: false });
  const someone = (await store.listConversations({ limit: 1 })).items[0]!;
  const now = Date.now();
  time('list, newest 20', await measure(() => store.listConversations({ limit: 20 })));
  const page2 = (await store.listConversations({ limit: 20 })).nextCursor!;
  time('list, page 2 (cursor)', await measure(() => store.listConversations({ limit: 20, cursor: page2 })));
  time('list, one openid', await measure(() => store.listConversations({ limit: 20, openid: someone.openid })));
  time('list, a 7-day range 60 days ago', await measure(() => store.listConversations({ limit: 20, from: now - 60 * DAY, to: now - 53 * DAY })));
  const common = await store.listConversations({ limit: 20, q: '哪里' });
  time('q common word (哪里)', await measure(() => store.listConversations({ limit: 20, q: '哪里' })), `${common.items.length} items`);
  time('q two common words (公司 成立)', await measure(() => store.listConversations({ limit: 20, q: '公司 成立' })));
  const rare = await store.listConversations({ limit: 20, q: RARE });
  time(`q rare word (${RARE})`, await measure(() => store.listConversations({ limit: 20, q: RARE })), `${rare.items.length} items`);
  time('q no match', await measure(() => store.listConversations({ limit: 20, q: '不存在的词汇组合甲乙丙' })));
  time('q common + a 7-day range 60 days ago', await measure(() => store.listConversations({ limit: 20, q: '什么', from: now - 60 * DAY, to: now - 53 * DAY })));
  time('q + openid', await measure(() => store.listConversations({ limit: 20, q: '什么', openid: someone.openid })));
  time('detail', await measure(() => store.getConversation(someone.conversationId)));
  time('usage, 30 days, top 10', await measure(() => store.usage({ from: now - 30 * DAY, to: now }, 10)));
  time('feedback, down, newest 20', await measure(() => store.listFeedback({ limit: 20, rating: 'down' })));
  await store.close();
} finally {
  db.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
}
