import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { KeywordChecker, readKeywordsFile } from './keyword-checker.js';
import { KeywordMatcher } from './keyword-matcher.js';
import { normalizeText } from './normalize-text.js';

const ask = (checker: KeywordChecker, text: string) => checker.check({ text, openid: 'o1', scene: 'question' });

describe('KeywordChecker', () => {
  it('finds the built-in terms, and passes ordinary questions about the same topics', async () => {
    const checker = new KeywordChecker();
    assert.deepEqual(await ask(checker, '哪里可以代开发票？'), { verdict: 'risky', label: 'keyword:代开发票', checker: 'keywords' });
    assert.deepEqual(await ask(checker, '赌博成瘾怎么办？毒品有哪些危害？'), { verdict: 'pass' });
  });

  it('is not fooled by spaces, punctuation, zero-width characters, full-width forms or case', () => {
    const checker = new KeywordChecker(['赌博', 'abc']);
    for (const text of ['赌 博', '赌*博', '赌\u200b博', '赌　博', '来点 赌。博！', 'ＡＢＣ', 'a b c', 'xAbCx', 'Ａ-Ｂ-Ｃ']) {
      assert.equal(checker.checkNow(text).verdict, 'risky', text);
    }
    for (const text of ['赌场', 'ab', '博赌', 'acb']) assert.equal(checker.checkNow(text).verdict, 'pass', text);
  });

  it('normalises the terms too, and reads one per line from a file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kw-'));
    try {
      const file = join(dir, 'terms.txt');
      writeFileSync(file, '# operator terms\n\n 违禁 品 \r\nＸＹＺ\n');
      assert.deepEqual(readKeywordsFile(file), ['违禁 品', 'ＸＹＺ']);
      const checker = new KeywordChecker(readKeywordsFile(file));
      assert.equal(checker.checkNow('卖违禁品').verdict, 'risky');
      assert.equal(checker.checkNow('xyz').verdict, 'risky');
      assert.equal(checker.checkNow('# operator terms').verdict, 'pass');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('KeywordMatcher (Aho–Corasick)', () => {
  it('finds terms that overlap, nest and share prefixes', () => {
    const matcher = new KeywordMatcher(['he', 'she', 'his', 'hers', 'abcd', 'bc']);
    assert.equal(matcher.find('ushers'), 'she');
    assert.equal(matcher.find('abce'), 'bc');
    assert.equal(matcher.find('xhix'), undefined);
    assert.equal(matcher.find('ahishers'), 'his');
    assert.equal(new KeywordMatcher([]).find('anything'), undefined);
  });

  it('agrees with a naive search on random text', () => {
    const alphabet = 'abc赌博';
    const random = (n: number) => Array.from({ length: n }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join('');
    const terms = Array.from({ length: 30 }, () => random(1 + Math.floor(Math.random() * 4)));
    const matcher = new KeywordMatcher(terms);
    for (let i = 0; i < 500; i++) {
      const text = random(12);
      assert.equal(matcher.find(text) !== undefined, terms.some((t) => text.includes(t)), `${text} / ${terms.join(',')}`);
    }
  });
});

describe('normalizeText', () => {
  it('folds full-width forms and case, drops everything but letters and digits', () => {
    assert.equal(normalizeText('ＡＢＣ １２３ Hello, 世界！'), 'abc123hello世界');
  });
});
