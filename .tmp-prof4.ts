import { Jieba } from '@node-rs/jieba';
import { dict } from '@node-rs/jieba/dict.js';
import { readJsonl, type Passage } from './scripts/eval-cmrc-data.js';
const passages = readJsonl<Passage>('../shared/eval/cmrc2018/passages.jsonl');
const texts: string[] = [];
for (let i = 0; i < 20; i++) for (const p of passages) texts.push(p.text);
const j = Jieba.withDict(dict);
let t = performance.now();
for (const x of texts) j.cut(x, false);
console.log('sync', (performance.now() - t).toFixed(0));
for (const batch of [16, 64, 256]) {
  t = performance.now();
  for (let i = 0; i < texts.length; i += batch) await Promise.all(texts.slice(i, i + batch).map((x) => j.cutAsync(x, false)));
  console.log('async batch', batch, (performance.now() - t).toFixed(0));
}
