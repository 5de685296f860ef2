import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeChunk, decodeChunkTerms, encodeChunkTerms } from './chunk-terms.js';
import { createBigramTokenizer, createJiebaTokenizer } from './tokenizer.js';

const jieba = createJiebaTokenizer();
const chunk = { title: '接入指南', headingPath: ['配置服务器域名', 'socket 合法域名'], text: '在开发设置中配置 socket 合法域名：wss://example.com，域名必须备案。' };

test('terms survive encoding, also from a Buffer at an odd offset', () => {
  const terms = analyzeChunk(jieba, chunk);
  assert.equal(terms.length, 3);
  assert.ok(terms.every((f) => f.length > 0 && f.length % 3 === 0));
  const bytes = encodeChunkTerms(terms, jieba, 'hash-1');
  assert.deepEqual(decodeChunkTerms(bytes, jieba, 'hash-1'), terms);
  const odd = Buffer.alloc(bytes.byteLength + 1).subarray(1);
  odd.set(bytes);
  assert.deepEqual(decodeChunkTerms(odd, jieba, 'hash-1'), terms);
});

test('counts: a repeated word is one entry with its occurrences', () => {
  const [text] = analyzeChunk(jieba, { title: '', headingPath: [], text: '域名 域名 域名 备案' });
  assert.equal(text!.length / 3, 2);
  assert.deepEqual([text![2], text![5]].sort(), [1, 3]);
});

test('terms of another chunk, another tokenizer, or damaged bytes are refused', () => {
  const bytes = encodeChunkTerms(analyzeChunk(jieba, chunk), jieba, 'hash-1');
  assert.equal(decodeChunkTerms(bytes, jieba, 'hash-2'), undefined, 'another chunk');
  assert.equal(decodeChunkTerms(bytes, createBigramTokenizer(), 'hash-1'), undefined, 'another tokenizer');
  assert.equal(decodeChunkTerms(bytes.subarray(0, bytes.byteLength - 4), jieba, 'hash-1'), undefined, 'truncated');
  assert.equal(decodeChunkTerms(new Uint8Array([...bytes, 0, 0, 0, 0]), jieba, 'hash-1'), undefined, 'trailing words');
  assert.equal(decodeChunkTerms(new Uint8Array(7), jieba, 'hash-1'), undefined, 'not whole words');
  assert.equal(decodeChunkTerms(undefined, jieba, 'hash-1'), undefined, 'absent');
  const zeroTf = bytes.slice();
  new Int32Array(zeroTf.buffer)[5 + 2] = 0; // first term's tf
  assert.equal(decodeChunkTerms(zeroTf, jieba, 'hash-1'), undefined, 'a zero count');
  const negative = bytes.slice();
  new Int32Array(negative.buffer)[2] = -1; // text term count
  assert.equal(decodeChunkTerms(negative, jieba, 'hash-1'), undefined, 'a negative count');
});
