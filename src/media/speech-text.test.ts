import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CODE_PLACEHOLDER, toSpeakableText } from './speech-text.js';
import { splitForSpeech } from './speech-chunks.js';

describe('toSpeakableText', () => {
  it('flattens headings and lists into sentences and keeps emphasis as plain words', () => {
    const md = '## 配置步骤\n\n1. 打开**开发管理**\n2. 填写 *socket 合法域名*\n\n- 注意：必须是 `wss://`';
    assert.equal(toSpeakableText(md), '配置步骤。\n打开开发管理。\n填写 socket 合法域名。\n注意：必须是 wss://.');
  });

  it('reads a link as its text, drops bare URLs and images keep their alt text', () => {
    const md = '详见[接入指南](https://example.com/guide)，或访问 https://example.com 。![流程图](a.png)';
    assert.equal(toSpeakableText(md), '详见接入指南，或访问 。流程图。');
  });

  it('removes citation markers of every form the prompt produces', () => {
    assert.equal(toSpeakableText('退货期限是七天[1]，运费由卖家承担[2][3]。另见【4】^5'), '退货期限是七天，运费由卖家承担。另见。');
  });

  it('announces a code block instead of reading it', () => {
    const md = '示例如下：\n\n```js\nconst ws = wx.connectSocket({ url })\n```\n\n然后连接。';
    const text = toSpeakableText(md);
    assert.equal(text, `示例如下：\n${CODE_PLACEHOLDER}\n然后连接。`);
    assert.doesNotMatch(text, /connectSocket/);
  });

  it('reads a table row by row and a quote as its text', () => {
    const md = '| 套餐 | 价格 |\n|---|---|\n| 基础 | 9 元 |\n\n> 价格含税';
    assert.equal(toSpeakableText(md), '套餐，价格。\n基础，9 元。\n价格含税。');
  });

  it('keeps escaped characters and entities as the characters they stand for', () => {
    assert.equal(toSpeakableText('1 \\* 2 &amp; 3 &lt; 4'), '1 * 2 & 3 < 4.');
  });

  it('yields nothing for an answer that is only code, rules or HTML', () => {
    assert.equal(toSpeakableText('---\n\n<div></div>\n'), '');
    assert.equal(toSpeakableText('```\nx\n```'), CODE_PLACEHOLDER);
  });
});

describe('splitForSpeech', () => {
  it('packs whole Chinese sentences up to the limit, in order', () => {
    assert.deepEqual(splitForSpeech('第一句话。第二句话！第三句话？第四；', 10), ['第一句话。第二句话！', '第三句话？第四；']);
  });

  it('splits English at . ! ? before a space but not inside numbers', () => {
    assert.deepEqual(splitForSpeech('Version 1.2 is out. Try it! Done?', 20), ['Version 1.2 is out.', 'Try it! Done?']);
  });

  it('cuts a sentence longer than the limit at a clause, then hard', () => {
    const chunks = splitForSpeech('这是一个很长的句子，里面有逗号，还有更多的内容需要朗读。', 12);
    assert.ok(chunks.every((c) => c.length <= 12), JSON.stringify(chunks));
    assert.equal(chunks.join(''), '这是一个很长的句子，里面有逗号，还有更多的内容需要朗读。');
    assert.equal(chunks[0], '这是一个很长的句子，');
    const hard = splitForSpeech('一二三四五六七八九十一二三四五', 6);
    assert.deepEqual(hard, ['一二三四五六', '七八九十一二', '三四五']);
  });

  it('keeps everything and nothing else: the chunks concatenate to the text without line breaks', () => {
    const text = toSpeakableText('# 标题\n\n段落一。段落二！\n\n- 项目一\n- 项目二');
    const chunks = splitForSpeech(text, 8);
    assert.equal(chunks.join('').replace(/\s/g, ''), text.replace(/\s/g, ''));
    assert.ok(chunks.every((c) => c.length <= 8));
  });

  it('returns no chunk for empty text', () => {
    assert.deepEqual(splitForSpeech('', 100), []);
    assert.deepEqual(splitForSpeech(' \n ', 100), []);
  });
});

describe('toSpeakableText on hostile Markdown (the model writes what users ask it to)', () => {
  it('survives nesting that would overflow the lexer\'s stack, and keeps the words', () => {
    assert.equal(toSpeakableText(`${'>'.repeat(20_000)} 深处的话`), '深处的话。');
    const lists = Array.from({ length: 500 }, (_, i) => `${' '.repeat(i * 2)}- 第${i}项`).join('\n');
    const text = toSpeakableText(lists);
    assert.match(text, /第0项/);
    assert.match(text, /第499项/);
  });

  it('handles runs of delimiters and long lines without losing the text', () => {
    for (const hostile of ['a_'.repeat(10_000), '['.repeat(20_000), '*a '.repeat(7_000), '<'.repeat(20_000), '![['.repeat(7_000)]) {
      const text = toSpeakableText(hostile);
      assert.ok(text.length <= hostile.length * 2, 'bounded output');
    }
    // a long paragraph is cut after a sentence, never mid-sentence, and nothing is lost
    const long = '这是一个很长的段落里的一句话。'.repeat(200);
    const spoken = toSpeakableText(long);
    assert.equal(spoken.replace(/\n/g, ''), long);
  });
});
