/**
 * Retrieval at scale: the CMRC 2018 passages replicated and perturbed up to ~100k chunks,
 * loaded through the product path (chunker → SQLite → index build at open), then the dev
 * questions timed against it. Plain BM25 over character bigrams on the same chunks runs in the
 * same process as the yardstick. Goal (docs/knowledge-base.md): p95 ≤ 15 ms at 100k chunks.
 *
 *   npm run bench:retrieval -- [--passages …] [--queries …] [--chunks 100000] [--json out.json]
 *
 * Run with --expose-gc (the npm script does) so heap figures are measured after collection.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ChunkIndex } from '../src/knowledge-base/index/chunk-index.js';
import { createBigramTokenizer } from '../src/knowledge-base/index/tokenizer.js';
import { splitSentences } from '../src/knowledge-base/ingest/split-sentences.js';
import { openKnowledgeBase } from '../src/knowledge-base/knowledge-base.js';
import { openSqliteKbStore } from '../src/knowledge-base/store/sqlite-kb-store.js';
import { fmt, mib, passageAsMarkdown, quantile, rankFigures, readJsonl, type EvalQuery, type Passage } from '../scripts/eval-cmrc-data.js';

const { values: args } = parseArgs({
  options: {
    passages: { type: 'string', default: '../shared/eval/cmrc2018/passages.jsonl' },
    queries: { type: 'string', default: '../shared/eval/cmrc2018/dev-queries.jsonl' },
    chunks: { type: 'string', default: '100000' },
    json: { type: 'string' },
    /** reuse (or keep) the generated SQLite file: skips the ~2 min ingest on later runs */
    db: { type: 'string' },
  },
});
const targetChunks = Number(args.chunks);
const passages = readJsonl<Passage>(args.passages!);
const queries = readJsonl<EvalQuery>(args.queries!);
const gc = (globalThis as { gc?: () => void }).gc;
/** JS heap plus typed-array backing stores (the postings live outside the JS heap). */
const heapUsed = () => {
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

/** mulberry32: a seeded PRNG so every run builds the same corpus. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = prng(2018);
// Replacement characters drawn with the corpus's own character frequencies.
const hanPool = Array.from(passages.map((p) => p.text).join('')).filter((c) => /\p{Script=Han}/u.test(c));

/** A copy that is not a duplicate: sentences rotated, ~10% of Han characters replaced. */
function perturb(p: Passage, copy: number): Passage {
  const mutate = (s: string) =>
    Array.from(s, (c) => (/\p{Script=Han}/u.test(c) && random() < 0.1 ? hanPool[Math.floor(random() * hanPool.length)]! : c)).join('');
  const sentences = splitSentences(p.text);
  const shift = Math.floor(random() * sentences.length);
  return { id: `${p.id}~${copy}`, title: mutate(p.title), text: mutate([...sentences.slice(shift), ...sentences.slice(0, shift)].join('')) };
}

const dir = mkdtempSync(join(tmpdir(), 'kb-scale-'));
const dbFile = args.db ?? join(dir, 'kb.sqlite');
try {
  // 1. Load through the product path until the target chunk count is reached.
  let started = performance.now();
  const reuse = args.db !== undefined && existsSync(args.db);
  if (!reuse) await (async () => {
    const kb = await openKnowledgeBase({ store: openSqliteKbStore(dbFile) });
    for (let copy = 0; kb.size() < targetChunks; copy++) {
      for (const p of passages) {
        if (kb.size() >= targetChunks) break;
        const doc = copy === 0 ? p : perturb(p, copy);
        await kb.addBuffer(`${doc.id}.md`, passageAsMarkdown(doc), { source: doc.id });
      }
      process.stderr.write(`\rloaded ${kb.size()} chunks`);
    }
    await kb.close();
  })();
  const ingestMs = reuse ? NaN : performance.now() - started;
  process.stderr.write('\n');

  // 2. Start-up: open from SQLite and build the index (what a restart costs), and its memory.
  const heapBefore = heapUsed();
  const rssBefore = process.memoryUsage().rss;
  started = performance.now();
  const reopened = await openKnowledgeBase({ store: openSqliteKbStore(dbFile) });
  await reopened.search('预热');
  const openMs = performance.now() - started;
  const heapOurs = heapUsed() - heapBefore;
  const rssOurs = process.memoryUsage().rss - rssBefore;

  const store = openSqliteKbStore(dbFile);
  const chunks = await store.listChunks();
  // docId → passage id, for the unperturbed originals (their source has no ~copy suffix)
  const originalDoc = new Map((await store.listDocuments()).filter((d) => !d.source.includes('~')).map((d) => [d.id, d.source]));
  await store.close();
  const chunkById = new Map(chunks.map((c) => [c.id, c]));

  // 3. Baseline on the same chunks, in the same process.
  const heapBeforeBaseline = heapUsed();
  started = performance.now();
  const baseline = new ChunkIndex(createBigramTokenizer(), { titleWeight: 0, headingWeight: 0 });
  for (const c of chunks) baseline.add({ id: c.id, docId: c.docId, title: '', source: '', headingPath: [], text: c.text });
  baseline.commit();
  const baselineBuildMs = performance.now() - started;
  const heapBaseline = heapUsed() - heapBeforeBaseline;

  // A hit = a chunk of the unperturbed gold passage containing an answer: perturbed copies compete.
  const isHit = (q: EvalQuery, id: string) => {
    const c = chunkById.get(id)!;
    return q.gold.includes(originalDoc.get(c.docId) ?? '') && q.answers.some((a) => c.text.includes(a));
  };
  const time = async (search: (q: string) => Promise<string[]> | string[]) => {
    for (const q of queries.slice(0, 200)) await search(q.query);
    const times: number[] = [];
    const ranks: number[] = [];
    for (const q of queries) {
      const t = performance.now();
      const ids = await search(q.query);
      times.push(performance.now() - t);
      ranks.push(ids.findIndex((id) => isHit(q, id)) + 1);
    }
    return { p50: quantile(times, 0.5), p95: quantile(times, 0.95), p99: quantile(times, 0.99), ...rankFigures(ranks) };
  };
  const ours = await time(async (q) => (await reopened.search(q, { k: 10 })).map((h) => h.chunkId));
  const base = await time((q) => baseline.search(q, 10).map((h) => h.chunk.id));
  const rss = process.memoryUsage().rss;
  await reopened.close();

  const report = {
    chunks: chunks.length,
    documents: new Set(chunks.map((c) => c.docId)).size,
    ingestMs: reuse ? null : Math.round(ingestMs),
    ours: { openAndBuildMs: Math.round(openMs), heapBytes: heapOurs, rssGrowthBytes: rssOurs, ...ours },
    baseline: { buildMs: Math.round(baselineBuildMs), heapBytes: heapBaseline, ...base },
    processRssBytes: rss,
    gcMeasured: gc !== undefined,
  };
  const ingest = reuse ? `reused ${args.db}` : `ingest via SQLite ${(ingestMs / 1000).toFixed(1)} s`;
  console.log(`${report.documents} documents → ${chunks.length} chunks; ${ingest}\n`);
  console.log('| method | p50 ms | p95 ms | p99 ms | R@1 | R@5 | MRR@10 | build ms | heap |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  const row = (name: string, m: typeof ours, build: number, heap: number) =>
    `| ${name} | ${fmt(m.p50)} | ${fmt(m.p95)} | ${fmt(m.p99)} | ${fmt(m.recallAt1)} | ${fmt(m.recallAt5)} | ${fmt(m.mrrAt10)} | ${Math.round(build)} | ${mib(heap)} |`;
  console.log(row('product (open from SQLite + BM25 jieba)', ours, openMs, heapOurs));
  console.log(row('baseline: BM25 over character bigrams', base, baselineBuildMs, heapBaseline));
  console.log(
    '\nR@k here: the unperturbed gold passage must outrank its 64 near-copies (~10% of characters replaced).',
  );
  console.log(
    `heap = JS heap + typed arrays after GC, grown by building each index. Opening the product index grew RSS by ` +
      `${mib(rssOurs)}; process RSS at the end (both indexes, chunk texts twice, jieba, SQLite): ${mib(rss)}` +
      (gc ? '' : '\n(run with --expose-gc for exact heap figures)'),
  );
  if (args.json) writeFileSync(args.json, `${JSON.stringify(report, null, 2)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
