import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cleanSuggestions, parseSuggestionText } from './clean-suggestions.js';
import { SUGGESTION_MARKER, suggestionPrompt } from './suggestion-prompt.js';
import { SUGGESTION_MARKER as FAKE_MARKER } from '../../../test/support/fake-llm-replies.js';

describe('parseSuggestionText', () => {
  it('reads a JSON array, bare, fenced or after a preamble', () => {
    assert.deepEqual(parseSuggestionText('["退货运费谁出？","多久到账？"]'), ['退货运费谁出？', '多久到账？']);
    assert.deepEqual(parseSuggestionText('```json\n["退货运费谁出？", "多久到账？"]\n```'), ['退货运费谁出？', '多久到账？']);
    assert.deepEqual(parseSuggestionText('好的，以下是问题：["可以换货吗？"] 希望有帮助'), ['可以换货吗？']);
  });

  it('keeps only the strings of an array', () => {
    assert.deepEqual(parseSuggestionText('["可以换货吗？", 3, null, {"q":"x"}, ["嵌套？"]]'), ['可以换货吗？']);
  });

  it('falls back to one question per line, without list markers', () => {
    const text = '1. 退货运费谁出？\n2、多久到账？\n- 可以换货吗？\n• 会员怎么开？\n（5）有发票吗？';
    assert.deepEqual(parseSuggestionText(text), ['退货运费谁出？', '多久到账？', '可以换货吗？', '会员怎么开？', '有发票吗？']);
  });

  it('an array cut short keeps its complete strings; garbage gives nothing usable', () => {
    assert.deepEqual(parseSuggestionText('["退货运费谁出？", "多久到账？", "可以换'), ['退货运费谁出？', '多久到账？']);
    assert.deepEqual(parseSuggestionText('["带\\"引号\\"的问题？"'), ['带"引号"的问题？']);
    assert.deepEqual(cleanSuggestions(parseSuggestionText('{"error": true}'), '问题'), []);
    assert.deepEqual(cleanSuggestions(parseSuggestionText(''), '问题'), []);
    assert.deepEqual(cleanSuggestions(parseSuggestionText('\u0000\u0001 %%% ###'), '问题'), []);
    assert.deepEqual(cleanSuggestions(parseSuggestionText('[]'), '问题'), []);
  });
});

describe('cleanSuggestions', () => {
  it('trims, unquotes and drops Markdown emphasis', () => {
    assert.deepEqual(cleanSuggestions(['  "退货运费谁出？" ', '**多久到账？**', '“可以换货吗？”'], '问题'), [
      '退货运费谁出？',
      '多久到账？',
      '可以换货吗？',
    ]);
    assert.deepEqual(cleanSuggestions(['「退货流程」', '「退货流程」是怎样的？'], '问题'), ['退货流程', '「退货流程」是怎样的？']);
  });

  it('at most three, each at most 30 characters, Chinese only', () => {
    const long = '这是一个非常非常长的问题，它的长度明显超过了三十个字符的上限，所以应当被丢弃吗？';
    assert.ok(Array.from(long).length > 30);
    const out = cleanSuggestions([long, 'What about refunds?', '退款多久？', '可以换货吗？', '运费谁出？', '会员怎么开？'], '问题');
    assert.deepEqual(out, ['退款多久？', '可以换货吗？', '运费谁出？']);
    const thirty = '一'.repeat(29) + '？';
    assert.deepEqual(cleanSuggestions([thirty], '问题'), [thirty]);
  });

  it('drops duplicates and the question just asked, ignoring spaces, punctuation and case', () => {
    const out = cleanSuggestions(['退货 期限是多久?', '可以换货吗？', '可以换货吗', 'Redis 怎么配？', 'redis怎么配'], '退货期限是多久？');
    assert.deepEqual(out, ['可以换货吗？', 'Redis 怎么配？']);
  });

  it('one line: control characters and newlines become spaces', () => {
    assert.deepEqual(cleanSuggestions(['可以\n换货\u200b吗？'], '问题'), ['可以 换货 吗？']);
  });
});

describe('suggestionPrompt', () => {
  it('carries the marker the fake model recognises, and clips a long answer', () => {
    assert.equal(SUGGESTION_MARKER, FAKE_MARKER);
    const [system, user] = suggestionPrompt('退货期限？', '长'.repeat(5_000));
    assert.ok(system!.content.startsWith(SUGGESTION_MARKER));
    assert.match(system!.content, /JSON/);
    assert.ok(user!.content.length < 2_000);
    assert.match(user!.content, /退货期限？/);
  });
});
