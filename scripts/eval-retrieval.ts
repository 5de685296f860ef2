/**
 * Retrieval evaluation on the CMRC 2018 files, through the product's own ingestion (Markdown
 * parser, chunker, SQLite store, tokenizer, index), at chunk level: a query counts as answered
 * at rank k when one of the top k chunks belongs to a gold passage AND contains one of the
 * answer strings. Plain BM25 over character bigrams, on the same chunks, runs in the same
 * process as the baseline.
 *
 *   npm run eval:retrieval -- --passages ../shared/eval/cmrc2018/passages.jsonl \
 *     --queries ../shared/eval/cmrc2018/dev-queries.jsonl [--json out.json] [--sample kb-sample]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ChunkIndex } from '../src/knowledge-base/index/chunk-index.js';
import { createBigramTokenizer } from '../src/knowledge-base/index/tokenizer.js';
import { openKnowledgeBase } from '../src/knowledge-base/knowledge-base.js';
import { loadSampleIfEmpty } from '../src/knowledge-base/load-sample-if-empty.js';
import { DEFAULT_MIN_RELEVANCE } from '../src/knowledge-base/relevance.js';
import { createMemoryKbStore } from '../src/knowledge-base/store/memory-kb-store.js';
import { openSqliteKbStore } from '../src/knowledge-base/store/sqlite-kb-store.js';
import {
  fmt,
  passageAsMarkdown,
  quantile,
  rankFigures,
  readJsonl,
  type EvalQuery,
  type Passage,
  type RankFigures,
} from './eval-cmrc-data.js';

const { values: args } = parseArgs({
  options: {
    passages: { type: 'string' },
    queries: { type: 'string' },
    json: { type: 'string' },
    sample: { type: 'string', default: 'kb-sample' },
  },
});
if (!args.passages || !args.queries) {
  console.error('usage: npm run eval:retrieval -- --passages <jsonl> --queries <jsonl> [--json <out>] [--sample <dir>]');
  process.exit(2);
}

interface MethodFigures extends RankFigures {
  latencyP50Ms: number;
  latencyP95Ms: number;
  buildMs: number;
}

const passages = readJsonl<Passage>(args.passages);
const queries = readJsonl<EvalQuery>(args.queries);
const dir = mkdtempSync(join(tmpdir(), 'kb-eval-'));

try {
  // 1. Ingest through the product path into a real SQLite file.
  const store = openSqliteKbStore(join(dir, 'kb.sqlite'));
  const kb = await openKnowledgeBase({ store });
  const passageOfDoc = new Map<string, string>();
  let started = performance.now();
  for (const p of passages) {
    const result = await kb.addBuffer(`${p.id}.md`, passageAsMarkdown(p), { source: `cmrc2018/${p.id}` });
    passageOfDoc.set(result.docId, p.id);
  }
  await kb.search('预热'); // folds the last additions into the postings
  const ingestMs = performance.now() - started;
  await kb.close();

  // 2. Reopen: the start-up index build from the store, what a restart costs.
  started = performance.now();
  const reopened = await openKnowledgeBase({ store: openSqliteKbStore(join(dir, 'kb.sqlite')) });
  const buildMs = performance.now() - started;

  const chunks = await (async () => {
    const s = openSqliteKbStore(join(dir, 'kb.sqlite'));
    try {
      return await s.listChunks();
    } finally {
      await s.close();
    }
  })();
  const docOfChunk = new Map(chunks.map((c) => [c.id, c.docId]));
  const textOfChunk = new Map(chunks.map((c) => [c.id, c.text]));
  const isHit = (q: EvalQuery, chunkId: string) =>
    q.gold.includes(passageOfDoc.get(docOfChunk.get(chunkId)!)!) && q.answers.some((a) => textOfChunk.get(chunkId)!.includes(a));
  const reachable = queries.filter((q) => chunks.some((c) => isHit(q, c.id))).length;

  // 3. Baseline on the very same chunks: plain BM25 (k1 1.2, b 0.75) over character bigrams of the text.
  started = performance.now();
  const baseline = new ChunkIndex(createBigramTokenizer(), { titleWeight: 0, headingWeight: 0 });
  for (const c of chunks) baseline.add({ id: c.id, docId: c.docId, title: '', source: '', headingPath: [], text: c.text });
  baseline.commit();
  const baselineBuildMs = performance.now() - started;

  const run = async (search: (q: string) => Promise<string[]> | string[], build: number) => {
    for (const q of queries.slice(0, 200)) await search(q.query); // warm-up (JIT), not measured
    const ranks: number[] = [];
    const times: number[] = [];
    for (const q of queries) {
      const t = performance.now();
      const ids = await search(q.query);
      times.push(performance.now() - t);
      ranks.push(ids.findIndex((id) => isHit(q, id)) + 1);
    }
    return { ...rankFigures(ranks), latencyP50Ms: quantile(times, 0.5), latencyP95Ms: quantile(times, 0.95), buildMs: build };
  };
  const ours: MethodFigures = await run(async (q) => (await reopened.search(q, { k: 10 })).map((h) => h.chunkId), buildMs);
  const base: MethodFigures = await run((q) => baseline.search(q, 10).map((h) => h.chunk.id), baselineBuildMs);

  // 4. Relevance calibration: the top hit's relevance for answerable questions (correct top-1
  // hits) vs for the same questions asked of the unrelated sample KB (whatever comes first there).
  const correctTop: number[] = [];
  for (const q of queries) {
    const [top] = await reopened.search(q.query, { k: 1 });
    if (top && isHit(q, top.chunkId)) correctTop.push(top.relevance);
  }
  const sampleKb = await openKnowledgeBase({ store: createMemoryKbStore() });
  await loadSampleIfEmpty(sampleKb, args.sample!);
  const offTopic: number[] = [];
  for (const q of queries) offTopic.push((await sampleKb.search(q.query, { k: 1 }))[0]?.relevance ?? 0);
  await sampleKb.close();
  await reopened.close();
  const share = (values: number[], t: number) => values.filter((v) => v >= t).length / (values.length || 1);
  const thresholds = [0.2, 0.3, 0.4, 0.5, 0.6, 0.7].map((t) => ({
    threshold: t,
    correctTopAbove: share(correctTop, t),
    offTopicAbove: share(offTopic, t),
  }));

  const meanChars = chunks.reduce((s, c) => s + c.text.length, 0) / chunks.length;
  const report = {
    passages: passages.length,
    queries: queries.length,
    chunks: chunks.length,
    meanChunkChars: Math.round(meanChars),
    reachableQueries: reachable,
    ingestMs: Math.round(ingestMs),
    ours,
    baseline: base,
    relevance: { defaultThreshold: DEFAULT_MIN_RELEVANCE, thresholds },
  };

  const row = (name: string, m: MethodFigures) =>
    `| ${name} | ${fmt(m.recallAt1)} | ${fmt(m.recallAt5)} | ${fmt(m.recallAt10)} | ${fmt(m.mrrAt10)} | ${fmt(m.latencyP50Ms, 3)} | ${fmt(m.latencyP95Ms, 3)} | ${fmt(m.buildMs, 0)} |`;
  console.log(
    `${passages.length} passages → ${chunks.length} chunks (mean ${Math.round(meanChars)} chars); ${queries.length} queries, ` +
      `${reachable} answerable at chunk level; ingest through SQLite ${Math.round(ingestMs)} ms\n`,
  );
  console.log('| method (chunk level) | R@1 | R@5 | R@10 | MRR@10 | p50 ms | p95 ms | build ms |');
  console.log('|---|---|---|---|---|---|---|---|');
  console.log(row('jieba + OOV bigrams, title/headings (product)', ours));
  console.log(row('baseline: BM25 over character bigrams', base));
  console.log('\nrelevance of the top hit: share at or above each threshold (default marked *)');
  console.log('| threshold | correct top-1 hits (should pass) | same questions vs unrelated sample KB (should not) |');
  console.log('|---|---|---|');
  for (const t of thresholds) {
    const mark = t.threshold === DEFAULT_MIN_RELEVANCE ? '*' : '';
    console.log(`| ${t.threshold}${mark} | ${fmt(t.correctTopAbove)} | ${fmt(t.offTopicAbove)} |`);
  }
  if (args.json) {
    writeFileSync(args.json, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`figures written to ${args.json}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
