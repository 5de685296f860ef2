import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { createJiebaTokenizer } from '../knowledge-base/index/tokenizer.js';
import { addTerms, matchExpression, snippetOf } from './search-terms.js';

const jieba = createJiebaTokenizer();

test('a query becomes quoted terms, each one required', () => {
  assert.equal(matchExpression(jieba.terms('退货 政策')), '"退货" "政策"');
  assert.equal(matchExpression(jieba.terms('退货退货')), '"退货"', 'a repeated term once');
  assert.equal(matchExpression(jieba.terms('，。！ ')), undefined);
});

test('nothing a user types is FTS5 syntax', () => {
  const db = new Database(':memory:');
  db.exec(`CREATE VIRTUAL TABLE f USING fts5(terms, content = '', contentless_delete = 1, tokenize = "unicode61 remove_diacritics 0 tokenchars '_.-'")`);
  const terms = new Set<string>();
  for (const text of ['怎么申请退货？', 'NEAR and OR 是关键字', '申请退货要多久']) addTerms(jieba, text, terms);
  assert.equal([...terms].filter((t) => t === '退货').length, 1, 'a term once per conversation');
  db.prepare('INSERT INTO f (rowid, terms) VALUES (1, ?)').run([...terms].join(' '));
  const find = (q: string) => {
    const match = matchExpression(jieba.terms(q));
    return match === undefined ? [] : db.prepare('SELECT rowid FROM f WHERE f MATCH ?').all(match);
  };
  for (const hostile of ['"', '""', 'a OR', 'NEAR(退货 申请)', 'terms:退货', '*', '^退货', '退货 AND', '(', ')', '退货"', '-退货', '{terms}:退货']) {
    assert.doesNotThrow(() => find(hostile), hostile);
  }
  assert.equal(find('申请退货').length, 1);
  assert.equal(find('OR').length, 1, 'a keyword is a word like any other');
  assert.equal(find('退货 发票').length, 0, 'every term is required');
  db.close();
});

test('a snippet shows the first occurrence with some context', () => {
  const text = `${'前'.repeat(50)}增值税专用发票${'后'.repeat(50)}`;
  const snippet = snippetOf(text, ['增值税'], 20)!;
  assert.match(snippet, /^…前+增值税/);
  assert.ok(snippet.endsWith('…'));
  assert.equal(snippetOf('短文本 ABC', ['abc']), '短文本 ABC', 'case-insensitive, original text shown');
  assert.equal(snippetOf('没有', ['退货']), undefined);
});
