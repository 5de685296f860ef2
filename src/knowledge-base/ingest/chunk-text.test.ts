import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chunkDocument } from './chunk-text.js';
import { parseMarkdown } from './parse-markdown.js';
import { splitSentences } from './split-sentences.js';

test('splitSentences cuts after 。！？；… and keeps closing quotes, losing nothing', () => {
  const text = '配置好了吗？好了。“是的！”他说；然后……继续。Version 1.2 works. Next';
  const parts = splitSentences(text);
  assert.deepEqual(parts, ['配置好了吗？', '好了。', '“是的！”', '他说；', '然后……', '继续。', 'Version 1.2 works. ', 'Next']);
  assert.equal(parts.join(''), text);
});

test('chunks never cross a heading and carry the heading path without the title', () => {
  const doc = parseMarkdown('# 接入指南\n\n概述文字。\n\n## 服务器域名\n\n### socket 合法域名\n\n填写 wss:// 域名。\n\n## TLS\n\n需要 1.2。');
  const chunks = chunkDocument(doc);
  assert.deepEqual(
    chunks.map((c) => [c.headingPath, c.text]),
    [
      [[], '概述文字。'],
      [['服务器域名', 'socket 合法域名'], '填写 wss:// 域名。'],
      [['TLS'], '需要 1.2。'],
    ],
  );
});

test('a long section is cut at sentence ends into balanced, overlapping, verbatim chunks', () => {
  const sentences = Array.from({ length: 40 }, (_, i) => `这是第${i}句话，用来测试分块的长度是否合适。`);
  const text = sentences.join('');
  const chunks = chunkDocument({ blocks: [{ kind: 'paragraph', text }] }, { targetChars: 200, maxChars: 300, overlapChars: 40 });
  assert.ok(chunks.length >= 4, `got ${chunks.length} chunks`);
  for (const c of chunks) {
    assert.ok(c.text.length <= 300, `chunk of ${c.text.length} chars`);
    assert.ok(text.includes(c.text), 'every chunk is a verbatim span');
    assert.match(c.text, /。$/, 'chunks end at a sentence end');
  }
  // Overlap: each chunk starts with the last sentence of the previous one.
  for (let i = 1; i < chunks.length; i++) {
    const last = splitSentences(chunks[i - 1]!.text).at(-1)!;
    assert.ok(chunks[i]!.text.startsWith(last), `chunk ${i} repeats the previous sentence`);
  }
  // Every sentence is in some chunk.
  for (const s of sentences) assert.ok(chunks.some((c) => c.text.includes(s)));
});

test('a section that fits in maxChars stays whole; an over-long sentence is cut at commas', () => {
  const short = '短段落。'.repeat(100); // 400 characters
  assert.equal(chunkDocument({ blocks: [{ kind: 'paragraph', text: short }] }).length, 1);
  const runOn = `${'很长的从句，'.repeat(200)}结束。`;
  const chunks = chunkDocument({ blocks: [{ kind: 'paragraph', text: runOn }] });
  assert.ok(chunks.length > 1);
  for (const c of chunks) assert.ok(c.text.length <= 600);
});

test('Q&A pairs are one chunk each, however long', () => {
  const answer = '答案内容。'.repeat(300);
  const chunks = chunkDocument({ blocks: [{ kind: 'qa', question: '问题一？', answer }, { kind: 'qa', question: '问题二？', answer: '短答案' }] });
  assert.equal(chunks.length, 2);
  assert.equal(chunks[0]!.text, `问：问题一？\n答：${answer}`);
  assert.equal(chunks[1]!.text, '问：问题二？\n答：短答案');
});

test('code blocks are split at line ends only', () => {
  const code = Array.from({ length: 80 }, (_, i) => `    proxy_set_header X-Line-${i} value;`).join('\n');
  const chunks = chunkDocument({ blocks: [{ kind: 'code', text: code }] });
  assert.ok(chunks.length > 1);
  for (const c of chunks) for (const line of c.text.split('\n')) assert.match(line.trim(), /^proxy_set_header X-Line-\d+ value;$/);
});
