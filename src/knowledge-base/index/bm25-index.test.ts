import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Bm25Index } from './bm25-index.js';
import { termTriples } from './chunk-terms.js';

const field = (terms: readonly string[], weight = 1) => ({ terms: termTriples(terms), weight });
const doc = (text: string) => [field(text.split(' '))];

test('ranks by BM25: rarer and repeated terms count more, long documents less', () => {
  const index = new Bm25Index();
  index.add(0, doc('域名 配置 配置 小程序'));
  index.add(1, doc('域名 证书'));
  index.add(2, doc('配置 模型 模型 模型 模型 模型 模型 模型 模型'));
  index.add(3, doc('无关 内容'));
  const { hits, terms } = index.search(['域名', '配置'], 10);
  assert.deepEqual(hits.map((h) => h.slot), [0, 1, 2]);
  assert.ok(hits[0]!.score > hits[1]!.score && hits[1]!.score > hits[2]!.score);
  // matched bits are over `terms`
  const bit = (t: string) => 1 << terms.indexOf(t);
  assert.equal(hits[0]!.matched, bit('域名') | bit('配置'));
  assert.equal(hits[1]!.matched, bit('域名'));
});

test('terms the corpus lacks are reported but never match; k bounds the result', () => {
  const index = new Bm25Index();
  for (let i = 0; i < 20; i++) index.add(i, doc(`词${i} 公共`));
  const { hits, terms } = index.search(['公共', '不存在'], 5);
  assert.equal(hits.length, 5);
  assert.deepEqual(terms, ['不存在', '公共']); // rarest first
  for (const h of hits) assert.equal(h.matched, 0b10);
});

test('removal takes effect at the next search and slots are never reused', () => {
  const index = new Bm25Index();
  index.add(0, doc('甲 乙'));
  index.add(1, doc('甲 丙'));
  assert.equal(index.search(['甲'], 10).hits.length, 2);
  assert.equal(index.remove(0), true);
  assert.equal(index.remove(0), false);
  assert.deepEqual(index.search(['甲'], 10).hits.map((h) => h.slot), [1]);
  assert.equal(index.size, 1);
  assert.throws(() => index.add(0, doc('甲')), /slots must increase/);
  index.add(2, doc('甲 丁'));
  assert.deepEqual(index.search(['甲'], 10).hits.map((h) => h.slot).sort(), [1, 2]);
});

test('field weights: a title occurrence counts as much as `weight` body occurrences', () => {
  const index = new Bm25Index();
  index.add(0, [field(['铁路', '长度']), field(['广茂'], 3)]);
  index.add(1, [field(['铁路', '长度', '广茂'])]);
  index.add(2, [field(['其他'])]);
  const { hits } = index.search(['广茂'], 2);
  assert.equal(hits[0]!.slot, 0);
});

test('a term in several fields is one posting with the weighted occurrences summed', () => {
  const index = new Bm25Index();
  index.add(0, [field(['甲', '甲', '乙']), field(['甲'], 2), field(['乙', '丙'], 2)]); // 甲 4, 乙 3, 丙 2; length 9
  index.add(1, [field(['甲', '甲', '甲', '甲', '乙', '乙', '乙', '丙', '丙'])]);
  index.add(2, [field(['丁'])]);
  for (const q of [['甲'], ['乙'], ['丙'], ['甲', '丙']]) {
    const [a, b] = index.search(q, 2).hits;
    assert.ok(a && b && Math.abs(a.score - b.score) < 1e-9, `${q.join()}: ${a?.score} vs ${b?.score}`);
  }
});

test('pruned search returns exactly the exhaustive BM25 top k (random Zipf corpus)', () => {
  let seed = 7;
  const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const zipfTerm = () => `t${Math.floor(1 / (random() * 0.999 + 0.001)) % 500}`; // a few terms in nearly every doc
  const docs: string[][] = Array.from({ length: 3000 }, () => Array.from({ length: 5 + Math.floor(random() * 60) }, zipfTerm));
  const index = new Bm25Index();
  docs.forEach((terms, slot) => index.add(slot, [field(terms)]));
  index.remove(17);

  const live = docs.map((terms, slot) => ({ terms, slot })).filter((d) => d.slot !== 17);
  const avg = live.reduce((s, d) => s + d.terms.length, 0) / live.length;
  const df = new Map<string, number>();
  for (const d of live) for (const t of new Set(d.terms)) df.set(t, (df.get(t) ?? 0) + 1);
  const exhaustive = (query: string[], k: number) =>
    live
      .map(({ terms, slot }) => {
        let score = 0;
        for (const q of new Set(query)) {
          const tf = terms.filter((t) => t === q).length;
          if (!tf) continue;
          const n = df.get(q)!;
          const idf = Math.log(1 + (live.length - n + 0.5) / (n + 0.5));
          score += (idf * query.filter((t) => t === q).length * tf * 2.2) / (tf + 1.2 * (0.25 + (0.75 * terms.length) / avg));
        }
        return { slot, score };
      })
      .filter((h) => h.score > 0)
      .sort((a, b) => b.score - a.score || a.slot - b.slot)
      .slice(0, k);

  for (let q = 0; q < 200; q++) {
    const query = Array.from({ length: 2 + Math.floor(random() * 8) }, zipfTerm);
    const expected = exhaustive(query, 10);
    const got = index.search(query, 10).hits;
    assert.equal(got.length, expected.length);
    got.forEach((h, i) => assert.ok(Math.abs(h.score - expected[i]!.score) < 1e-4, `query ${q} rank ${i}: ${h.score} vs ${expected[i]!.score}`));
  }
});
