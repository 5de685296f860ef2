import { ChunkIndex } from './src/rag/index/chunk-index.js';
import { createJiebaTokenizer, createBigramTokenizer, type Tokenizer } from './src/rag/index/tokenizer.js';
import { prepareDocument } from './src/rag/ingest/prepare-document.js';
import { readJsonl, passageAsMarkdown, rankFigures, type Passage, type EvalQuery } from './scripts/eval-cmrc-data.js';
import { Jieba } from '@node-rs/jieba';
import { dict } from '@node-rs/jieba/dict.js';
const passages = readJsonl<Passage>('../shared/eval/cmrc2018/passages.jsonl');
const queries = readJsonl<EvalQuery>('../shared/eval/cmrc2018/dev-queries.jsonl');
const chunking = process.env.CHUNK ? JSON.parse(process.env.CHUNK) : {};
const chunks: any[] = [];
for (const p of passages) {
  const prep = await prepareDocument({ name: p.id + '.md', source: p.id, data: passageAsMarkdown(p), chunking });
  for (const c of prep.chunks) chunks.push({ ...c, title: prep.doc.title, source: p.id });
}
const j = Jieba.withDict(dict);
const variants: Record<string, Tokenizer> = {
  product: createJiebaTokenizer(),
  jiebaOnly: { terms: (t) => j.cut(t.normalize('NFKC').toLowerCase(), false).filter((x) => /[\p{L}\p{N}]/u.test(x)) },
  jiebaHmm: { terms: (t) => j.cut(t.normalize('NFKC').toLowerCase(), true).filter((x) => /[\p{L}\p{N}]/u.test(x)) },
  search: { terms: (t) => j.cutForSearch(t.normalize('NFKC').toLowerCase(), false).filter((x) => /[\p{L}\p{N}]/u.test(x)) },
  productPlusBigrams: { terms: (t) => [...createJiebaTokenizer().terms(t), ...createBigramTokenizer().terms(t)] },
};
const configs: Array<[string, any]> = (process.env.CONFIGS ? JSON.parse(process.env.CONFIGS) : [['product', {}]]);
for (const [tok, opts] of configs) {
  const idx = new ChunkIndex(variants[tok]!, opts);
  for (const c of chunks) idx.add(c);
  idx.commit();
  const ranks = queries.map((q) => idx.search(q.query, 10).findIndex((h) => q.gold.includes(h.chunk.source) && q.answers.some((a) => h.chunk.text.includes(a))) + 1);
  const f = rankFigures(ranks);
  console.log(tok.padEnd(20), JSON.stringify(opts).padEnd(40), 'chunks', chunks.length, 'R1', f.recallAt1.toFixed(3), 'R5', f.recallAt5.toFixed(3), 'R10', f.recallAt10.toFixed(3), 'MRR', f.mrrAt10.toFixed(3));
}
