import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createBigramTokenizer, createJiebaTokenizer } from './tokenizer.js';

const jieba = createJiebaTokenizer();

test('jieba words, punctuation dropped, full-width and case folded', () => {
  assert.deepEqual(jieba.terms('Socket 合法域名怎么配置？'), ['socket', '合法', '域名', '怎么', '配置']);
  assert.deepEqual(jieba.terms('ＴＬＳ１．２'), ['tls1.2', 'tls1', '2']);
});

test('runs of single characters jieba could not place also yield bigrams', () => {
  // 广茂 is not in jieba's dictionary: 广|茂 plus the bigram, the same in question and passage.
  assert.deepEqual(jieba.terms('广茂铁路'), ['广', '茂', '广茂', '铁路']);
  const passage = jieba.terms('广茂铁路是一条铁路');
  for (const term of jieba.terms('广茂铁路')) assert.ok(passage.includes(term), term);
});

test('identifiers stay whole and also yield their parts', () => {
  assert.deepEqual(jieba.terms('WECHAT_APP_SECRET 与 proxy_read_timeout'), [
    'wechat_app_secret', 'wechat', 'app', 'secret', '与', 'proxy_read_timeout', 'proxy', 'read', 'timeout',
  ]);
  assert.deepEqual(jieba.terms('x-forwarded-for'), ['x-forwarded-for', 'x', 'forwarded', 'for']);
});

test('the bigram baseline tokenizer', () => {
  assert.deepEqual(createBigramTokenizer().terms('合法域名，ok'), ['合法', '法域', '域名', 'ok']);
});
