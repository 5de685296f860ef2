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
 *
 * `adminSearchBench()` gives the same figures as BenchRows for `npm run bench` (scenario 9), the
 * searches compared in the same run with what a console without the index would do: a LIKE scan
 * over every message.
 *
 * Then the indexer's own cost as conversations grow: one new question and answer appended to a
 * conversation of 10 / 200 / 2,000 messages, and the batch that indexes them timed (it runs on
 * the gateway's event loop). The same-run baseline is the same batch when the conversation is
 * read and cut whole, as every such batch was before admin schema 2 (its `admin_terms` row
 * removed first, which is also what a conversation indexed by schema 1 costs once).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { SqliteAdminStore } from '../src/admin/sqlite/sqlite-admin-store.js';
import { createJiebaTokenizer } from '../src/knowledge-base/index/tokenizer.js';
import { openSqlite, type Database } from '../src/store/sqlite/open-sqlite.js';
import { pct } from './percentile.js';
import type { BenchRow } from './bench-row.js';

const DAY = 86_400_000;
/** a phrase planted in three conversations only: the rare search */
const RARE = '量子纠缠保险箱';
const COMMON = '哪里';

const evalDir = new URL('../../shared/eval/cmrc2018/', import.meta.url);
const readJsonl = <T>(name: string): T[] =>
  readFileSync(new URL(name, evalDir), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as T);

export interface AdminSearchOptions {
  /** default 100,000 */
  conversations?: number;
  /** timed repetitions per query, default 40 */
  runs?: number;
  /** keep (or reuse) the SQLite file */
  db?: string;
  log?: (line: string) => void;
}

export interface AdminTiming {
  label: string;
  p50: number;
  p95: number;
  note?: string;
}

export interface AdminSearchFigures {
  conversations: number;
  timings: AdminTiming[];
  /** the same searches as a LIKE scan over every message (no index), same run */
  likeScan: { common: AdminTiming; rare: AdminTiming };
  /** one new exchange indexed into a conversation of `messages`: as it is, and read whole (the baseline) */
  growth: Array<{ messages: number; incremental: AdminTiming; whole: AdminTiming }>;
}

/** the conversation lengths the growth figures are taken at */
const GROWTH_LENGTHS = [10, 200, 2_000];

const corpus = () => ({
  questions: readJsonl<{ query: string }>('dev-queries.jsonl').map((q) => q.query),
  sentences: readJsonl<{ text: string }>('passages.jsonl').flatMap((p) => p.text.split(/(?<=[。！？])/).filter((s) => s.length > 10)),
});

const insertMessageSql = `INSERT INTO messages (openid, conversation, id, role, content, status, created_at, usage, meta) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`;

function fill(db: Database, n: number): void {
  const { questions, sentences } = corpus();
  const insertMessage = db.prepare(insertMessageSql);
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

async function measure(runs: number, fn: () => unknown): Promise<number[]> {
  await fn(); // warm
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    samples.push(performance.now() - t);
  }
  return samples;
}

/** Fills (or reuses) the database, then times every operator query; see the file comment. */
export async function measureAdminSearch(opts: AdminSearchOptions = {}): Promise<AdminSearchFigures> {
  const conversations = opts.conversations ?? 100_000;
  const runs = opts.runs ?? 40;
  const log = opts.log ?? (() => {});
  const dir = opts.db ? undefined : mkdtempSync(join(tmpdir(), 'admin-bench-'));
  const file = opts.db ?? join(dir!, 'gateway.sqlite');
  const reuse = existsSync(file);
  const db = openSqlite(file);
  const timings: AdminTiming[] = [];
  const time = async (label: string, fn: () => unknown, note?: string): Promise<AdminTiming> => {
    const samples = await measure(runs, fn);
    const timing = { label, p50: pct(samples, 50), p95: pct(samples, 95), ...(note !== undefined && { note }) };
    log(`${label.padEnd(38)} p50 ${timing.p50.toFixed(2).padStart(8)} ms   p95 ${timing.p95.toFixed(2).padStart(8)} ms ${note ?? ''}`);
    return timing;
  };
  try {
    if (!reuse) {
      let t = performance.now();
      fill(db, conversations);
      log(`filled ${conversations} conversations (${conversations * 5} messages) in ${((performance.now() - t) / 1000).toFixed(1)} s`);
      t = performance.now();
      const indexing = new SqliteAdminStore(db, createJiebaTokenizer(), { background: false });
      indexing.indexer.catchUp();
      log(`backfilled the admin index in ${((performance.now() - t) / 1000).toFixed(1)} s`);
      await indexing.close();
    }
    const store = new SqliteAdminStore(db, createJiebaTokenizer(), { background: false });
    const someone = (await store.listConversations({ limit: 1 })).items[0]!;
    const now = Date.now();
    const q = (query: string, extra: object = {}) => () => store.listConversations({ limit: 20, q: query, ...extra });
    const add = async (label: string, fn: () => unknown, note?: string) => void timings.push(await time(label, fn, note));
    await add('list, newest 20', () => store.listConversations({ limit: 20 }));
    const page2 = (await store.listConversations({ limit: 20 })).nextCursor!;
    await add('list, page 2 (cursor)', () => store.listConversations({ limit: 20, cursor: page2 }));
    await add('list, one openid', () => store.listConversations({ limit: 20, openid: someone.openid }));
    await add('list, a 7-day range 60 days ago', () => store.listConversations({ limit: 20, from: now - 60 * DAY, to: now - 53 * DAY }));
    await add(`q common word (${COMMON})`, q(COMMON), `${(await q(COMMON)()).items.length} items`);
    await add('q two common words (公司 成立)', q('公司 成立'));
    await add(`q rare word (${RARE})`, q(RARE), `${(await q(RARE)()).items.length} items`);
    await add('q no match', q('不存在的词汇组合甲乙丙'));
    await add('q common + a 7-day range 60 days ago', q('什么', { from: now - 60 * DAY, to: now - 53 * DAY }));
    await add('q + openid', q('什么', { openid: someone.openid }));
    await add('detail', () => store.getConversation(someone.conversationId));
    await add('usage, 30 days, top 10', () => store.usage({ from: now - 30 * DAY, to: now }, 10));
    await add('feedback, down, newest 20', () => store.listFeedback({ limit: 20, rating: 'down' }));
    await store.close();
    // what a console without the index does: newest 20 conversations whose messages contain the word
    const like = db.prepare(
      `SELECT openid, conversation, MAX(seq) AS last FROM messages WHERE content LIKE ? GROUP BY openid, conversation ORDER BY last DESC LIMIT 20`,
    );
    const scanRuns = Math.max(3, Math.floor(runs / 8));
    const scan = async (label: string, word: string) => {
      const samples = await measure(scanRuns, () => like.all(`%${word}%`));
      const timing = { label, p50: pct(samples, 50), p95: pct(samples, 95) };
      log(`${label.padEnd(38)} p50 ${timing.p50.toFixed(2).padStart(8)} ms   p95 ${timing.p95.toFixed(2).padStart(8)} ms (baseline)`);
      return timing;
    };
    const likeScan = { common: await scan(`LIKE scan, ${COMMON}`, COMMON), rare: await scan(`LIKE scan, ${RARE}`, RARE) };
    const growth = await measureGrowth(db, runs, log);
    return { conversations, timings, likeScan, growth };
  } finally {
    db.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * One new question and answer in a conversation of L messages (CMRC questions and passage
 * sentences, so its vocabulary grows as a real one does), and the indexer batch that takes them.
 */
async function measureGrowth(db: Database, runs: number, log: (line: string) => void): Promise<AdminSearchFigures['growth']> {
  const { questions, sentences } = corpus();
  const insertMessage = db.prepare(insertMessageSql);
  const insertMeta = db.prepare(`INSERT INTO conversation_meta (id, openid, n, title, created_at, updated_at, message_count) VALUES (?, ?, 0, '', 0, 0, 0)`);
  const forget = db.prepare(`DELETE FROM admin_terms WHERE id = ?`);
  const store = new SqliteAdminStore(db, createJiebaTokenizer(), { background: false });
  let m = 0;
  const exchange = (openid: string) => {
    const at = Date.now();
    insertMessage.run(openid, 0, `g${m}`, 'user', questions[m % questions.length], 'complete', at, null, null);
    const answer = `${sentences[(m * 7) % sentences.length]}${sentences[(m * 13 + 1) % sentences.length]}`;
    insertMessage.run(openid, 0, `g${m}a`, 'assistant', answer, 'complete', at, null, null);
    m++;
  };
  /** appends one exchange, then times the batch that indexes it (`whole`: read whole, as before schema 2) */
  const indexOne = (openid: string, id: string, whole: boolean): number => {
    exchange(openid);
    if (whole) forget.run(id);
    const t = performance.now();
    store.indexer.indexBatch();
    return performance.now() - t;
  };
  const timing = (label: string, samples: number[], baseline = false): AdminTiming => {
    const result = { label, p50: pct(samples, 50), p95: pct(samples, 95) };
    log(`${label.padEnd(38)} p50 ${result.p50.toFixed(2).padStart(8)} ms   p95 ${result.p95.toFixed(2).padStart(8)} ms${baseline ? ' (baseline)' : ''}`);
    return result;
  };
  const figures: AdminSearchFigures['growth'] = [];
  try {
    for (const length of GROWTH_LENGTHS) {
      const openid = `grow${length}`;
      const id = `grow-${length}`;
      insertMeta.run(id, openid);
      for (let i = 0; i < length / 2; i++) exchange(openid);
      store.indexer.catchUp();
      indexOne(openid, id, false); // warm
      // the two ways take turns, so that whatever the file or the machine does falls on both
      const samples = { incremental: [] as number[], whole: [] as number[] };
      for (let i = 0; i < runs; i++) {
        samples.incremental.push(indexOne(openid, id, false));
        samples.whole.push(indexOne(openid, id, true));
      }
      const incremental = timing(`index a new exchange, ${length} messages`, samples.incremental);
      const whole = timing(`  the same, read whole`, samples.whole, true);
      figures.push({ messages: length, incremental, whole });
    }
  } finally {
    await store.close();
  }
  return figures;
}

/** Scenario 9 of `npm run bench`: the search and list figures, the searches against the LIKE scan. */
export async function adminSearchBench(): Promise<BenchRow[]> {
  const figures = await measureAdminSearch();
  const scenario = `9 admin ${Math.round(figures.conversations / 1000)}k conversations`;
  const ms = (value: number) => Math.round(value * 100) / 100;
  const target = '≤ 1000 ms (well under a second)';
  const growthRows = figures.growth.flatMap(({ messages, incremental, whole }) =>
    (['p50', 'p95'] as const).map((p): BenchRow => ({
      scenario,
      metric: `index a new exchange, conversation of ${messages.toLocaleString('en')} messages, ${p}`,
      value: ms(incremental[p]),
      unit: 'ms',
      baseline: { label: 'the conversation read and cut whole (before), same run', value: ms(whole[p]) },
    })),
  );
  return [...figures.timings.map((t): BenchRow => {
    const baseline = t.label.startsWith('q common word') ? figures.likeScan.common : t.label.startsWith('q rare word') ? figures.likeScan.rare : undefined;
    return {
      scenario,
      metric: `${t.label} p95`,
      value: ms(t.p95),
      unit: 'ms',
      ...(baseline && { baseline: { label: 'LIKE scan over every message, same run', value: ms(baseline.p95) } }),
      target,
      pass: t.p95 <= 1000,
    };
  }), ...growthRows];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values: args } = parseArgs({
    options: {
      conversations: { type: 'string', default: '100000' },
      runs: { type: 'string', default: '40' },
      db: { type: 'string' },
    },
  });
  await measureAdminSearch({ conversations: Number(args.conversations), runs: Number(args.runs), db: args.db, log: (line) => console.log(line) });
}
