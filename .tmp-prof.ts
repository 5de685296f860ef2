import { createJiebaTokenizer, createBigramTokenizer } from './src/rag/index/tokenizer.js';
import { Bm25Index } from './src/rag/index/bm25-index.js';
import { readJsonl, type Passage } from './scripts/eval-cmrc-data.js';
const passages = readJsonl<Passage>('../shared/eval/cmrc2018/passages.jsonl');
const texts: string[] = [];
for (let i = 0; i < 20; i++) for (const p of passages) texts.push(p.text);
for (const [name, tok] of [['jieba', createJiebaTokenizer()], ['bigram', createBigramTokenizer()]] as const) {
  let t = performance.now();
  const all = texts.map((x) => tok.terms(x));
  const tTok = performance.now() - t;
  t = performance.now();
  const idx = new Bm25Index();
  all.forEach((terms, i) => idx.add(i, [{ terms, weight: 1 }]));
  const tAdd = performance.now() - t;
  t = performance.now();
  idx.commit();
  console.log(name, 'tokenize', tTok.toFixed(0), 'add', tAdd.toFixed(0), 'commit', (performance.now() - t).toFixed(0));
}
